#!/usr/bin/env bats
# runtime-spec runtime.md: the state of a container and the lifecycle
# operations. Each test quotes the sentence it checks.

load "$BATS_TEST_DIRNAME/../Tests/helpers"

# Each test gets a fresh copy of the busybox bundle and a private state
# root; its container's cgroup is /hako-test/conf-<n>, and everything a test
# makes is removed in teardown, also when it fails.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

@test "runtime.md state: ociVersion, id, status, pid and bundle are REQUIRED; annotations come from config.json" {
    cfg '.annotations = {"org.example.key": "value"}'
    args sleep 100
    hk create --bundle "$B" "$NAME"
    run hk state "$NAME"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r .ociVersion)" != null ]
    [ "$(echo "$output" | jq -r .id)" = "$NAME" ]
    [ "$(echo "$output" | jq -r .status)" = created ]
    [ "$(echo "$output" | jq -r .pid)" -gt 0 ]
    [ "$(echo "$output" | jq -r .bundle)" = "$B" ]
    [ "$(echo "$output" | jq -r '.annotations["org.example.key"]')" = value ]
}

@test "runtime.md state: pid is the ID of the container process, as seen by the host" {
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    [ -d "/proc/$pid" ]
    # The process waits in the container's new pid namespace as its pid 1.
    [ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
    grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid/status"
}

@test "runtime.md create: 'the user-specified program MUST NOT be run at this time'" {
    with_out
    args sh -c 'echo ran > /out/ran'
    hk create --bundle "$B" "$NAME"
    sleep 0.2
    [ ! -e "$T/out/ran" ]
    [ "$(status_of "$NAME")" = created ]
    hk start "$NAME"
    for i in $(seq 50); do [ -e "$T/out/ran" ] && break; sleep 0.1; done
    [ "$(cat "$T/out/ran")" = ran ]
}

@test "runtime.md create: 'If the ID provided is not unique ... this operation MUST generate an error and a new container MUST NOT be created'" {
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    run hk create --bundle "$B" "$NAME"
    [ "$status" -ne 0 ]
    [ "$(hk state "$NAME" | jq -r .pid)" = "$pid" ]
    [ "$(hk list -q | grep -c .)" -eq 1 ]
}

@test "runtime.md start: 'This operation MUST generate an error if it is not provided the container ID'" {
    run hk start
    [ "$status" -ne 0 ]
    run hk start no-such-container
    [ "$status" -ne 0 ]
}

@test "runtime.md start: 'Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error'" {
    args sleep 100
    hk create --bundle "$B" "$NAME"
    hk start "$NAME"
    [ "$(status_of "$NAME")" = running ]
    run hk start "$NAME"
    [ "$status" -ne 0 ]
    [ "$(status_of "$NAME")" = running ]
}

@test "runtime.md lifecycle: when the process exits the status is stopped" {
    args true
    hk create --bundle "$B" "$NAME"
    hk start "$NAME"
    for i in $(seq 50); do [ "$(status_of "$NAME")" = stopped ] && break; sleep 0.1; done
    [ "$(status_of "$NAME")" = stopped ]
}

@test "runtime.md kill: 'Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error'" {
    args true
    hk run -d --bundle "$B" "$NAME"
    for i in $(seq 50); do [ "$(status_of "$NAME")" = stopped ] && break; sleep 0.1; done
    run hk kill "$NAME" TERM
    [ "$status" -ne 0 ]
    [ "$(status_of "$NAME")" = stopped ]
}

@test "runtime.md kill: 'This operation MUST send the specified signal to the container process'" {
    with_out
    args sh -c 'trap "echo got-usr1 > /out/sig; exit 0" USR1; echo ready > /out/ready; while :; do sleep 0.05; done'
    hk run -d --bundle "$B" "$NAME"
    for i in $(seq 50); do [ -e "$T/out/ready" ] && break; sleep 0.1; done
    hk kill "$NAME" USR1
    for i in $(seq 50); do [ -e "$T/out/sig" ] && break; sleep 0.1; done
    [ "$(cat "$T/out/sig")" = got-usr1 ]
}

@test "runtime.md delete: 'Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error'" {
    args sleep 100
    hk run -d --bundle "$B" "$NAME"
    run hk delete "$NAME"
    [ "$status" -ne 0 ]
    [ "$(status_of "$NAME")" = running ]
}

@test "runtime.md delete: 'The resources that were created during the create step MUST be deleted'" {
    args true
    hk run -d --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    for i in $(seq 50); do [ "$(status_of "$NAME")" = stopped ] && break; sleep 0.1; done
    ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null | grep -q .
    hk delete "$NAME"
    run hk state "$NAME"
    [ "$status" -ne 0 ]
    [ -z "$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null)" ]
    [ -z "$(ls -A "$T/state")" ]
}

@test "runtime.md state: 'This operation MUST generate an error if it is not provided the ID of a container'; unknown IDs too" {
    run hk state
    [ "$status" -ne 0 ]
    run hk state no-such-container
    [ "$status" -ne 0 ]
    [[ "$output" == *no-such-container* ]]
}

@test "runtime.md lifecycle: the exit status of run is the process's" {
    args sh -c 'exit 42'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 42 ]
}
