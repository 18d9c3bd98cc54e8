#!/usr/bin/env bats
# Who reaps a container's orphans, and what delete waits for. `run` and
# `create` make hako the child subreaper (PR_SET_CHILD_SUBREAPER) unless
# run's --no-subreaper, as runc does: a container without its own pid
# namespace whose processes leave orphans hands them to hako, which reaps
# them, instead of to whatever the host's init is. delete kills what is the
# container's and returns only once its cgroups are empty and removed, or
# after a bound (5 s) with the processes that stayed named, exit 1, and the
# state kept for another try. Every wait here is on the event, bounded.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 1000; }
setup() { setup_test reap; B=$T/bundle; cp -a "$TEMPLATE" "$B"; }

# A frozen cgroup is thawed first, or its processes could not die.
teardown() {
    for f in /sys/fs/cgroup/freezer/hako-test/${NAME:-}/held/freezer.state; do if [ -e "$f" ]; then echo THAWED > "$f"; fi; done
    teardown_test
}

hk() { HAKO_TEST=$NAME "$HAKO" --root "$T/state" "$@"; }
own_cgroups() { ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null || true; }
cfg() { jq --arg cg "/hako-test/$NAME" --arg m "HAKO_TEST=$NAME" ".linux.cgroupsPath = \$cg | .process.env += [\$m] | $1" "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"; }

# The pid of this test's process whose command line is exactly ARGS, once
# it exists (30 s at most).
pid_of() {
    local p i
    for i in $(seq 300); do
        for p in $(own_pids); do
            [ "$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)" = "$* " ] && { echo "$p"; return 0; }
        done
        sleep 0.1
    done
    return 1
}

# What this test's container may leave: live processes, cgroups, state.
leftovers() { own_pids; own_cgroups; ls "$T/state" 2>/dev/null | grep -v '^@' || true; }

ppid_of() { awk '/^PPid:/ {print $2}' "/proc/$1/status"; }

# A container without a pid namespace whose shell leaves an orphan,
# `sleep 1001`, and then becomes `sleep 1000`.
ORPHAN='.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "(sleep 1001 &); exec sleep 1000"]'

@test "run is the subreaper of the container's orphans; with --no-subreaper they go to the host; either way nothing is left" {
    cfg "$ORPHAN"
    for mode in subreaper no-subreaper; do
        flag=; [ $mode = no-subreaper ] && flag=--no-subreaper
        # hako itself in the background (through hk, $! would be a subshell).
        HAKO_TEST=$NAME "$HAKO" --root "$T/state" run $flag --bundle "$B" "$NAME" </dev/null >/dev/null 2>&1 &
        run_pid=$!
        orphan=$(pid_of sleep 1001)
        init=$(pid_of sleep 1000)
        parent=$(ppid_of "$orphan")
        echo "$mode: hako run $run_pid, init $init, orphan $orphan with parent $parent"
        if [ $mode = subreaper ]; then [ "$parent" = "$run_pid" ]; else [ "$parent" != "$run_pid" ]; [ "$parent" != "$init" ]; fi
        # The init dies; run deletes the container, orphan and cgroups included.
        kill -KILL "$init"
        wait_pids 60 "$run_pid"
        [ "${WAIT_STATUSES[0]}" -eq 137 ]
        left=$(leftovers)
        [ -z "$left" ] || { echo "$mode left: $left"; return 1; }
    done
}

@test "delete of a stopped container without a pid namespace kills the orphans left in its cgroup, and returns once they are gone" {
    cfg "$ORPHAN"
    hk run -d --bundle "$B" "$NAME" </dev/null
    orphan=$(pid_of sleep 1001)
    kill -KILL "$(pid_of sleep 1000)"
    for i in $(seq 300); do [ "$(hk state "$NAME" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    [ "$(hk state "$NAME" | jq -r .status)" = stopped ]
    kill -0 "$orphan"
    # Not --force: the container is stopped, but its orphan is still in its cgroup.
    hk delete "$NAME"
    left=$(leftovers)
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "delete --force of a container with 40 processes returns once all are gone and its cgroups removed" {
    cfg '.process.args = ["sh", "-c", "for i in $(seq 40); do sleep 1000 & done; exec sleep 1000"]'
    hk run -d --bundle "$B" "$NAME" </dev/null
    for i in $(seq 300); do [ "$(own_pids | wc -l)" -ge 41 ] && break; sleep 0.1; done
    [ "$(own_pids | wc -l)" -ge 41 ]
    hk delete --force "$NAME"
    # Checked at once: delete has waited for them.
    left=$(leftovers)
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "delete's wait is bounded: a process that cannot die (frozen in a child cgroup) is named, exit 1, state kept; thawed, delete --force ends it" {
    [ -d /sys/fs/cgroup/freezer ] || skip "needs the cgroup v1 freezer (a v2 freezer lets SIGKILL through, so nothing can be held there)"
    cfg '.'
    hk run -d --bundle "$B" "$NAME" </dev/null
    init=$(pid_of sleep 1000)
    # Only the freezer hierarchy is frozen below the container's cgroup.
    held=/sys/fs/cgroup/freezer/hako-test/$NAME/held
    mkdir "$held"
    echo "$init" > "$held/cgroup.procs"
    echo FROZEN > "$held/freezer.state"
    for i in $(seq 300); do [ "$(cat "$held/freezer.state")" = FROZEN ] && break; sleep 0.1; done
    start=$SECONDS
    run hk delete --force "$NAME"
    echo "after $((SECONDS - start)) s: $status: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot remove cgroup"*"processes $init are in it"*"state kept"* ]]
    # Bounded (5 s in hako; generous here, under any load).
    [ $((SECONDS - start)) -lt 60 ]
    [ -d "$T/state/$NAME" ]
    echo THAWED > "$held/freezer.state"
    hk delete --force "$NAME"
    left=$(leftovers)
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}
