#!/usr/bin/env bats
# A create that fails at any step leaves nothing behind, and a create killed
# midway is removable with delete --force. HAKO_FAIL_AT names the step to
# fail (the "step" lines of --trace); every step is tried in turn.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 100; }

setup() {
    setup_test tx
    B=$T/$NAME
    cp -a "$TEMPLATE" "$B"
    jq --arg cg "/hako-test/$NAME" --arg m "$T/hook-ran" '.linux.cgroupsPath = $cg
        | .linux.resources.pids = {"limit": 50}
        | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
        | .process.env += ["HAKO_TEST=" + $name]
        | .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", ("touch " + $m + "; sleep ${HOOK_SLEEP:-0}")], "env": ["HOOK_SLEEP=0", "HAKO_TEST=" + $name]}]}' --arg name "$NAME" \
        "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"
}

teardown() { teardown_test; }

# HAKO_TEST marks hako's environment, which the init shares until it
# execs; the container's process.env and the hook's env carry the same mark.
hk() { HAKO_TEST=$NAME "$HAKO" --root "$T/state" "$@"; }

# Everything this test's container can leave, and nothing else (other
# suites run beside it): state entries, cgroups, mounts, live processes.
leftovers() {
    ls "$T/state" 2>/dev/null | grep -v '^@'
    ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null
    grep -F " $T/" /proc/self/mountinfo
    grep -l -s -F -x -z -e "HAKO_TEST=$NAME" /proc/[0-9]*/environ || true
}

@test "a create failing at any step leaves nothing behind" {
    hk --trace create --bundle "$B" "$NAME" 2> "$T/trace" </dev/null
    hk delete --force "$NAME"
    steps=$(sed -n 's/^hako trace: [0-9]* +[0-9]*us step //p' "$T/trace")
    [ "$(echo "$steps" | grep -c .)" -ge 12 ] || { echo "too few steps traced: $steps"; return 1; }
    before=$(leftovers)
    echo "$steps" | while IFS= read -r step; do
        rc=0; out=$(HAKO_FAIL_AT=$step hk create --bundle "$B" "$NAME" 2>&1 </dev/null) || rc=$?
        [ $rc -eq 1 ] && [[ "$out" == *"failing at step \"$step\""* ]] || { echo "step '$step': exit $rc: $out"; return 1; }
        after=$(leftovers)
        [ "$after" = "$before" ] || { echo "step '$step' left: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"; return 1; }
    done
}

@test "a create killed with SIGKILL midway is removed by delete --force" {
    before=$(leftovers)
    [ -z "$before" ]
    jq '.hooks.createRuntime[0].env = ["HOOK_SLEEP=30", "HAKO_TEST=" + $name]' --arg name "$NAME" "$B/config.json" > "$B/c"
    mv "$B/c" "$B/config.json"
    HAKO_TEST=$NAME "$HAKO" --root "$T/state" create --bundle "$B" "$NAME" </dev/null >/dev/null 2>&1 &
    pid=$!
    # The hook has run (it made its mark): bounded, 60 s under any load.
    for i in $(seq 600); do [ -e "$T/hook-ran" ] && break; sleep 0.1; done
    [ -e "$T/hook-ran" ]
    kill -KILL "$pid"
    wait_pids 30 "$pid"
    # The half-made container is there, and delete --force removes it all
    # before it returns: no waiting afterwards.
    [ -n "$(leftovers)" ]
    hk delete --force "$NAME"
    left=$(leftovers)
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "delete --force of a container whose create sits in a createRuntime hook answers at once and leaves nothing" {
    jq '.hooks.createRuntime[0].env[0] = "HOOK_SLEEP=60"' "$B/config.json" > "$B/c"
    mv "$B/c" "$B/config.json"
    hk create --bundle "$B" "$NAME" </dev/null >/dev/null 2>&1 &
    creator=$!
    for _ in $(seq 200); do if [ -e "$T/hook-ran" ]; then break; fi; sleep 0.1; done
    [ -e "$T/hook-ran" ]
    # Bounded well below the hook's 60 s: a delete that waits for the hook fails here.
    run timeout 20 "$HAKO" --root "$T/state" delete --force "$NAME"
    echo "$output"
    [ "$status" -eq 0 ]
    for _ in $(seq 100); do if ! kill -0 "$creator" 2>/dev/null; then break; fi; sleep 0.1; done
    run kill -0 "$creator"
    [ "$status" -ne 0 ]
    wait_pids 10 "$creator"
    run leftovers
    echo "$output"
    [ -z "$output" ]
}
