#!/bin/sh
# bench/all.sh [RUNS]: every figure of bench/RESULTS.md for hako, crun and
# runc, measured in one session on the same busybox bundle, alternating the
# runtimes, and printed as Markdown with hako/crun ratios:
#   - `run` of /bin/true: median wall, user+sys CPU (hyperfine), peak RSS
#     (GNU time, median of RUNS) with the binary read from disk and freshly copied;
#   - create, start, state, kill, delete, each timed on its own;
#   - 100 sequential `run`s; 50 parallel `run -d` (all must start);
#   - 1000 `run -d` of sleep, 100 at a time, then all deleted (bench/many.sh);
#   - `run` with podman's default seccomp profile (bench/oci-seccomp.py).
# Debian's crun refuses this host's hybrid cgroups, so everything runs in a
# private mount namespace without the cgroup2 tree (scripts/without-unified).
# Needs: hyperfine, GNU time, jq, crun, runc, python3, golang-github-containers-common.
set -eu
runs=${1:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/.build/release/hako}
[ -n "${BENCH_INSIDE:-}" ] || exec env BENCH_INSIDE=1 "$here/scripts/without-unified" "$0" "$@"
for tool in hyperfine jq crun runc python3 /usr/bin/time; do
    command -v $tool >/dev/null || { echo "all.sh: $tool is missing" >&2; exit 1; }
done
W=$(mktemp -d /tmp/hako-bench.XXXXXX)
cleanup() {
    for rt in hako crun runc; do
        for id in $(rt $rt list -q 2>/dev/null); do rt $rt delete --force "$id" >/dev/null 2>&1 || true; done
    done
    find /sys/fs/cgroup/*/hako-bench -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
# hako runs from a copy in the work directory, so that where the build lies
# is not measured: in the cgroup v2 guest that is a 9p share without a page
# cache, where every run faulted the binary in over 9p (~0.8 s under TCG).
# The copy goes in bin/: the state root must not lie in the binary's
# directory, or the CVE-2019-5736 seal (an overlayfs of that directory with
# an empty layer in the state root) cannot be mounted and hako falls back to
# a memfd copy.
mkdir "$W/bin" && cp "$hako" "$W/bin/hako" && hako=$W/bin/hako
rt() { name=$1; shift; bin=$name; [ "$name" = hako ] && bin=$hako; "$bin" --root "$W/state-$name" "$@"; }
bundle() { # DIR ARGS...: a busybox bundle with an absolute cgroupsPath
    dir=$1; shift
    HAKO=$hako "$here/scripts/busybox-bundle" "$dir" "$@" >/dev/null
    jq --arg cg "/hako-bench/$(basename "$dir")" '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = $cg' "$dir/config.json" > "$dir/c"
    mv "$dir/c" "$dir/config.json"
}
bundle "$W/true" /bin/true
bundle "$W/sleep" sleep 1000
ms() { awk '{ printf "%.2f", $1 * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

echo "# hako benchmark results"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then layout="pure v2"; else layout="v1 hybrid host, run without the unified tree"; fi
echo "- machine: $(nproc) cores, $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"), cgroups: $layout"
echo "- commit: $(git -C "$here" rev-parse --short HEAD)$(git -C "$here" diff --quiet || echo ' (with local changes)')"
echo "- runtimes: $("$hako" --version | head -1); crun $(crun --version | head -1 | awk '{print $3}'); runc $(runc --version | head -1 | awk '{print $3}')"
echo "- $runs runs per figure unless said otherwise; medians; hyperfine $(hyperfine --version | awk '{print $2}')"
echo

# 1. run of /bin/true
hyperfine -N --warmup 5 --runs "$runs" --export-json "$W/run.json" \
    -n hako "$hako --root $W/state-hako run --bundle $W/true r" \
    -n crun "crun --root $W/state-crun run --bundle $W/true r" \
    -n runc "runc --root $W/state-runc run --bundle $W/true r" >/dev/null 2>&1
# Peak RSS is mostly the executable's own pages, and how many of those a run
# maps depends on the page cache: fault-around maps every cached page of a
# 64 KB window, and a file just written sits in the cache whole, in large
# folios mapped at once. So each runtime's binary is measured as a fresh copy
# (as after `install`) and again after its cached pages are dropped and read
# back from disk by one run (as after a reboot, the usual state).
for rt in hako crun runc; do
    bin=$hako; [ $rt = hako ] || bin=$(command -v $rt)
    cp "$bin" "$W/bin/rss-$rt"
    for state in copied disk; do
        if [ $state = disk ]; then
            sync "$W/bin/rss-$rt"  # written-back pages only can be dropped
            dd if="$W/bin/rss-$rt" iflag=nocache count=0 status=none  # drops its cached pages
            "$W/bin/rss-$rt" --root "$W/state-$rt" run --bundle "$W/true" r >/dev/null 2>&1
        fi
        for i in $(seq "$runs"); do
            /usr/bin/time -f %M -o "$W/rss" "$W/bin/rss-$rt" --root "$W/state-$rt" run --bundle "$W/true" r >/dev/null 2>&1
            cat "$W/rss"
        done | median > "$W/rss-$state-$rt"
    done
    rm "$W/bin/rss-$rt"
done
field() { jq -r --arg n "$2" ".results[] | select(.command == \$n) | .$3" "$W/$1.json"; }
echo "## run of /bin/true"
echo
if [ "$(stat -f -c %T "$W")" = tmpfs ]; then
    echo "$W is on tmpfs, where a file has no copy on disk: both RSS columns measure a binary wholly in memory."
    echo
fi
echo "| runtime | wall ms | user+sys ms | peak RSS KB, from disk | peak RSS KB, fresh copy | wall / crun | CPU / crun | RSS / crun, from disk | RSS / crun, fresh copy |"
echo "|---|---|---|---|---|---|---|---|---|"
cw=$(field run crun median); cc=$(jq -r '.results[] | select(.command == "crun") | .user + .system' "$W/run.json")
cd_=$(cat "$W/rss-disk-crun"); cf=$(cat "$W/rss-copied-crun")
for rt in hako crun runc; do
    w=$(field run $rt median); c=$(jq -r --arg n $rt '.results[] | select(.command == $n) | .user + .system' "$W/run.json")
    rd=$(cat "$W/rss-disk-$rt"); rf=$(cat "$W/rss-copied-$rt")
    echo "| $rt | $(echo "$w" | ms) | $(echo "$c" | ms) | $rd | $rf | $(ratio "$w" "$cw") | $(ratio "$c" "$cc") | $(ratio "$rd" "$cd_") | $(ratio "$rf" "$cf") |"
done
echo

# 2. each operation on its own (hyperfine in shell mode: --prepare needs a shell)
echo "## Each operation (ms, median; / crun)"
echo
echo "| operation | hako | crun | runc | hako / crun |"
echo "|---|---|---|---|---|"
op() { # NAME PREPARE COMMAND (with RT for the runtime invocation)
    name=$1 prep=$2 cmd=$3
    set --
    for rt in hako crun runc; do
        r="$( [ $rt = hako ] && echo "$hako" || echo $rt ) --root $W/state-$rt"
        set -- "$@" -n $rt --prepare "$(echo "$prep" | sed "s#RT#$r#g")" "$(echo "$cmd" | sed "s#RT#$r#g")"
    done
    hyperfine --warmup 3 --runs "$runs" --export-json "$W/op.json" "$@" >/dev/null 2>&1
    h=$(field op hako median); c=$(field op crun median); u=$(field op runc median)
    echo "| $name | $(echo "$h" | ms) | $(echo "$c" | ms) | $(echo "$u" | ms) | $(ratio "$h" "$c") |"
}
op create "RT delete --force o >/dev/null 2>&1; true" "RT create --bundle $W/true o"
op start "RT delete --force o >/dev/null 2>&1; RT create --bundle $W/true o" "RT start o"
op state "RT delete --force o >/dev/null 2>&1; RT create --bundle $W/true o" "RT state o"
op kill "RT delete --force o >/dev/null 2>&1; RT run -d --bundle $W/sleep o" "RT kill o KILL"
op delete "RT delete --force o >/dev/null 2>&1; RT create --bundle $W/true o" "RT delete --force o"
for rt in hako crun runc; do rt $rt delete --force o >/dev/null 2>&1 || true; done
echo

# 3. 100 sequential runs, 4. 50 parallel run -d
echo "## Many containers"
echo
echo "| figure | hako | crun | runc | hako / crun |"
echo "|---|---|---|---|---|"
now() { date +%s%N; }
for rt in hako crun runc; do
    for k in 1 2 3; do
        s=$(now)
        for i in $(seq 100); do rt $rt run --bundle "$W/true" "s$i" >/dev/null; done
        echo $(( $(now) - s ))
    done | median > "$W/seq-$rt"
done
echo "| 100 sequential \`run\`, s | $(awk '{printf "%.2f", $1/1e9}' "$W/seq-hako") | $(awk '{printf "%.2f", $1/1e9}' "$W/seq-crun") | $(awk '{printf "%.2f", $1/1e9}' "$W/seq-runc") | $(ratio "$(cat "$W/seq-hako")" "$(cat "$W/seq-crun")") |"
for rt in hako crun runc; do
    s=$(now)
    for i in $(seq 50); do rt $rt run -d --bundle "$W/sleep" "p$i" >/dev/null 2>&1 </dev/null & done
    wait
    echo $(( $(now) - s )) > "$W/par-$rt"
    rt $rt list -q | grep -c '^p' > "$W/par-ok-$rt" || true
    for i in $(seq 50); do rt $rt delete --force "p$i" >/dev/null 2>&1 || true; done
done
echo "| 50 parallel \`run -d\`, ms (containers started) | $(awk '{printf "%.0f", $1/1e6}' "$W/par-hako") ($(cat "$W/par-ok-hako")/50) | $(awk '{printf "%.0f", $1/1e6}' "$W/par-crun") ($(cat "$W/par-ok-crun")/50) | $(awk '{printf "%.0f", $1/1e6}' "$W/par-runc") ($(cat "$W/par-ok-runc")/50) | $(ratio "$(cat "$W/par-hako")" "$(cat "$W/par-crun")") |"
echo

# 4b. a thousand containers at once (bench/many.sh; BENCH_MANY sets the count)
echo "## ${BENCH_MANY:-1000} containers: \`run -d\` of sleep, 100 at a time, then all deleted"
echo
HAKO=$hako "$here/bench/many.sh" "${BENCH_MANY:-1000}" 100
echo

# 5. run with an engine's default seccomp profile
if [ -f /usr/share/containers/seccomp.json ]; then
    bundle "$W/seccomp" /bin/true
    "$here/bench/oci-seccomp.py" /usr/share/containers/seccomp.json > "$W/profile.json"
    jq --slurpfile s "$W/profile.json" '.linux.seccomp = $s[0]' "$W/seccomp/config.json" > "$W/c" && mv "$W/c" "$W/seccomp/config.json"
    hyperfine -N --warmup 5 --runs "$runs" --export-json "$W/sc.json" \
        -n hako "$hako --root $W/state-hako run --bundle $W/seccomp r" \
        -n crun "crun --root $W/state-crun run --bundle $W/seccomp r" \
        -n runc "runc --root $W/state-runc run --bundle $W/seccomp r" >/dev/null 2>&1
    echo "## run with podman's default seccomp profile ($(jq '[.syscalls[].names | length] | add' "$W/profile.json") syscalls, 3 architectures)"
    echo
    echo "| runtime | wall ms | user+sys ms | wall / crun |"
    echo "|---|---|---|---|"
    cw=$(field sc crun median)
    for rt in hako crun runc; do
        w=$(field sc $rt median); c=$(jq -r --arg n $rt '.results[] | select(.command == $n) | .user + .system' "$W/sc.json")
        echo "| $rt | $(echo "$w" | ms) | $(echo "$c" | ms) | $(ratio "$w" "$cw") |"
    done
    echo
    echo "hako compiles the profile once and reuses the cached BPF (the warmup runs fill the cache)."
else
    echo "## run with a default seccomp profile: NOT MEASURED (no /usr/share/containers/seccomp.json; apt-get install golang-github-containers-common)"
fi
