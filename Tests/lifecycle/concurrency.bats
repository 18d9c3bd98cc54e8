#!/usr/bin/env bats
# Many hako processes at once, on many containers or on one, and many runs
# in a row: no failure, no corrupted state, no growth of what a run leaves.
# LEAK_RUNS (default 200) sets the sequential runs; the README names the
# 1000-run command.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 100; }

setup() {
    setup_test cc
    P=$NAME
    # All containers of a test share one cgroup parent under the test prefix.
    setup_bundle "$T/bundle"
}

teardown() { teardown_test; }

# HAKO_TEST marks hako's environment, which the init shares until it
# execs; the containers' process.env carries the same mark.
hk() { HAKO_TEST=$P "$HAKO" --root "$T/state" "$@"; }

# This test's live processes (zombies have no environment left).
own_processes() { grep -l -s -F -x -z -e "HAKO_TEST=$P" /proc/[0-9]*/environ; }

# A bundle per container: its own cgroup under the test's prefix.
bundle_for() {
    mkdir -p "$T/b/$1"
    ln -sfn "$B/rootfs" "$T/b/$1/rootfs"
    jq --arg cg "/hako-test/$P/$1" '.linux.cgroupsPath = $cg' "$B/config.json" > "$T/b/$1/config.json"
}

@test "50 parallel creates with distinct IDs all succeed, and all are deleted" {
    for i in $(seq 50); do bundle_for "c$i"; done
    pids=()
    for i in $(seq 50); do hk create --bundle "$T/b/c$i" "c$i" </dev/null >/dev/null 2>"$T/err$i" & pids+=("$!"); done
    wait_pids 300 "${pids[@]}"
    cat "$T"/err* 
    [ "$(hk list -q | grep -c '^c')" -eq 50 ]
    [ "$(hk list --format json | jq '[.[] | select(.status == "created")] | length')" -eq 50 ]
    pids=()
    for i in $(seq 50); do hk delete --force "c$i" & pids+=("$!"); done
    wait_pids 300 "${pids[@]}"
    [ -z "$(hk list -q)" ]
    left=$(ls -d /sys/fs/cgroup/*/hako-test/$P/c[0-9]* 2>/dev/null) || true; echo "left: $left"; [ -z "$left" ]
}

@test "10 parallel commands on one ID never corrupt its state" {
    hk create --bundle "$B" one </dev/null
    # Exactly one of ten starts wins; the others fail cleanly.
    pids=()
    for i in $(seq 10); do (hk start one >/dev/null 2>&1 && echo ok >> "$T/started") & pids+=("$!"); done
    wait_pids 120 "${pids[@]}"
    [ "$(wc -l < "$T/started")" -eq 1 ]
    # Readers, pausers and resumers at once: every state read is whole.
    pids=()
    for i in $(seq 10); do
        case $((i % 3)) in
            0) hk pause one >/dev/null 2>&1 ;;
            1) hk resume one >/dev/null 2>&1 ;;
            2) hk state one > "$T/state$i.json" ;;
        esac &
        pids+=("$!")
    done
    wait_pids 120 "${pids[@]}"
    for f in "$T"/state*.json; do jq -e '.id == "one" and (.status == "running" or .status == "paused")' "$f" >/dev/null; done
    hk resume one >/dev/null 2>&1 || true
    [ "$(hk state one | jq -r .status)" = running ]
    pids=()
    for i in $(seq 10); do hk delete --force one >/dev/null 2>&1 & pids+=("$!"); done
    wait_pids 120 "${pids[@]}"
    run hk state one
    [ "$status" -ne 0 ]
    [ -z "$(ls -A "$T/state" | grep -v '^@')" ]
}

@test "sequential runs leave no growth in mounts, cgroups, state or processes" {
    n=${LEAK_RUNS:-200}
    jq --arg m "HAKO_TEST=$P" '.process.args = ["true"] | .process.env += [$m]' "$B/config.json" > "$B/c"
    mv "$B/c" "$B/config.json"
    hk run --bundle "$B" warm
    # Only what this test made: other suites run beside it. A file leaked
    # by hako dies with its process, so a leak shows as a process left.
    snapshot() {
        echo "mounts $(grep -c -F " $T/" /proc/self/mountinfo)"
        echo "cgroups $(find /sys/fs/cgroup/*/hako-test/$P* /sys/fs/cgroup/hako-test/$P* -type d 2>/dev/null | wc -l)"
        echo "state $(ls -A "$T/state" | grep -vc '^@')"
        echo "processes $(own_processes | wc -l)"
    }
    before=$(snapshot)
    for i in $(seq "$n"); do hk run --bundle "$B" "r$i" || { echo "run $i failed"; return 1; }; done
    after=$(snapshot)
    echo "before: $before"; echo "after $n runs: $after"
    [ "$before" = "$after" ]
}
