#!/usr/bin/env bats
# A damaged state.json never makes hako forget a live container. create
# writes an intent record (Sources/Runtime/State/Intent.swift) before it
# makes anything: the cgroups it makes and the init's pid with its start
# time. With state.json truncated or garbage, `state` and `list` still show
# the container from that record, `delete` refuses a live one, and
# `delete --force` kills its processes, removes its cgroups and its state,
# and says what it could not do (the poststop hooks were only in the
# damaged file). With no record either, hako gives runc's answer: exit 1,
# the state kept, since nothing says which processes are the container's.
#
# runc 1.1 on the same damage: `delete --force` exits 1 ("unexpected EOF")
# and keeps the state, and the container runs on in its cgroups until
# someone kills it by hand. hako differs on purpose: the record it wrote
# before making anything names exactly what is the container's, so it can
# finish the job instead of leaving a running container nobody can delete.
# The first test runs runc on the same case and checks that answer.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 1000; }
setup() { setup_test dmg; }
# Whatever a failed test left: this test's marked processes, its
# containers, then its cgroups.
teardown() { teardown_test; }

# The mark is in hako's environment (the init shares it until exec) and in
# the container's process.env.
rt_hako() { HAKO_TEST=$NAME "$HAKO" --root "$T/hako-state" "$@"; }
rt_runc() { HAKO_TEST=$NAME runc --root "$T/runc-state" "$@"; }

own_cgroups() { ls -d /sys/fs/cgroup/*/hako-test/$NAME-$1 /sys/fs/cgroup/hako-test/$NAME-$1 2>/dev/null || true; }

# bundle RT JQ-FILTER: runtime RT's bundle, in cgroup /hako-test/$NAME-RT.
bundle() {
    cp -a "$TEMPLATE" "$T/$1"
    jq --arg cg "/hako-test/$NAME-$1" --arg m "HAKO_TEST=$NAME" \
        ".linux.cgroupsPath = \$cg | .process.env += [\$m] | $2" "$T/$1/config.json" > "$T/c" && mv "$T/c" "$T/$1/config.json"
}

# damage FILE HOW: truncated (cut inside the JSON), garbage or empty.
damage() {
    case $2 in
        truncated) head -c 60 "$1" > "$1.new" ;;
        garbage) printf '\x00\x01not json at all' > "$1.new" ;;
        empty) : > "$1.new" ;;
    esac
    mv "$1.new" "$1"
}

@test "truncated state.json of a running container: hako still sees it and delete --force removes it all; runc keeps it" {
    command -v runc >/dev/null || skip "runc is not installed: the comparison needs it"
    for rt in hako runc; do
        bundle "$rt" .
        rt_$rt run -d --bundle "$T/$rt" "$NAME" </dev/null
    done
    hpid=$(rt_hako state "$NAME" | jq .pid)
    rpid=$(rt_runc state "$NAME" | jq .pid)
    damage "$T/hako-state/$NAME/state.json" truncated
    damage "$T/runc-state/$NAME/state.json" truncated

    # hako: still there, still running, and not deleted without --force.
    [ "$(rt_hako state "$NAME" 2>"$T/err" | jq -r .status)" = running ]
    grep -q "corrupt state.*using the intent record" "$T/err"
    [[ "$(rt_hako list -q)" == *"$NAME"* ]]
    run rt_hako delete "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not stopped: running"* ]]
    kill -0 "$hpid"
    run rt_hako delete --force "$NAME"
    echo "hako delete --force: $status: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"poststop hooks (if any) were not run"* ]]
    # Gone when delete returns: its init, its cgroups, its state.
    ! kill -0 "$hpid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$hpid/stat)" = Z ]
    [ -z "$(own_cgroups hako)" ]
    [ ! -e "$T/hako-state/$NAME" ]
    # And the id works again.
    rt_hako create --bundle "$T/hako" "$NAME" </dev/null >/dev/null 2>&1
    rt_hako delete --force "$NAME"

    # runc: exit 1, state kept, the container still running in its cgroups.
    run rt_runc delete --force "$NAME"
    echo "runc delete --force: $status: $output"
    [ "$status" -eq 1 ]
    [ -e "$T/runc-state/$NAME" ]
    kill -0 "$rpid"
    [ -n "$(own_cgroups runc)" ]
    # Cleared by hand, as runc's user would have to.
    kill -KILL "$rpid"
    rm -rf "$T/runc-state/$NAME"
}

@test "garbage or empty state.json, no pid namespace, orphans in the cgroup: delete --force finds and kills them all" {
    for how in garbage empty; do
        bundle hako '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"]'
        rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
        # Three processes: the init and its two children.
        for i in $(seq 300); do [ "$(own_pids | wc -l)" -ge 3 ] && break; sleep 0.1; done
        [ "$(own_pids | wc -l)" -ge 3 ]
        damage "$T/hako-state/$NAME/state.json" "$how"
        run rt_hako delete --force "$NAME"
        echo "$how: delete --force: $status: $output"
        [ "$status" -eq 0 ]
        left=$(own_pids; own_cgroups hako; ls "$T/hako-state")
        [ -z "$left" ] || { echo "$how: left: $left"; return 1; }
        rm -rf "$T/hako"
    done
}

@test "state.json and the intent record both unreadable: runc's answer, exit 1 and the state kept" {
    bundle hako .
    rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    pid=$(rt_hako state "$NAME" | jq .pid)
    cp "$T/hako-state/$NAME/state.json" "$T/state.json.good"
    damage "$T/hako-state/$NAME/state.json" garbage
    damage "$T/hako-state/$NAME/intent" garbage
    run rt_hako delete --force "$NAME"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cannot tell which processes and cgroups are the container's; state kept"* ]]
    [ -d "$T/hako-state/$NAME" ]
    kill -0 "$pid"
    # Mended, it is deleted as usual.
    cp "$T/state.json.good" "$T/hako-state/$NAME/state.json"
    rt_hako delete --force "$NAME"
    [ -z "$(own_pids; own_cgroups hako)" ]
}

@test "an intent record cut short still names what it had written: the init and the cgroups" {
    bundle hako .
    rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    damage "$T/hako-state/$NAME/state.json" truncated
    # Cut in the middle of its last line: that line is not trusted, the rest is.
    f=$T/hako-state/$NAME/intent
    head -c $(( $(wc -c < "$f") - 3 )) "$f" > "$f.new"
    mv "$f.new" "$f"
    run rt_hako delete --force "$NAME"
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$(own_pids; own_cgroups hako; ls "$T/hako-state")" ]
}
