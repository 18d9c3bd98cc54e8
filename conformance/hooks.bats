#!/usr/bin/env bats
# runtime-spec runtime.md "Lifecycle" and config.md "POSIX-platform Hooks":
# when, where and with what each of the six hooks runs, and what a failing
# hook does. Each test quotes the sentence it checks.

load "$BATS_TEST_DIRNAME/../Tests/helpers"

# Each test gets a fresh copy of the busybox bundle and a private state
# root; its container's cgroup is /hako-test/conf-<n>, and everything a test
# makes is removed in teardown, also when it fails.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

# Each check stands on its own line: bats stops at a failing command, but
# not at a failing left side of &&.

# hook NAME [LOG]: a hook that appends "NAME <status>" to LOG (default
# $T/out/log), reading the state from its stdin.
hook() {
    jq -n --arg n "$1" --arg log "${2:-$T/out/log}" \
        '{path: "/bin/sh", args: ["sh", "-c", "read s; echo \"\($n) $(echo \"$s\" | grep -o \"\\\"status\\\":\\\"[a-z]*\\\"\" | cut -d\\\" -f4)\" >> \($log)"]}'
}

# Waits for the container's process to exit: polls its status, with a bound
# generous enough for a loaded machine (30 s), never a fixed sleep.
wait_stopped() { for i in $(seq 300); do [ "$(status_of "$1")" = stopped ] && return; sleep 0.1; done; return 1; }

# wait_file FILE: waits (30 s at most) until FILE exists and is not empty.
wait_file() { for i in $(seq 300); do [ -s "$1" ] && return; sleep 0.1; done; return 1; }

# big_annotation: a 200 KB annotation, so that the state on a hook's stdin
# is three times the pipe's buffer.
big_annotation() {
    head -c 153600 /dev/zero | base64 -w0 > "$T/big"
    cfg '.annotations.big = $big' --rawfile big "$T/big"
}

@test "runtime.md lifecycle: the six hooks run in order, each with the state on stdin (createRuntime, createContainer, then startContainer, the program, poststart, poststop)" {
    with_out
    cfg ".hooks = {prestart: [$(hook prestart)], createRuntime: [$(hook createRuntime)], createContainer: [$(hook createContainer)],
                   startContainer: [$(hook startContainer /out/log)], poststart: [$(hook poststart)], poststop: [$(hook poststop)]}"
    args sh -c 'echo program >> /out/log'
    hk create --bundle "$B" "$NAME"
    [ "$(cat "$T/out/log")" = "$(printf 'prestart created\ncreateRuntime creating\ncreateContainer creating')" ]
    hk start "$NAME"
    wait_stopped "$NAME"
    hk delete "$NAME"
    # poststart runs after the program was started; it may race the program.
    run grep -v poststart "$T/out/log"
    [ "$output" = "$(printf 'prestart created\ncreateRuntime creating\ncreateContainer creating\nstartContainer created\nprogram\npoststop stopped')" ]
    grep -qx 'poststart running' "$T/out/log"
}

@test "config.md hooks: 'createRuntime ... MUST be called in the runtime namespace'; createContainer and startContainer 'in the container namespace'" {
    with_out
    rt='{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/uts > '"$T"'/out/createRuntime"]}'
    # createContainer runs before pivot_root: host paths, container namespaces.
    cc='{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/uts > '"$T"'/out/createContainer; hostname > '"$T"'/out/cc-host"]}'
    sc='{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/uts > /out/startContainer"]}'
    cfg ".hostname = \"hooked\" | .hooks = {createRuntime: [$rt], createContainer: [$cc], startContainer: [$sc]}"
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    [ "$(cat "$T/out/createRuntime")" = "$(readlink /proc/self/ns/uts)" ]
    [ "$(cat "$T/out/createContainer")" = "$(readlink /proc/$pid/ns/uts)" ]
    [ "$(cat "$T/out/cc-host")" = hooked ]
    hk start "$NAME"
    for i in $(seq 50); do [ -s "$T/out/startContainer" ] && break; sleep 0.1; done
    [ "$(cat "$T/out/startContainer")" = "$(readlink /proc/$pid/ns/uts)" ]
}

@test "config.md hooks: path, args, env and timeout are the hook's" {
    with_out
    h='{"path": "/bin/sh", "args": ["sh", "-c", "echo \"$0 $1 $HOOKVAR\" > '"$T"'/out/h", "a0", "a1"], "env": ["HOOKVAR=v"], "timeout": 5}'
    cfg ".hooks = {createRuntime: [$h]}"
    hk run --bundle "$B" "$NAME"
    [ "$(cat "$T/out/h")" = "a0 a1 v" ]
}

@test "runtime.md lifecycle: 'If any createRuntime hook fails, the runtime MUST generate an error, stop the container'; nothing is left" {
    cfg '.hooks = {createRuntime: [{"path": "/bin/false"}]}'
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *createRuntime* ]]
    [ -z "$(hk list -q)" ]
    ! ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null | grep -q .
}

@test "runtime.md lifecycle: 'If any startContainer hook fails, the runtime MUST generate an error, stop the container'" {
    with_out
    cfg '.hooks = {startContainer: [{"path": "/bin/false"}]}'
    args sh -c 'echo ran > /out/ran'
    hk create --bundle "$B" "$NAME"
    run hk start "$NAME"
    [ "$status" -ne 0 ]
    [ ! -e "$T/out/ran" ]
    wait_stopped "$NAME"
}

@test "config.md hooks: 'timeout ... the number of seconds before aborting the hook'; a hook past it fails the operation" {
    cfg '.hooks = {createRuntime: [{"path": "/bin/sleep", "args": ["sleep", "60"], "timeout": 1}]}'
    # The bound (30 s) only tells "aborted" from "waited for the hook's 60 s".
    run timeout 30 "$HAKO" --root "$T/state" create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"timed out after 1s"* ]]
    [ -z "$(hk list -q)" ]
}

@test "config.md hooks: the timeout covers the whole hook, the state written to its stdin included: a hook that never reads a 200 KB state is aborted" {
    big_annotation
    cfg '.hooks = {createRuntime: [{"path": "/bin/sleep", "args": ["sleep", "60"], "timeout": 1}]}'
    run timeout 30 "$HAKO" --root "$T/state" create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"timed out after 1s"* ]]
    [ -z "$(hk list -q)" ]
    [ ! -e "$T/state/$NAME" ]
}

@test "hooks: a hook that exits without reading its stdin is judged by its exit status alone (as runc and crun do), whatever the state's size" {
    big_annotation
    cfg '.hooks = {createRuntime: [{"path": "/bin/true"}], poststart: [{"path": "/bin/true"}], poststop: [{"path": "/bin/false"}]}'
    args true
    hk create --bundle "$B" "$NAME"
    hk start "$NAME"
    wait_stopped "$NAME"
    # Before SIGPIPE was ignored, delete died here with 141.
    run hk delete "$NAME"
    [ "$status" -eq 0 ]
    [[ "$output" == *"poststop hook /bin/false failed: exit status 1"* ]]
    [ ! -e "$T/state/$NAME" ]
}

@test "runtime.md state: a hook can ask 'state' about its own container, and sees creating, creating, running, stopped" {
    with_out
    cfg '.process.args = ["sleep", "100"]'
    # Each hook appends "KIND STATUS" from `hako state` on its own container.
    for kind in createRuntime createContainer poststart poststop; do
        h=$(jq -n --arg k "$kind" --arg hako "$HAKO" --arg root "$T/state" --arg id "$NAME" --arg log "$T/out/state" \
            '{path: "/bin/sh", args: ["sh", "-c", "s=$(\"$1\" --root \"$2\" state \"$3\") || exit 1; echo \"$0 $(echo \"$s\" | jq -r .status)\" >> \"$4\"", $k, $hako, $root, $id, $log], timeout: 30}')
        cfg ".hooks.$kind = [$h]"
    done
    hk create --bundle "$B" "$NAME"
    hk start "$NAME"
    hk delete --force "$NAME"
    [ "$(cat "$T/out/state")" = "$(printf 'createRuntime creating\ncreateContainer creating\npoststart running\npoststop stopped')" ]
}

@test "runtime.md state: 'state', 'list', 'ps', 'events --stats' and 'features' answer while another container's createRuntime hook hangs" {
    cfg '.process.args = ["sleep", "100"]'
    hk run -d --bundle "$B" "$NAME"
    # A second container whose hook says it started, then waits on a fifo.
    mkfifo "$T/release"
    other=$NAME-hung
    cp -a "$B" "$T/$other"
    jq --arg cg "/hako-test/$other" --arg f "$T/release" --arg s "$T/hook-started" \
        '.linux.cgroupsPath = $cg | .hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo up > \"$1\"; read x < \"$0\"", $f, $s]}]' \
        "$B/config.json" > "$T/$other/config.json"
    hk create --bundle "$T/$other" "$other" > "$T/create.out" 2>&1 &
    creator=$!
    wait_file "$T/hook-started"
    # Generous bounds: they tell "answered" from "waits on the hung create".
    run timeout 5 "$HAKO" --root "$T/state" state "$NAME"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .status)" = running ]
    run timeout 5 "$HAKO" --root "$T/state" list
    [ "$status" -eq 0 ]
    [[ "$output" == *"$NAME "*running* ]]
    [[ "$output" == *"$other "*creating* ]]
    run timeout 5 "$HAKO" --root "$T/state" state "$other"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .status)" = creating ]
    run timeout 5 "$HAKO" --root "$T/state" ps --format json "$NAME"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq length)" -ge 1 ]
    run timeout 5 "$HAKO" --root "$T/state" events --stats "$NAME"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .type)" = stats ]
    run timeout 5 "$HAKO" --root "$T/state" features
    [ "$status" -eq 0 ]
    echo go > "$T/release"
    wait_pids 120 "$creator"
    [ "${WAIT_STATUSES[0]}" -eq 0 ]
    [ "$(status_of "$other")" = created ]
}

@test "config.md hooks: 'If set, timeout MUST be greater than zero'; 'path ... MUST be absolute'" {
    cfg '.hooks = {createRuntime: [{"path": "/bin/true", "timeout": 0}]}'
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hooks.createRuntime[0].timeout"* ]]
    cfg '.hooks = {poststop: [{"path": "bin/true"}]}'
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"hooks.poststop[0].path"* ]]
    [ -z "$(hk list -q)" ]
}

@test "runtime.md lifecycle: 'If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue'" {
    with_out
    cfg ".hooks = {poststart: [{\"path\": \"/bin/false\"}, $(hook poststart2)]}"
    args true
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ]
    [[ "$output" == *poststart* ]]
    grep -q '^poststart2' "$T/out/log"
}

@test "runtime.md lifecycle: 'If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue'" {
    with_out
    cfg ".hooks = {poststop: [{\"path\": \"/bin/false\"}, $(hook poststop2)]}"
    args true
    hk run -d --bundle "$B" "$NAME"
    wait_stopped "$NAME"
    run hk delete "$NAME"
    [ "$status" -eq 0 ]
    [[ "$output" == *poststop* ]]
    grep -qx 'poststop2 stopped' "$T/out/log"
    run hk state "$NAME"
    [ "$status" -ne 0 ]
}
