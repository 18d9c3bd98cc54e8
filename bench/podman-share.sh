#!/bin/sh
# bench/podman-share.sh [RUNS]: the runtime's share of `podman run --rm`
# (every runtime call podman and conmon make: create, start, state, delete,
# ...) for hako and crun, measured the same way: each runtime is called
# through a wrapper that logs how long each call took; the script prints the
# median per run of the summed runtime time and of podman's whole wall time.
# Runs in a private mount namespace without the cgroup2 "unified" tree
# (scripts/without-unified), which Debian's crun needs on this host.
set -eu
runs=${1:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/.build/release/hako}
[ -n "${WITHOUT_UNIFIED_DONE:-}" ] || exec env WITHOUT_UNIFIED_DONE=1 "$here/scripts/without-unified" "$0" "$@"
T=$(mktemp -d /tmp/hako-podman-bench.XXXXXX)
trap 'podman --root $T/storage --runroot $T/run rm -af >/dev/null 2>&1; umount $T/storage/overlay 2>/dev/null; rm -rf $T; for d in /sys/fs/cgroup/*/libpod_parent; do [ -d $d ] && find $d -depth -type d -exec rmdir {} \; 2>/dev/null; done; true' EXIT
for rt in hako crun; do
    real=$hako; [ $rt = crun ] && real=$(command -v crun)
    # The wrapper's name must be the runtime's: podman treats crun and runc specially.
    mkdir -p "$T/wrap/$rt"
    cat > "$T/wrap/$rt/$rt" <<W
#!/bin/sh
s=\$(date +%s%N)
"$real" "\$@"
r=\$?
echo "\$(( \$(date +%s%N) - s )) \$*" >> $T/$rt.calls
exit \$r
W
    chmod +x "$T/wrap/$rt/$rt"
done
cat > "$T/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime_supports_json = ["crun", "runc", "hako"]
CONF
export CONTAINERS_CONF=$T/containers.conf
HAKO=$hako "$here/scripts/busybox-bundle" "$T/bundle" true >/dev/null
P="podman --root $T/storage --runroot $T/run"
tar -C "$T/bundle/rootfs" -c . | $P import - localhost/busybox >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for i in $(seq "$runs"); do
    for rt in hako crun; do
        : > "$T/$rt.calls"
        s=$(date +%s%N)
        $P run --rm --network none --runtime "$T/wrap/$rt/$rt" localhost/busybox true
        echo $(( $(date +%s%N) - s )) >> "$T/$rt.wall"
        awk '{ t += $1 } END { print t }' "$T/$rt.calls" >> "$T/$rt.share"
        [ "$i" = 1 ] && cut -d' ' -f2- "$T/$rt.calls" | sed "s/^/  $rt call: /" | sed 's/[0-9a-f]\{64\}/ID/g' | cut -c1-110
    done
done
printf '%-6s %14s %16s\n' runtime runtime_ms podman_wall_ms
for rt in hako crun; do
    printf '%-6s %14.2f %16.2f\n' $rt "$(median < $T/$rt.share | awk '{print $1/1e6}')" "$(median < $T/$rt.wall | awk '{print $1/1e6}')"
done
