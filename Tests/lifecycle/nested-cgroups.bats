#!/usr/bin/env bats
# A container's cgroup may grow children: systemd in a container moves
# itself into init.scope, a nested engine makes one per workload. The
# container is still the whole subtree: ps lists its processes, kill --all
# reaches them, delete removes the child cgroups first, and on cgroup2 exec
# joins a container whose cgroup now has controllers enabled for children
# (it takes no processes of its own then: the init's cgroup takes the new
# one, as runc 1.2's exec does). Each case also runs on runc. The test makes the
# child cgroups from the host, as a container with a writable cgroupfs would.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 100; }
setup() { setup_test nest; }
teardown() { teardown_test; }

runtimes() { echo hako; command -v runc >/dev/null && echo runc || echo "runc is not installed: hako only" >&3; }

# start RT: a running container of runtime RT, cgroup /hako-test/$NAME-RT.
start() {
    cp -a "$TEMPLATE" "$T/$1"
    jq --arg cg "/hako-test/$NAME-$1" '.linux.cgroupsPath = $cg' "$T/$1/config.json" > "$T/c"
    mv "$T/c" "$T/$1/config.json"
    rt_$1 run -d --bundle "$T/$1" "$NAME-$1" </dev/null >/dev/null
}

# The container's cgroup directory in every hierarchy.
cgdirs() { ls -d /sys/fs/cgroup/*/hako-test/$NAME-$1 /sys/fs/cgroup/hako-test/$NAME-$1 2>/dev/null; }

# nest RT PID: PID into a child cgroup "child" in every hierarchy.
nest() {
    # cpuset takes no process before cpuset.cpus is set: that one stays.
    for d in $(cgdirs "$1"); do
        mkdir -p "$d/child"
        echo "$2" > "$d/child/cgroup.procs" 2>/dev/null || true
    done
}

# A process's host pid, started in the container by exec -d.
background() {
    rt_$1 exec -d --pid-file "$T/$1.pid" "$NAME-$1" sleep 300
    cat "$T/$1.pid"
}

gone() { for i in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; return 1; }

@test "delete --force removes the child cgroups and what runs in them" {
    for rt in $(runtimes); do
        start "$rt"
        pid=$(background "$rt")
        nest "$rt" "$pid"
        mkdir -p "$(cgdirs "$rt" | head -1)/child/deeper"
        rt_$rt delete --force "$NAME-$rt"
        gone "$pid" || { echo "$rt: delete left $pid running"; return 1; }
        [ -z "$(cgdirs "$rt")" ] || { echo "$rt left: $(cgdirs "$rt")"; return 1; }
    done
}

# runc 1.1.5 refuses this exec (EBUSY writing the container's cgroup.procs);
# runc 1.2 joins the init's cgroup, which hako does: hako only here.
@test "cgroup2: exec joins a container whose init moved into a child with controllers enabled" {
    u=/sys/fs/cgroup; [ -f $u/cgroup.controllers ] || u=/sys/fs/cgroup/unified
    [ -f $u/cgroup.controllers ] || skip "this host has no cgroup2 tree"
    for rt in hako; do
        start "$rt"
        d=$u/hako-test/$NAME-$rt
        ctl=$(cut -d' ' -f1 < "$d/cgroup.controllers")
        [ -n "$ctl" ] || skip "no controller is enabled for /hako-test's children in $u: the no-internal-processes rule cannot be shown"
        init=$(rt_$rt state "$NAME-$rt" | jq .pid)
        mkdir "$d/init"
        echo "$init" > "$d/init/cgroup.procs"
        echo "+$ctl" > "$d/cgroup.subtree_control"
        # The rule holds: the container's own cgroup takes no process now.
        if (echo $$ > "$d/cgroup.procs") 2>/dev/null; then echo "$d took a process beside a child with controllers"; false; fi
        run rt_$rt exec "$NAME-$rt" grep '^0::' /proc/self/cgroup
        [ "$status" -eq 0 ] || { echo "$rt exec: $output"; return 1; }
        [[ "$output" == *"/init" ]] || { echo "$rt exec joined $output"; return 1; }
    done
}
