#!/usr/bin/env bats
# runtime-spec runtime.md "Lifecycle" and config.md "POSIX-platform Hooks":
# when, where and with what each of the six hooks runs, and what a failing
# hook does. Each test quotes the sentence it checks.

load helpers

# hook NAME [LOG]: a hook that appends "NAME <status>" to LOG (default
# $T/out/log), reading the state from its stdin.
hook() {
    jq -n --arg n "$1" --arg log "${2:-$T/out/log}" \
        '{path: "/bin/sh", args: ["sh", "-c", "read s; echo \"\($n) $(echo \"$s\" | grep -o \"\\\"status\\\":\\\"[a-z]*\\\"\" | cut -d\\\" -f4)\" >> \($log)"]}'
}

wait_stopped() { for i in $(seq 100); do [ "$(status_of "$1")" = stopped ] && return; sleep 0.05; done; return 1; }

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
    [ "$status" -eq 1 ] && [[ "$output" == *createRuntime* ]]
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
    cfg '.hooks = {createRuntime: [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
    start=$(date +%s)
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [ $(( $(date +%s) - start )) -lt 10 ]
    [ -z "$(hk list -q)" ]
}

@test "config.md hooks: 'If set, timeout MUST be greater than zero'; 'path ... MUST be absolute'" {
    cfg '.hooks = {createRuntime: [{"path": "/bin/true", "timeout": 0}]}'
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"hooks.createRuntime[0].timeout"* ]]
    cfg '.hooks = {poststop: [{"path": "bin/true"}]}'
    run hk create --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"hooks.poststop[0].path"* ]]
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
