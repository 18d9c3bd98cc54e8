#!/bin/sh
# bench/seal.sh [RUNS]: what the CVE-2019-5736 seal costs a `run` of
# /bin/true, side by side with crun (bench/interleave.py: the commands take
# turns, one run each per round, so a shared machine's drifting load falls
# on all of them alike; medians of wall time, CPU of the whole process tree):
#   hako         as installed: re-executes from a read-only overlayfs;
#   hako-ro      the same binary on a read-only bind mount, where no seal
#                is needed: the cost of hako without the re-execution;
#   hako-memfd   overlayfs unavailable (HAKO_SEAL=memfd): the sealed copy;
#   baseline     with BASELINE=PATH, another hako build (an older commit's),
#                to tell what the seal costs from what other changes cost;
#   crun         which copies itself into a memfd (or binds read-only).
# Runs in a private mount namespace without the cgroup2 tree, as
# bench/all.sh does, so that Debian's crun accepts this host's cgroups.
set -eu
runs=${1:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/.build/release/hako}
[ -n "${BENCH_INSIDE:-}" ] || exec env BENCH_INSIDE=1 "$here/scripts/without-unified" "$0" "$@"
W=$(mktemp -d /tmp/hako-seal-bench.XXXXXX)
cleanup() {
    umount "$W/ro" 2>/dev/null || true
    for rt in hako base crun; do
        bin=$rt; [ $rt = hako ] || [ $rt = base ] && bin=$W/rw/hako
        for id in $($bin --root "$W/state-$rt" list -q 2>/dev/null); do $bin --root "$W/state-$rt" delete --force "$id" >/dev/null 2>&1 || true; done
    done
    find /sys/fs/cgroup/*/hako-bench -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
mkdir "$W/rw" "$W/ro"
cp "$hako" "$W/rw/hako"
cp "$hako" "$W/ro/hako"
mount --bind "$W/ro" "$W/ro"
mount -o remount,bind,ro "$W/ro"
HAKO=$W/rw/hako "$here/scripts/busybox-bundle" "$W/true" /bin/true >/dev/null
jq '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = "/hako-bench/seal"' "$W/true/config.json" > "$W/c" && mv "$W/c" "$W/true/config.json"
baseline=
if [ -n "${BASELINE:-}" ]; then
    mkdir "$W/base" && cp "$BASELINE" "$W/base/hako"
    baseline="baseline=$W/base/hako --root $W/state-base run --bundle $W/true r"
fi
python3 "$here/bench/interleave.py" "$runs" \
    "hako=$W/rw/hako --root $W/state-hako run --bundle $W/true r" \
    "hako-ro=$W/ro/hako --root $W/state-hako run --bundle $W/true r" \
    "hako-memfd=HAKO_SEAL=memfd $W/rw/hako --root $W/state-hako run --bundle $W/true r" \
    ${baseline:+"$baseline"} \
    "crun=crun --root $W/state-crun run --bundle $W/true r"
