#!/bin/bash
# bench/ab.sh OLD-HAKO NEW-HAKO [ROUNDS]: what a change costs. The CPU time
# (user + sys, from wait4, children included) of `run` of /bin/true and of
# `exec` of /bin/true into a running container, for two hako builds taking
# turns round by round, so that drift in the machine's load falls on both;
# prints each one's median and the ratio new/old. State roots on /run (a
# tmpfs, where engines keep them); cgroups /hako-test/ab-*, removed after.
# Either side may be another runtime with runc's command line (crun, under
# scripts/without-unified here); ociVersion is 1.0.2-dev, which crun 1.8 takes.
# Needs root, gcc, jq, busybox-static. Timings never go into test assertions.
set -eu
OLD=$1 NEW=$2 N=${3:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
W=/run/hako-ab.$$
trap 'rm -rf "$W"; rmdir /sys/fs/cgroup/*/hako-test/ab-* /sys/fs/cgroup/hako-test/ab-* 2>/dev/null || true' EXIT
mkdir -p "$W/old" "$W/new"
gcc -O2 -o "$W/cpu" "$here/bench/cpu.c"
# Copied to the tmpfs, both builds seal themselves (ExecutableSeal.swift);
# IN_PLACE=1 runs each where it lies, as installed (scripts/install binds
# its binary read-only, which needs no seal).
if [ "${IN_PLACE:-}" = 1 ]; then ln -s "$(realpath "$OLD")" "$W/old/hako"; ln -s "$(realpath "$NEW")" "$W/new/hako"
else cp "$OLD" "$W/old/hako"; cp "$NEW" "$W/new/hako"; fi
HAKO=$NEW "$here/scripts/busybox-bundle" "$W/b" true >/dev/null
jq '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = "/hako-test/ab-run"' "$W/b/config.json" > "$W/c" && mv "$W/c" "$W/b/config.json"
for v in old new; do
    HAKO=$NEW "$here/scripts/busybox-bundle" "$W/s-$v" sleep 100000 >/dev/null
    jq --arg cg "/hako-test/ab-sleep-$v" '.ociVersion = "1.0.2-dev" | .linux.cgroupsPath = $cg' "$W/s-$v/config.json" > "$W/c" && mv "$W/c" "$W/s-$v/config.json"
    "$W/$v/hako" --root "$W/st-$v" run -d --bundle "$W/s-$v" sl </dev/null >/dev/null 2>&1
done
for i in $(seq "$N"); do
    for v in old new; do
        echo "run $v $("$W/cpu" "$W/$v/hako" --root "$W/st-$v" run --bundle "$W/b" "r$i")"
        echo "exec $v $("$W/cpu" "$W/$v/hako" --root "$W/st-$v" exec sl /bin/true)"
    done
done > "$W/raw"
for v in old new; do "$W/$v/hako" --root "$W/st-$v" delete --force sl; done
median() { awk -v o="$1" -v v="$2" '$1 == o && $2 == v && $4 == 0 { print $3 }' "$W/raw" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for op in run exec; do
    o=$(median "$op" old) n=$(median "$op" new)
    echo "$op: old $o us, new $n us (median CPU of $N each), new/old $(awk -v a="$n" -v b="$o" 'BEGIN { printf "%.3f", a / b }')"
done
