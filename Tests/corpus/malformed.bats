#!/usr/bin/env bats
# The malformed-bundle corpus (malformed/*/config.json, one bundle per
# directory, with what the error must say in `expect`): every one makes
# `hako run` exit 1 with a message naming the config.json field, and leaves
# nothing behind: no state, cgroup, mount or process. Also `hako check`
# must find the same problem, unless the bundle is marked `runtime-only` (a
# hook that fails). A terminal without --console-socket is no longer
# malformed for `run`, which relays it (Tests/terminal covers its refusals).
# The configs double as fuzzing seeds.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template true || return
    export RFS=$TEMPLATE
}

setup() { skip_if_unmet; }

leftovers() { # NAME: anything a failed run could leave, one per line
    ls "$STATE" 2>/dev/null | grep -v '^@'
    ls -d /sys/fs/cgroup/*/hako-test/"$1" /sys/fs/cgroup/hako-test/"$1" 2>/dev/null
    grep -c . /proc/self/mountinfo
    pgrep -f -- "$1" || true
}

@test "every malformed bundle fails cleanly, naming its config.json field" {
    STATE=$BATS_TEST_TMPDIR/state
    failed=0 n=0
    for dir in "$BATS_TEST_DIRNAME"/malformed/*/; do
        name=corpus-$(basename "$dir")
        b=$BATS_TEST_TMPDIR/$name
        mkdir -p "$b"
        cp "$dir/config.json" "$b/"
        ln -s "$RFS/rootfs" "$b/rootfs"
        # Configs that parse get a cgroup of their own under the test prefix:
        # by text, since jq 1.6 reads numbers as doubles and would turn
        # 18446744073709551616 into 18446744073709552000.
        sed -i "s|\"cgroupsPath\": \"/hako-test/corpus\"|\"cgroupsPath\": \"/hako-test/$name\"|" "$b/config.json"
        expect="config.json: $(cat "$dir/expect")"
        before=$(leftovers "$name")
        rc=0; out=$("$HAKO" --root "$STATE" run --bundle "$b" "$name" 2>&1 </dev/null) || rc=$?
        after=$(leftovers "$name")
        crc=0; checked=$("$HAKO" check --bundle "$b" 2>&1) || crc=$?
        if [ -e "$dir/runtime-only" ]; then crc=1; checked=$expect; fi
        n=$((n + 1))
        if [ $rc -ne 1 ] || [[ "$out" != *"$expect"* ]] || [ "$before" != "$after" ] || [ $crc -ne 1 ] || [[ "$checked" != *"$expect"* ]]; then
            echo "FAIL $name: run exit $rc: $out"
            echo "     expected: $expect"
            [ "$before" = "$after" ] || echo "     left behind: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
            [ $crc -eq 1 ] && [[ "$checked" == *"$expect"* ]] || echo "     check exit $crc: $checked"
            failed=$((failed + 1))
            "$HAKO" --root "$STATE" delete --force "$name" >/dev/null 2>&1 || true
        fi
    done
    echo "$n bundles, $failed failed"
    [ "$n" -ge 40 ] && [ "$failed" -eq 0 ]
}

@test "invalid container IDs are refused before anything is read" {
    for id in "" "../escape" "a/b" "." ".." "-flag" "$(printf 'x%.0s' $(seq 1025))" "sp ace"; do
        run "$HAKO" --root "$BATS_TEST_TMPDIR/state" run --bundle "$RFS" "$id"
        [ "$status" -eq 1 ] || { echo "id '$id' was accepted"; return 1; }
    done
    [ -z "$(ls "$BATS_TEST_TMPDIR/state" 2>/dev/null)" ]
}

@test "bad signals are refused" {
    for sig in SIGNOPE 0x9 -1 999 ""; do
        run "$HAKO" --root "$BATS_TEST_TMPDIR/state" kill some-id "$sig"
        [ "$status" -eq 1 ] || { echo "signal '$sig' was accepted"; return 1; }
    done
}

@test "out-of-range numbers on the command line are refused, naming the flag, never trapping" {
    S=$BATS_TEST_TMPDIR/state
    run "$HAKO" --root "$S" kill some-id RTMIN+2147483647
    [ "$status" -eq 1 ]
    [[ "$output" == *'unknown signal "RTMIN+2147483647"'* ]]
    run "$HAKO" --root "$S" kill some-id RTMAX-2147483648
    [ "$status" -eq 1 ]
    for d in 99999999999999999999h 2562048h 9223372036.854775808s 0.1ms -1s 1 5x; do
        run "$HAKO" --root "$S" events --interval "$d" some-id
        [ "$status" -eq 1 ] && [[ "$output" == *"invalid value \"$d\" for --interval"* ]] || { echo "--interval $d: $status $output"; return 1; }
    done
    # Go's largest duration is still a duration.
    run "$HAKO" --root "$S" events --interval 2562047h some-id
    [ "$status" -eq 1 ]
    [[ "$output" == *'container "some-id" does not exist'* ]]
    for cmd in "run --bundle $RFS" "create --bundle $RFS" exec; do
        run "$HAKO" --root "$S" $cmd --preserve-fds 2147483647 some-id true
        [ "$status" -eq 1 ] && [[ "$output" == *'invalid value "2147483647" for --preserve-fds'* ]] || { echo "$cmd: $status $output"; return 1; }
    done
    run env LISTEN_FDS=99999999999 "$HAKO" --root "$S" run --preserve-fds 5000000 --bundle "$RFS" some-id
    [ "$status" -eq 1 ]
    [[ "$output" == *"--preserve-fds"* ]]
    [ -z "$(ls "$S" 2>/dev/null | grep -v '^@')" ]
}

@test "check names every problem of a bundle at once" {
    b=$BATS_TEST_TMPDIR/many
    cp -a "$RFS" "$b"
    jq '.process.args = [] | .process.cwd = "rel" | .linux.namespaces += [{"type": "bogus"}] | .root.path = "missing"' "$RFS/config.json" > "$b/config.json"
    run "$HAKO" check --bundle "$b"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"process.args: must have at least one entry"* ]]
    [[ "$output" == *"process.cwd: must be an absolute path"* ]]
    [[ "$output" == *"unknown namespace type \"bogus\""* ]]
    [[ "$output" == *"root.path: $b/missing is not a directory"* ]]
}
