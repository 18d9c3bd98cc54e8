#!/bin/sh
# bench/many.sh [COUNT] [PARALLEL]: COUNT (default 1000) `run -d` of a
# sleeping busybox for hako, crun and runc, PARALLEL (default 100) at a time,
# then every one deleted; one runtime after the other, on the same bundle.
# Prints a Markdown table: the time to start them all, how many failed to
# start, how many were running afterwards, the time to delete them all, the
# cgroups and processes (inits still in the runtime's cgroups, which the
# script then kills) each runtime's delete left, and the memory the machine had in use at the peak above what it used before
# (MemTotal - MemAvailable, sampled every 50 ms: the runtimes' own processes
# while they run plus what each container keeps: init, cgroups, mounts).
# Called by bench/all.sh; runs alone as well (then inside
# scripts/without-unified, as all.sh does, so that Debian's crun starts).
set -eu
count=${1:-1000}
par=${2:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
hako=${HAKO:-$here/.build/release/hako}
[ -n "${BENCH_INSIDE:-}" ] || exec env BENCH_INSIDE=1 "$here/scripts/without-unified" "$0" "$@"
W=$(mktemp -d /tmp/hako-many.XXXXXX)
sampler=
# The processes still in a runtime's cgroups (the containers' inits, which
# this script started): what a runtime's delete left running.
leftover() { cat /sys/fs/cgroup/pids/hako-many/$1/*/cgroup.procs 2>/dev/null || true; }
# Kills them, and waits (5 s at most) until they have left their cgroups.
kill_leftover() {
    for pid in $(leftover $1); do kill -KILL "$pid" 2>/dev/null || true; done
    n=0; while [ -n "$(leftover $1)" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
cleanup() {
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
    for rt in hako crun runc; do
        for id in $(rt $rt list -q 2>/dev/null); do rt $rt delete --force "$id" >/dev/null 2>&1 || true; done
        kill_leftover $rt
    done
    find /sys/fs/cgroup/*/hako-many -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
cp "$hako" "$W/hako" && hako=$W/hako
rt() { name=$1; shift; bin=$name; [ "$name" = hako ] && bin=$hako; "$bin" --root "$W/state-$name" "$@"; }
HAKO=$hako "$here/scripts/busybox-bundle" "$W/sleep" sleep 100000 >/dev/null
used() { awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a }' /proc/meminfo; }
now() { date +%s%N; }
# A config per container, for a cgroupsPath of its own; all share one rootfs.
mkbundles() { # RUNTIME: each runtime's cgroups under a parent of its own
    i=1
    while [ $i -le "$count" ]; do
        mkdir -p "$W/b/m$i"
        jq --arg cg "/hako-many/$1/m$i" --arg r "$W/sleep/rootfs" '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = $cg | .root.path = $r' \
            "$W/sleep/config.json" > "$W/b/m$i/config.json"
        i=$((i + 1))
    done
}
echo "| runtime | start $count, s | failed to start | running after | delete $count, s | cgroups left after delete | processes left after delete | peak memory in use above idle, MB |"
echo "|---|---|---|---|---|---|---|---|"
for rt in hako crun runc; do
    rm -rf "$W/b"; mkbundles $rt
    sync
    idle=$(used)
    ( peak=0; while :; do u=$(used); [ "$u" -gt "$peak" ] && { peak=$u; echo "$peak" > "$W/peak-$rt"; }; sleep 0.05; done ) &
    sampler=$!
    s=$(now)
    seq "$count" | xargs -P "$par" -I{} sh -c '"$0" --root "$1" run -d --bundle "$2/b/m{}" "m{}" >/dev/null 2>>"$2/err-$3" </dev/null || echo x >> "$2/fail-$3"' \
        "$( [ $rt = hako ] && echo "$hako" || command -v $rt )" "$W/state-$rt" "$W" "$rt"
    started=$(( $(now) - s ))
    running=$(rt $rt list -q 2>/dev/null | grep -c '^m' || true)
    failed=$(cat "$W/fail-$rt" 2>/dev/null | wc -l)
    s=$(now)
    rt $rt list -q 2>/dev/null | xargs -r -P "$par" -n 10 sh -c 'bin=$0 root=$1; shift; for id; do "$bin" --root "$root" delete --force "$id" >/dev/null 2>&1; done' \
        "$( [ $rt = hako ] && echo "$hako" || command -v $rt )" "$W/state-$rt"
    deleted=$(( $(now) - s ))
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=
    peak=$(cat "$W/peak-$rt" 2>/dev/null || echo "$idle")
    left=$(rt $rt list -q 2>/dev/null | grep -c '^m' || true)
    cgleft=$(find /sys/fs/cgroup/*/hako-many/$rt -mindepth 1 -type d 2>/dev/null | wc -l)
    procleft=$(leftover $rt | wc -l)
    awk -v rt=$rt -v s="$started" -v f="$failed" -v r="$running" -v d="$deleted" -v p="$peak" -v i="$idle" -v l="$left" -v n="$count" -v c="$cgleft" -v q="$procleft" \
        'BEGIN { printf "| %s | %.2f | %d | %d/%d | %.2f%s | %d | %d | %.0f |\n", rt, s / 1e9, f, r, n, d / 1e9, (l > 0 ? " (" l " not deleted)" : ""), c, q, (p - i) / 1024 }'
    # What the runtime left is killed here, so the next runtime starts clean.
    kill_leftover $rt
    find /sys/fs/cgroup/*/hako-many -depth -type d -exec rmdir {} \; 2>/dev/null || true
done
for rt in hako crun runc; do
    if [ -s "$W/err-$rt" ]; then echo; echo "$rt's first errors:"; echo; sort "$W/err-$rt" | uniq -c | sort -rn | head -3 | sed 's/^/    /'; fi
done
