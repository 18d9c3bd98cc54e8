#!/bin/sh
# bench/seal.sh [RUNS]: what the CVE-2019-5736 seal costs a `run` of
# /bin/true, side by side with crun (hyperfine, alternating, medians):
#   hako         as installed: re-executes from a read-only overlayfs;
#   hako-ro      the same binary on a read-only bind mount, where no seal
#                is needed: the cost of hako without the re-execution;
#   hako-memfd   overlayfs unavailable (HAKO_SEAL=memfd): the sealed copy;
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
    for rt in hako crun; do
        bin=$rt; [ $rt = hako ] && bin=$W/rw/hako
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
hyperfine -N --warmup 5 --runs "$runs" --export-json "$W/run.json" \
    -n hako "$W/rw/hako --root $W/state-hako run --bundle $W/true r" \
    -n hako-ro "$W/ro/hako --root $W/state-hako run --bundle $W/true r" \
    -n hako-memfd "env HAKO_SEAL=memfd $W/rw/hako --root $W/state-hako run --bundle $W/true r" \
    -n crun "crun --root $W/state-crun run --bundle $W/true r" >/dev/null 2>&1
echo "| runtime | wall ms (median) | user+sys ms (mean) | wall / crun | CPU / crun |"
echo "|---|---|---|---|---|"
jq -r '(.results[] | select(.command == "crun")) as $c | .results[] |
    "| \(.command) | \(.median * 1000 * 100 | round / 100) | \((.user + .system) * 1000 * 100 | round / 100) | \(.median / $c.median * 100 | round / 100) | \((.user + .system) / ($c.user + $c.system) * 100 | round / 100) |"' "$W/run.json"
