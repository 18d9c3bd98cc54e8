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
    WITHOUT_UNIFIED=0 exec "$(dirname "$0")/../scripts/without-unified" "$0" "$@"
fi

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
for name in $tests; do
    status=0
    RUNTIME=$runtime timeout 120 "validation/$name/$name.t" > "$out/$name.tap" 2>&1 || status=$?
    pass=$(grep -c '^ok' "$out/$name.tap" || true)
    fail=$(grep -c '^not ok' "$out/$name.tap" || true)
    # A test that exits non-zero or prints no result is not a pass.
    verdict=pass
    if [ "$fail" -gt 0 ] || [ "$status" -ne 0 ] || [ "$pass" -eq 0 ]; then verdict=FAIL; fi
    printf '%-34s %-4s ok=%-4s not_ok=%-4s exit=%s\n' "$name" "$verdict" "$pass" "$fail" "$status" | tee -a "$out/summary.txt"
done
