#!/usr/bin/env bats
# kill in every state, side by side with runc: engines read its exit status
# and its words. containerd's runc shim (pkg/process/utils.go checkKillError)
# turns "container not running" and "no such process" into NotFound and
# "does not exist" into "no such container"; its CRI ignores NotFound when
# it stops a pod whose process has already exited. Anything else is an
# "unknown error after kill" and the pod never reaches EXITED.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 100; }
setup() { setup_test kill; }
teardown() { teardown_test; }

# bundle RT ARG...: a bundle for runtime RT whose process runs ARG..., in
# its own cgroup /hako-test/$NAME-RT.
bundle() {
    local rt=$1; shift
    local b=$T/$rt
    cp -a "$TEMPLATE" "$b"
    local a=$(for x in "$@"; do printf '%s\n' "$x"; done | jq -R . | jq -s -c .)
    jq --argjson a "$a" --arg cg "/hako-test/$NAME-$rt" '.process.args = $a | .linux.cgroupsPath = $cg' \
        "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
}

wait_status() {
    local rt=$1 want=$2
    for i in $(seq 600); do [ "$(rt_$rt state "$NAME" 2>/dev/null | jq -r .status)" = "$want" ] && return 0; sleep 0.05; done
    echo "$rt: $NAME never became $want" >&2; return 1
}

# outcome RT ARG...: "rc=N" and whether the error carries a text containerd's shim maps.
outcome() {
    local rt=$1; shift
    local rc=0 out
    out=$(rt_$rt "$@" 2>&1) || rc=$?
    local tag=""
    case $out in
    *"container not running"*) tag=" not-running" ;;
    *"does not exist"*) tag=" does-not-exist" ;;
    ?*) tag=" other: $out" ;;
    esac
    echo "rc=$rc$tag"
}

# The whole lifecycle, the same commands on both runtimes.
lifecycle() {
    local rt=$1
    bundle "$rt" sleep 100
    rt_$rt create --bundle "$T/$rt" "$NAME" </dev/null >/dev/null 2>&1
    echo "created: kill KILL: $(outcome "$rt" kill "$NAME" KILL)"
    wait_status "$rt" stopped
    echo "stopped: kill KILL: $(outcome "$rt" kill "$NAME" KILL)"
    echo "stopped: kill TERM: $(outcome "$rt" kill "$NAME" TERM)"
    echo "stopped: kill --all KILL: $(outcome "$rt" kill --all "$NAME" KILL)"
    rt_$rt delete "$NAME"
    rt_$rt run -d --bundle "$T/$rt" "$NAME" </dev/null >/dev/null 2>&1
    echo "running: kill --all KILL: $(outcome "$rt" kill --all "$NAME" KILL)"
    wait_status "$rt" stopped
    echo "stopped: kill -a KILL: $(outcome "$rt" kill -a "$NAME" KILL)"
    echo "stopped: kill KILL: $(outcome "$rt" kill "$NAME" KILL)"
    echo "stopped: state: $(rt_$rt state "$NAME" | jq -r .status)"
    rt_$rt delete "$NAME"
    echo "deleted: kill KILL: $(outcome "$rt" kill "$NAME" KILL)"
    echo "deleted: kill --all KILL: $(outcome "$rt" kill --all "$NAME" KILL)"
    echo "never created: kill KILL: $(outcome "$rt" kill "$NAME-none" KILL)"
}

@test "kill in every state: hako's exit status and words are runc's" {
    command -v runc >/dev/null || skip "runc is not installed: the comparison needs it"
    hako=$(lifecycle hako)
    runc=$(lifecycle runc)
    echo "hako:"; echo "$hako"; echo "runc:"; echo "$runc"
    [ "$hako" = "$runc" ]
    # And what runc 1.1 does, written down.
    [[ "$hako" == *"stopped: kill KILL: rc=1 not-running"* ]]
    [[ "$hako" == *"stopped: kill --all KILL: rc=0"* ]]
    [[ "$hako" == *"deleted: kill KILL: rc=1 does-not-exist"* ]]
}

# exited PID: the process is gone or a zombie.
exited() {
    local s
    s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "${s%% *}" = Z ]
}

@test "kill --all on a stopped container still reaches processes left in its cgroup" {
    # Without a pid namespace the init's children outlive it; runc's --all
    # signals the cgroup, so a stopped container can still be emptied.
    bundle hako sh -c 'sleep 100 & echo $! > /tmp/child; exit 0'
    jq '.linux.namespaces |= map(select(.type != "pid")) | .root.readonly = false' "$T/hako/config.json" > "$T/c"
    mv "$T/c" "$T/hako/config.json"
    rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    wait_status hako stopped
    child=$(cat "$T/hako/rootfs/tmp/child")
    [ -n "$child" ]
    kill -0 "$child"
    rt_hako kill --all "$NAME" KILL
    # Gone, or a zombie (killed, not yet reaped by whoever adopted it): kill
    # -0 succeeds on a zombie, so /proc/PID/stat's state is what is read.
    for i in $(seq 600); do exited "$child" && break; sleep 0.05; done
    exited "$child"
    rt_hako delete "$NAME"
}
