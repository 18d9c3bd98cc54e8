#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) against a real systemd, side
# by side with runc: the container's cgroup is the transient scope
# prefix-name.scope in its slice, linux.resources go into that scope's
# files, and delete, run without the flag, stops the unit. Runs where
# systemd is PID 1 on a cgroup v2 host: the systemd guest,
#     V2VM_SYSTEMD=1 scripts/cgroup2-vm/run -t 900 sh -c 'bats Tests/cgroups/systemd.bats'
# and skips elsewhere (this host has no systemd).

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires systemd || return 0
    setup_template sleep 100
}
setup() {
    setup_test sd
    requires systemd
    setup_bundle
    cfg '.linux.cgroupsPath = $cg | .linux.resources.memory.limit = 67108864' --arg cg "system.slice:hako-test:$NAME"
}
teardown() {
    teardown_test
    # What a failed test may have left of the units.
    local u
    for u in "hako-test-$NAME.scope" "hako-test-$NAME-runc.scope"; do
        systemctl stop "$u" 2>/dev/null || true
        systemctl reset-failed "$u" 2>/dev/null || true
    done
}

# scope_dir UNIT: the unit's cgroup directory, as systemd says it.
scope_dir() { echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$1")"; }

# runc_scope_bundle: runc_bundle ($RB), its unit hako-test-$NAME-runc.scope.
runc_scope_bundle() {
    runc_bundle
    jq --arg cg "system.slice:hako-test:$NAME-runc" '.linux.cgroupsPath = $cg' "$RB/config.json" > "$RB/c.new"
    mv "$RB/c.new" "$RB/config.json"
}

# same_props UNIT RUNC-UNIT PROPERTY...: systemd says the same of both units.
same_props() {
    local unit=$1 runit=$2 p
    shift 2
    for p in "$@"; do assert_same "$p" "$(systemctl show -P "$p" "$unit")" "$(systemctl show -P "$p" "$runit")"; done
}

# same_files DIR RUNC-DIR FILE...: both scopes' cgroup files say the same.
same_files() {
    local dir=$1 rdir=$2 f
    shift 2
    for f in "$@"; do assert_same "$f" "$(cat "$dir/$f")" "$(cat "$rdir/$f")"; done
}

# unit_listed UNIT: whether systemd knows the unit at all (any state).
unit_listed() { systemctl list-units --all --no-legend "$1" | grep -q -F "$1"; }

@test "run --systemd-cgroup: the container is in its active scope, with its memory limit, which a daemon-reload keeps; runc alike" {
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    local unit=hako-test-$NAME.scope pid dir
    [ "$(systemctl is-active "$unit")" = active ]
    pid=$(hk state "$NAME" | jq -r .pid)
    dir=$(scope_dir "$unit")
    [ "$dir" = "/sys/fs/cgroup/system.slice/$unit" ]
    grep -q -x "$pid" "$dir/cgroup.procs"
    [ "$(cat "$dir/memory.max")" = 67108864 ]
    # Commands without the flag find the driver in the state.
    hk pause "$NAME"
    [ "$(cat "$dir/cgroup.freeze")" = 1 ]
    hk resume "$NAME"
    [ "$(cat "$dir/cgroup.freeze")" = 0 ]
    hk update --memory 100663296 "$NAME"
    [ "$(cat "$dir/memory.max")" = 100663296 ]
    # systemd keeps the limits as the unit's too: a daemon-reload rewrites
    # the scope's files from them, and must not undo create's or update's.
    [ "$(systemctl show -P MemoryMax "$unit")" = 100663296 ]
    systemctl daemon-reload
    [ "$(cat "$dir/memory.max")" = 100663296 ]

    requires runc
    runc_scope_bundle
    rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    local runit=hako-test-$NAME-runc.scope rdir
    rdir=$(scope_dir "$runit")
    assert_same "unit state" "$(systemctl is-active "$unit")" "$(systemctl is-active "$runit")"
    assert_same "cgroup" "$dir" "${rdir%-runc.scope}.scope"
    grep -q -x "$(rc state "$NAME-runc" | jq -r .pid)" "$rdir/cgroup.procs"
    assert_same "memory.max at create" 67108864 "$(cat "$rdir/memory.max")"
    systemctl daemon-reload
    assert_same "memory.max after daemon-reload" 67108864 "$(cat "$rdir/memory.max")"
}

@test "delete, without --systemd-cgroup, of a stopped container: its unit and its cgroup are gone; runc alike" {
    local unit=hako-test-$NAME.scope dir
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    dir=$(scope_dir "$unit")
    [ -d "$dir" ]
    hk kill "$NAME" KILL
    for _ in $(seq 100); do [ "$(status_of "$NAME")" = stopped ] && break; sleep 0.1; done
    hk delete "$NAME"
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "$dir" ]

    requires runc
    runc_scope_bundle
    rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    rc kill "$NAME-runc" KILL
    for _ in $(seq 100); do [ "$(rc state "$NAME-runc" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    rc delete "$NAME-runc"
    run unit_listed "hako-test-$NAME-runc.scope"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/hako-test-$NAME-runc.scope" ]
}

@test "delete --force of a running container stops its unit; kill --all reaches the scope" {
    local unit=hako-test-$NAME.scope dir
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    dir=$(scope_dir "$unit")
    hk exec -d "$NAME" sleep 200
    [ "$(wc -l < "$dir/cgroup.procs")" -ge 2 ]
    hk kill --all "$NAME" STOP
    grep -q T "/proc/$(hk state "$NAME" | jq -r .pid)/stat"
    hk delete --force "$NAME"
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "$dir" ]
}

@test "--systemd-cgroup with a cgroupsPath that is not slice:prefix:name is an error naming linux.cgroupsPath; runc refuses it too" {
    cfg '.linux.cgroupsPath = "/hako-test/plain"'
    run hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    assert_status 1
    [[ $output == *linux.cgroupsPath* ]]
    [ -z "$(hk list -q)" ]

    requires runc
    runc_bundle
    run rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    [ "$status" -ne 0 ]
    echo "runc: $output" >&3
}

@test "a create that fails after the unit started stops it; delete --force of a create SIGKILLed there stops it too" {
    local unit=hako-test-$NAME.scope pid
    run env HAKO_FAIL_AT="id maps and cgroup done; init goes on" "$HAKO" --root "$T/state" --systemd-cgroup create --bundle "$B" "$NAME" </dev/null
    assert_status 1
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/$unit" ]

    # A createRuntime hook holds create once the unit has the init.
    cfg '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "100"]}]'
    "$HAKO" --root "$T/state" --systemd-cgroup create --bundle "$B" "$NAME" </dev/null >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 300); do [ "$(systemctl is-active "$unit")" = active ] && break; sleep 0.1; done
    [ "$(systemctl is-active "$unit")" = active ]
    kill -KILL "$pid"
    wait "$pid" || true
    hk delete --force "$NAME"
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/$unit" ]
}

@test "run --systemd-cgroup: memory reservation and swap, cpu shares, quota and period, cpus, unified memory.high are the unit's properties and files; runc alike" {
    cfg '.linux.resources.memory.reservation = 33554432 | .linux.resources.memory.swap = 134217728
        | .linux.resources.cpu = {"shares": 1024, "quota": 20000, "period": 50000, "cpus": "0"}
        | .linux.resources.unified = {"memory.high": "50331648"}'
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    local unit=hako-test-$NAME.scope dir
    dir=$(scope_dir "$unit")
    [ "$(systemctl show -P MemoryLow "$unit")" = 33554432 ]
    [ "$(systemctl show -P MemorySwapMax "$unit")" = 67108864 ]
    [ "$(systemctl show -P CPUWeight "$unit")" = 39 ]
    [ "$(systemctl show -P CPUQuotaPerSecUSec "$unit")" = 400ms ]
    [ "$(systemctl show -P CPUQuotaPeriodUSec "$unit")" = 50ms ]
    [ "$(systemctl show -P AllowedCPUs "$unit")" = 0 ]
    [ "$(systemctl show -P MemoryHigh "$unit")" = 50331648 ]
    [ "$(cat "$dir/memory.low")" = 33554432 ]
    [ "$(cat "$dir/memory.swap.max")" = 67108864 ]
    [ "$(cat "$dir/cpu.weight")" = 39 ]
    [ "$(cat "$dir/cpu.max")" = "20000 50000" ]
    [ "$(cat "$dir/cpuset.cpus")" = 0 ]
    # systemd writes the files again from the properties: nothing changes.
    systemctl daemon-reload
    [ "$(cat "$dir/cpu.max")" = "20000 50000" ]
    [ "$(cat "$dir/memory.low")" = 33554432 ]

    requires runc
    runc_scope_bundle
    rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    local runit=hako-test-$NAME-runc.scope rdir
    rdir=$(scope_dir "$runit")
    same_props "$unit" "$runit" MemoryMax MemoryLow MemorySwapMax CPUWeight CPUQuotaPerSecUSec CPUQuotaPeriodUSec AllowedCPUs TasksMax MemoryHigh
    same_files "$dir" "$rdir" memory.max memory.low memory.swap.max cpu.weight cpu.max cpuset.cpus memory.high
}

@test "update of a --systemd-cgroup container changes the unit's CPU quota (rounded up to whole percents) and memory limit, and the files; runc alike" {
    cfg '.linux.resources.cpu = {"quota": 20000, "period": 100000}'
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    local unit=hako-test-$NAME.scope dir
    dir=$(scope_dir "$unit")
    hk update --cpu-quota 12345 --memory 100663296 "$NAME"
    [ "$(systemctl show -P CPUQuotaPerSecUSec "$unit")" = 130ms ]
    [ "$(systemctl show -P MemoryMax "$unit")" = 100663296 ]
    [ "$(cat "$dir/cpu.max")" = "13000 100000" ]
    [ "$(cat "$dir/memory.max")" = 100663296 ]
    systemctl daemon-reload
    [ "$(cat "$dir/cpu.max")" = "13000 100000" ]

    requires runc
    runc_scope_bundle
    rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    local runit=hako-test-$NAME-runc.scope rdir
    rdir=$(scope_dir "$runit")
    rc update --cpu-quota 12345 --memory 100663296 "$NAME-runc"
    same_props "$unit" "$runit" CPUQuotaPerSecUSec CPUQuotaPeriodUSec MemoryMax
    same_files "$dir" "$rdir" memory.max
    # runc 1.1 writes the quota unrounded, then systemd's rounded one at a
    # daemon-reload; newer runc writes the rounded one at once, as hako.
    echo "runc's cpu.max after update: $(cat "$rdir/cpu.max")" >&3
    # A period alone keeps the quota in force (runc takes its config's).
    hk update --cpu-period 50000 "$NAME"
    [ "$(systemctl show -P CPUQuotaPerSecUSec "$unit")" = 260ms ]
    [ "$(cat "$dir/cpu.max")" = "13000 50000" ]
}

@test "org.systemd.property.* annotations are the unit's properties, Sec in seconds as USec; linux.resources wins over one; runc alike" {
    cfg '.annotations = {"org.systemd.property.CollectMode": "'"'inactive-or-failed'"'", "org.systemd.property.TimeoutStopSec": "7",
        "org.systemd.property.MemoryMax": "uint64 33554432"}'
    hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    local unit=hako-test-$NAME.scope
    [ "$(systemctl show -P CollectMode "$unit")" = inactive-or-failed ]
    [ "$(systemctl show -P TimeoutStopUSec "$unit")" = 7s ]
    [ "$(systemctl show -P MemoryMax "$unit")" = 67108864 ]

    requires runc
    runc_scope_bundle
    rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
    same_props "$unit" "hako-test-$NAME-runc.scope" CollectMode TimeoutStopUSec MemoryMax
}

@test "a bad or unknown org.systemd.property.* annotation or a bad cpuset is an error naming it, and leaves no unit and no cgroup; runc refuses them too" {
    local unit=hako-test-$NAME.scope
    cfg '.annotations = {"org.systemd.property.TimeoutStopSec": "'"'1min'"'"}'
    run hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    assert_status 1
    [[ $output == *annotations.org.systemd.property.TimeoutStopSec* ]]
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/$unit" ]
    [ -z "$(hk list -q)" ]

    cfg 'del(.annotations) | .linux.resources.cpu.cpus = "3-1"'
    run hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    assert_status 1
    [[ $output == *linux.resources.cpu.cpus* ]]
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/$unit" ]

    # A name systemd does not know passes hako's checks; systemd's refusal
    # names the annotation.
    cfg '.linux.resources.cpu.cpus = "0" | .annotations = {"org.systemd.property.Bogus": "1"}'
    run hk --systemd-cgroup run -d --bundle "$B" "$NAME" </dev/null
    assert_status 1
    [[ $output == *annotations.org.systemd.property.Bogus* ]]
    run unit_listed "$unit"
    [ "$status" -ne 0 ]
    [ ! -d "/sys/fs/cgroup/system.slice/$unit" ]
    [ -z "$(hk list -q)" ]

    requires runc
    runc_scope_bundle
    local filter
    for filter in '.linux.resources.cpu.cpus = "3-1" | del(.annotations)' \
        '.annotations = {"org.systemd.property.TimeoutStopSec": "'"'1min'"'"} | del(.linux.resources.cpu)' \
        '.annotations = {"org.systemd.property.Bogus": "1"}'; do
        jq "$filter" "$RB/config.json" > "$RB/c.new"
        mv "$RB/c.new" "$RB/config.json"
        run rc --systemd-cgroup run -d --bundle "$RB" "$NAME-runc" </dev/null
        [ "$status" -ne 0 ]
        echo "runc refuses $filter: $output" >&3
    done
}
