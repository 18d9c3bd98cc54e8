#!/usr/bin/env bats
# linux.resources as engines send them, side by side with runc: a zero is
# "not set" wherever runc reads it so (Docker 20.10 sends blockIO.weight 0
# and cpu.shares 0 for every container), `update` applies all or nothing,
# and `check` finds what create would refuse. This host's cgroup files are
# read back: v1 here, v2 in the cgroup v2 guest (scripts/test runs it there).

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 100; }
setup() { setup_test res; }
teardown() { teardown_test; }

# bundle RT JQ-FILTER: a bundle for runtime RT in cgroup /hako-test/$NAME-RT.
bundle() {
    cp -a "$TEMPLATE" "$T/$1"
    jq --arg cg "/hako-test/$NAME-$1" ".linux.cgroupsPath = \$cg | $2" "$T/$1/config.json" > "$T/c" && mv "$T/c" "$T/$1/config.json"
}

# The cgroup v1 file of runtime RT's container (empty on other layouts).
cg() { cat "/sys/fs/cgroup/$2/hako-test/$NAME-$1/$3" 2>/dev/null | head -1; }
# The cgroup v2 file, on a unified host.
cg2() { cat "/sys/fs/cgroup/hako-test/$NAME-$1/$2" 2>/dev/null | head -1; }
unified() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# What Docker 20.10 sends for `docker run` without limits, and what a
# plain bundle may say: every "unset" as a zero.
ZEROS='.linux.resources = {
    "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0, "disableOOMKiller": false},
    "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
    "pids": {"limit": 0},
    "blockIO": {"weight": 0, "leafWeight": 0, "weightDevice": [{"major": 1, "minor": 3, "weight": 0, "leafWeight": 0}]},
    "devices": [{"allow": false, "access": "rwm"}]}'

values() {
    if unified; then
        echo "cpu.weight=$(cg2 "$1" cpu.weight) cpu.max=$(cg2 "$1" cpu.max) pids.max=$(cg2 "$1" pids.max)"
        echo "memory.max=$(cg2 "$1" memory.max) swap=$(cg2 "$1" memory.swap.max) io.weight=$(cg2 "$1" io.bfq.weight)$(cg2 "$1" io.weight)"
        return
    fi
    echo "cpu.shares=$(cg "$1" cpu cpu.shares) quota=$(cg "$1" cpu cpu.cfs_quota_us) period=$(cg "$1" cpu cpu.cfs_period_us)"
    echo "pids.max=$(cg "$1" pids pids.max) memory=$(cg "$1" memory memory.limit_in_bytes) cpus=$(cg "$1" cpuset cpuset.cpus)"
}

@test "zeros are unset: create with Docker's resources gives the kernel's defaults, as runc" {
    requires runc
    for rt in hako runc; do
        bundle $rt "$ZEROS"
        rt_$rt create --bundle "$T/$rt" "$NAME" </dev/null >/dev/null
    done
    hako=$(values hako); runc=$(values runc)
    echo "hako: $hako"; echo "runc: $runc"
    [ "$hako" = "$runc" ]
    if unified; then
        # cpu.shares 0 is not cpu.weight 0 (which the kernel refuses): the default 100 stays.
        [[ "$hako" == "cpu.weight=100 cpu.max=max 100000 pids.max=max"* ]]
    else
        [[ "$hako" == "cpu.shares=1024 quota=-1 period=100000"* ]]
    fi
}

@test "zeros are unset: check finds no problem in Docker's resources" {
    bundle hako "$ZEROS"
    run "$HAKO" check --bundle "$T/hako"
    echo "$output"
    [ "$status" -eq 0 ] && [[ "$output" == *"no problems found"* ]]
}

@test "update with Docker's payload: the memory limit changes, nothing else, as runc" {
    requires runc
    payload='{"memory": {"limit": 67108864, "reservation": 0, "swap": 134217728, "kernel": 0, "kernelTCP": 0},
      "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
      "pids": {"limit": 0}, "blockIO": {"weight": 0}}'
    for rt in hako runc; do
        bundle $rt '.'
        rt_$rt run -d --bundle "$T/$rt" "$NAME" </dev/null
        echo "$payload" | rt_$rt update --resources - "$NAME"
    done
    hako=$(values hako); runc=$(values runc)
    echo "hako: $hako"; echo "runc: $runc"
    [ "$hako" = "$runc" ]
    if unified; then
        [[ "$hako" == *"memory.max=67108864 swap=67108864"* ]] && [[ "$hako" == "cpu.weight=100 "* ]]
    else
        [[ "$hako" == *"memory=67108864"* ]] && [[ "$hako" == "cpu.shares=1024"* ]]
    fi
}

@test "update is all or nothing: a write the kernel refuses undoes the earlier ones" {
    [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpuset ] || skip "needs cgroup v1 memory and cpuset hierarchies"
    bundle hako '.'
    rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    before=$(values hako)
    # The memory limit and reservation are written before cpuset, which
    # names CPUs this host lacks: only the kernel can refuse that.
    run rt_hako update --memory 64m --memory-reservation 32m --cpuset-cpus 0-4095 "$NAME"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cpu.cpus"*"nothing was changed (2 earlier writes rolled back)"* ]]
    [ "$(values hako)" = "$before" ]
    [ "$(cg hako memory memory.soft_limit_in_bytes)" = "$(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes)" ]
    # runc leaves the first writes in place (written down, not compared).
}

@test "check predicts what create refuses: weights and shares out of the kernel's range" {
    [ -d /sys/fs/cgroup/cpu ] || skip "cpu.shares' range is v1's"
    for filter in '.linux.resources.cpu.shares = 1' '.linux.resources.blockIO.weight = 1001'; do
        rm -rf "$T/hako"; bundle hako "$filter"
        run "$HAKO" check --bundle "$T/hako"
        echo "check: $output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"linux.resources."* ]]
        # Output to a file: a create that wrongly succeeds leaves an init
        # holding its stdout, which `run` would wait on.
        rc=0; rt_hako create --bundle "$T/hako" "$NAME" > "$T/create.out" 2>&1 </dev/null || rc=$?
        echo "create: $(cat "$T/create.out")"
        [ "$rc" -eq 1 ]
        [ -z "$(rt_hako list -q)" ]
        # check gives create's own reason: out of range where the kernel has
        # the file, and on a kernel without CFQ or BFQ that it has no weight.
        reason=$(sed -n 's/^hako: config\.json: //p' "$T/create.out")
        [ -n "$reason" ]
        [[ "$output" == *"$reason"* ]]
        case $filter in
        *shares*) [[ "$reason" == *"outside the kernel's range"* ]] ;;
        *) [[ "$reason" == *"outside blkio."* || "$reason" == *"has no proportional block I/O weight"* ]] ;;
        esac
    done
}

# The kept config.json is exec's copy and what a restore brings back: left
# stale by update, it would undo the update. runc rewrites its own config.
@test "update refreshes the kept config.json member by member and leaves the device rules" {
    bundle hako '.linux.resources.pids.limit = 100 | .linux.resources.memory.reservation = 33554432'
    rt_hako create --bundle "$T/hako" "$NAME" </dev/null >/dev/null
    rt_hako update --pids-limit 42 --memory 64m "$NAME"
    kept=$T/hako-state/$NAME/config.json
    [ "$(jq .linux.resources.pids.limit "$kept")" = 42 ]
    [ "$(jq .linux.resources.memory.limit "$kept")" = 67108864 ]
    [ "$(jq .linux.resources.memory.reservation "$kept")" = 33554432 ]
    [ "$(jq -c .linux.resources.devices "$kept")" = "$(jq -c .linux.resources.devices "$T/hako/config.json")" ]
}

# The cgroup's pids.max of runtime RT's container, v1 or v2.
pids_max() { if unified; then cg2 "$1" pids.max; else cg "$1" pids pids.max; fi; }

# update writes the limit into the cgroup, not only into the kept config
# (the test above reads only that): Tests/breaks/update-pids.patch, which
# leaves pids.max as create wrote it, must fail here.
@test "update --pids-limit writes the cgroup's pids.max, as runc" {
    requires runc
    for rt in hako runc; do
        bundle $rt '.linux.resources.pids.limit = 100'
        rt_$rt create --bundle "$T/$rt" "$NAME" </dev/null >/dev/null
        rt_$rt update --pids-limit 42 "$NAME"
    done
    hako=$(pids_max hako); runc=$(pids_max runc)
    echo "hako: $hako"; echo "runc: $runc"
    [ "$runc" = 42 ]
    [ "$hako" = 42 ]
}
