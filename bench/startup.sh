#!/bin/sh
# bench/startup.sh [RUNS] [SECCOMP]: times `RUNTIME run` of /bin/true on one
# busybox bundle for hako, crun and runc side by side in one hyperfine
# session and prints each median with its ratio to hako's. SECCOMP is an OCI
# linux.seccomp object to put in the bundle, e.g. podman's default profile
# made with: bench/oci-seccomp.py /usr/share/containers/seccomp.json
#
# Debian's crun refuses this host's hybrid cgroup layout, so everything runs
# in a private mount namespace without the cgroup2 "unified" tree
# (scripts/without-unified): crun then sees plain v1. The host's mounts are
# not changed, and every runtime runs under the same conditions.
set -eu
runs=${1:-50}
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/.build/release/hako}
for tool in hyperfine jq unshare crun runc; do
    command -v $tool >/dev/null || { echo "startup.sh: $tool is missing (apt-get install hyperfine jq crun runc)" >&2; exit 1; }
done
[ -x "$hako" ] || { echo "startup.sh: no hako at $hako; swift build -c release" >&2; exit 1; }

work=$(mktemp -d /tmp/hako-bench.XXXXXX)
trap 'rm -rf "$work"; rmdir /sys/fs/cgroup/*/hako-bench 2>/dev/null || true' EXIT
HAKO=$hako "$here/scripts/busybox-bundle" "$work/bundle" /bin/true >/dev/null
# crun 1.8 refuses ociVersion 1.2.0; nothing in this bundle needs more than 1.0.
jq '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = "/hako-bench/true"' "$work/bundle/config.json" > "$work/c" && mv "$work/c" "$work/bundle/config.json"
if [ -n "${2:-}" ]; then
    jq --slurpfile s "$2" '.linux.seccomp = $s[0]' "$work/bundle/config.json" > "$work/c" && mv "$work/c" "$work/bundle/config.json"
fi

b=$work/bundle
"$here/scripts/without-unified" sh -ec '
    hyperfine -N --warmup 5 --runs "$1" --export-json "$2/times.json" \
        -n hako "$3 --root $2/hako run --bundle $4 b" \
        -n crun "crun --root $2/crun run --bundle $4 b" \
        -n runc "runc --root $2/runc run --bundle $4 b" >/dev/null
' bench "$runs" "$work" "$hako" "$b"

jq -r '
  def ms: . * 1000 * 100 | round / 100;
  (.results[] | select(.command == "hako") | .median) as $h
  | ["runtime", "median_ms", "mean_ms", "min_ms", "user_ms", "sys_ms", "median/hako"],
    (.results[] | [.command, (.median|ms), (.mean|ms), (.min|ms), (.user|ms), (.system|ms), (.median / $h * 100 | round / 100)])
  | @tsv
' "$work/times.json" | column -t
