#!/bin/sh
# run-upstream.sh RUNTIME_TOOLS_DIR OUT_DIR [RUNTIME] [TEST...]
#
# Runs the opencontainers/runtime-tools validation suite, already built in
# RUNTIME_TOOLS_DIR (see README.md in this folder), against RUNTIME (default:
# this package's release hako), one test at a time with a time limit, and
# writes each test's TAP output to OUT_DIR/NAME.tap and a summary line per
# test to OUT_DIR/summary.txt. With WITHOUT_UNIFIED=1 the whole run happens
# in a private mount namespace without the cgroup2 "unified" tree (see
# scripts/without-unified), so that Debian's crun, which refuses this host's
# hybrid layout, can be measured on the same tests.
set -eu
if [ "${WITHOUT_UNIFIED:-0}" = 1 ]; then
    WITHOUT_UNIFIED=0 PRIVATE_DONE=1 exec "$(dirname "$0")/../scripts/without-unified" "$0" "$@"
fi
# A private mount namespace: linux_rootfs_propagation makes mounts shared.
[ -n "${PRIVATE_DONE:-}" ] || PRIVATE_DONE=1 exec unshare -m --propagation private "$0" "$@"

rt=$(cd "${1:?usage: run-upstream.sh RUNTIME_TOOLS_DIR OUT_DIR [RUNTIME] [TEST...]}" && pwd)
mkdir -p "${2:?}"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
runtime=${3:-$here/.build/release/hako}
[ $# -gt 3 ] && { shift 3; tests="$*"; } || tests=""
[ -x "$rt/runtimetest" ] || { echo "run-upstream.sh: $rt/runtimetest missing: build the suite first (conformance/README.md)" >&2; exit 1; }

cd "$rt"
[ -n "$tests" ] || tests=$(ls validation/*/*.t | xargs -n1 basename | sed 's/\.t$//')
: > "$out/summary.txt"
# Cgroup directories that exist before the run are the host's; any other
# empty one afterwards was left by a program (empty or relative cgroupsPath).
# The host's own trees are never looked into: the top-level cgroup, in any
# hierarchy, of every process running now (this script's own, a service
# manager's, other sessions'), where other software may make and remove
# cgroups during the run; and /hako-test, where other test suites may be
# making theirs right now. Found here, not named: each host has its own.
host_trees=$(cat /proc/[0-9]*/cgroup 2>/dev/null | cut -d: -f3- | cut -d/ -f2 | grep . | sort -u || true)
set -- -path '/sys/fs/cgroup/*/hako-test' -o -path '/sys/fs/cgroup/hako-test'
for t in $host_trees; do set -- "$@" -o -path "/sys/fs/cgroup/*/$t" -o -path "/sys/fs/cgroup/$t"; done
own_cgroups() { find /sys/fs/cgroup -mindepth 1 \( "$@" \) -prune -o -type d -print 2>/dev/null | sort; }
cgroups_before=$(mktemp)
own_cgroups "$@" > "$cgroups_before"
containers_before=$(mktemp)
# Controllers the hugetlb programs get enabled in the hybrid host's cgroup2
# root are put back as they were.
unified=/sys/fs/cgroup/unified/cgroup.subtree_control
subtree_before=$(cat "$unified" 2>/dev/null || true)
for name in $tests; do
    "$runtime" list -q 2>/dev/null | sort > "$containers_before" || true
    status=0
    RUNTIME=$runtime timeout 120 "validation/$name/$name.t" > "$out/$name.tap" 2>&1 || status=$?
    # Containers a program left (start's 7th check does, see RESULTS.md).
    for id in $("$runtime" list -q 2>/dev/null | sort | comm -13 "$containers_before" -); do
        "$runtime" delete --force "$id" >/dev/null 2>&1 || true
    done
    # Never inside the host's trees nor /hako-test (see host_trees above).
    own_cgroups "$@" | comm -13 "$cgroups_before" - | sort -r | while read -r d; do
        rmdir "$d" 2>/dev/null || true
    done
    if [ "$(stat -c '%U:%G %a' /dev/null)" != "root:root 666" ]; then
        echo "run-upstream.sh: $name left /dev/null as $(stat -c '%U:%G %a' /dev/null); restoring root:root 0666" >&2
        chown root:root /dev/null && chmod 0666 /dev/null
    fi
    pass=$(grep -c '^ok' "$out/$name.tap" || true)
    fail=$(grep -c '^not ok' "$out/$name.tap" || true)
    # A program passes when it exits 0, no check is "not ok" and it wrote
    # no error note of its own (tap-verdict.sh says why that last one).
    why=$("$here/conformance/tap-verdict.sh" "$out/$name.tap" "$status")
    verdict=pass
    [ "$why" = pass ] || verdict=FAIL
    printf '%-34s %-4s ok=%-4s not_ok=%-4s exit=%s%s\n' "$name" "$verdict" "$pass" "$fail" "$status" \
        "$([ "$why" = pass ] || echo " ($why)")" | tee -a "$out/summary.txt"
done
rm -f "$cgroups_before" "$containers_before"
if [ -w "$unified" ]; then
    for c in $(cat "$unified"); do
        case " $subtree_before " in *" $c "*) ;; *) echo "-$c" > "$unified" 2>/dev/null || true;; esac
    done
fi
