#!/usr/bin/env bats
# The createRuntime, poststart and poststop hooks, many lifecycles in a row,
# with a hook that succeeds (/bin/true), fails (/bin/false), or sleeps
# without reading its stdin, and a state that is small or carries a 200 KB
# annotation (three times a pipe's buffer): the outcome is the same every
# time. A hook that exits without reading its stdin is judged by its exit
# status alone, as runc and crun do.
#
# HOOK_RUNS (default 20) lifecycles per case; HOOK_TIMEOUT_RUNS (default 2)
# for the cases where a hook sleeps past its 1 s timeout.
# HOOK_OBSERVE=FILE only tallies the outcomes into FILE, to run the same
# cases with another runtime: HAKO=$(command -v runc) HOOK_OBSERVE=/tmp/runc.txt bats ...

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template true || return
    head -c 153600 /dev/zero | base64 -w0 > "$BATS_FILE_TMPDIR/big"
    export BIG=$BATS_FILE_TMPDIR/big
}

setup() { setup_test hr; setup_bundle "$T/bundle"; }
teardown() { teardown_test; }

# hook_json WHICH: the hook; none of them reads its stdin.
hook_json() {
    case $1 in
        true) echo '{"path": "/bin/true"}' ;;
        false) echo '{"path": "/bin/false"}' ;;
        sleep) echo '{"path": "/bin/sleep", "args": ["sleep", "0.1"]}' ;;
        past-timeout) echo '{"path": "/bin/sleep", "args": ["sleep", "60"], "timeout": 1}' ;;
    esac
}

# Polls the status until stopped, 30 s at most: waits on the event, bounded.
wait_stopped() {
    for i in $(seq 300); do
        [ "$(hk state "$1" 2>/dev/null | jq -r .status)" = stopped ] && return 0
        sleep 0.1
    done
    return 1
}

# once: one lifecycle (create, start, the process exits, delete); prints
# each step's exit status and what is left (state entries, cgroups).
once() {
    local out="" rc=0
    rc=0; hk create --bundle "$B" "$NAME" >/dev/null 2>&1 || rc=$?
    out="create=$rc"
    if [ "$rc" -eq 0 ]; then
        rc=0; hk start "$NAME" >/dev/null 2>&1 || rc=$?
        out="$out start=$rc"
        wait_stopped "$NAME" || out="$out never-stopped"
        rc=0; hk delete "$NAME" >/dev/null 2>&1 || rc=$?
        out="$out delete=$rc"
    fi
    local cg
    cg=$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null | wc -l)
    out="$out left=$(find "$T/state" -mindepth 1 -maxdepth 1 ! -name '@*' 2>/dev/null | wc -l) cgroups=$cg"
    echo "$out"
    # Whatever happened, the next run starts clean.
    hk delete --force "$NAME" >/dev/null 2>&1 || true
}

# cases KIND SIZE RUNS HOOK...: RUNS lifecycles per hook; asserts every
# outcome is the expected one (or, with HOOK_OBSERVE, records the tally).
cases() {
    local kind=$1 size=$2 runs=$3; shift 3
    if [ "$size" = big ]; then cfg '.annotations.big = $big' --rawfile big "$BIG"; fi
    local failed=0 which expected
    for which in "$@"; do
        cfg ".hooks = {$kind: [$(hook_json "$which")]}"
        expected="create=0 start=0 delete=0 left=0 cgroups=0"
        [ "$kind" = createRuntime ] && { [ "$which" = false ] || [ "$which" = past-timeout ]; } && expected="create=1 left=0 cgroups=0"
        for i in $(seq "$runs"); do once; done | sort | uniq -c > "$T/tally"
        local line="$kind $size $which runs=$runs: $(sed 's/^ *//' "$T/tally" | paste -sd';')"
        echo "$line" >&3
        if [ -n "${HOOK_OBSERVE:-}" ]; then
            echo "$line" >> "$HOOK_OBSERVE"
        elif [ "$(cat "$T/tally")" != "$(printf '%7d %s' "$runs" "$expected")" ]; then
            echo "expected $runs x '$expected', got: $line" >&2
            failed=1
        fi
    done
    return "$failed"
}

@test "createRuntime hooks, small state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases createRuntime small "${HOOK_RUNS:-20}" true false sleep
}

@test "createRuntime hooks, 200 KB state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases createRuntime big "${HOOK_RUNS:-20}" true false sleep
}

@test "poststart hooks, small state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases poststart small "${HOOK_RUNS:-20}" true false sleep
}

@test "poststart hooks, 200 KB state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases poststart big "${HOOK_RUNS:-20}" true false sleep
}

@test "poststop hooks, small state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases poststop small "${HOOK_RUNS:-20}" true false sleep
}

@test "poststop hooks, 200 KB state: /bin/true, /bin/false and a sleeper that never reads, HOOK_RUNS times each" {
    cases poststop big "${HOOK_RUNS:-20}" true false sleep
}

@test "a hook that never reads a 200 KB state and sleeps past its 1 s timeout is aborted, in createRuntime, poststart and poststop" {
    for kind in createRuntime poststart poststop; do
        cases "$kind" big "${HOOK_TIMEOUT_RUNS:-2}" past-timeout || return 1
    done
}
