#!/usr/bin/env bats
# An id names the state directory (and, by default, the cgroup): it must be
# one file name. runc checks only its characters and fails later, deep in
# create, with "file name too long"; hako refuses such an id when it reads
# it (StateStore.validate), in every command, before anything is made.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template sleep 1000; }
setup() { setup_test ids; setup_bundle "$T/b"; }
teardown() { teardown_test; }

id_of() { head -c "$1" /dev/zero | tr '\0' a; }

@test "an id of 255 bytes (NAME_MAX) works through the whole lifecycle" {
    id=$(id_of 255)
    hk create --bundle "$T/b" "$id" </dev/null >/dev/null 2>&1
    [ "$(hk state "$id" | jq -r .status)" = created ]
    hk start "$id"
    [ "$(hk state "$id" | jq -r .status)" = running ]
    hk delete --force "$id"
    [ -z "$(ls "$T/state" | grep -v '^@' || true)" ]
    [ -z "$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null || true)" ]
}

@test "ids that cannot be one file name are refused at validation by every command, and nothing is made" {
    for id in "$(id_of 256)" "$(id_of 1024)" . .. a/b ../x ""; do
        for cmd in "create --bundle $T/b" "run --bundle $T/b" state start kill delete "delete --force" ps pause resume exec events; do
            # exec's own failures exit 255, as runc's do (runc: "invalid container ID format").
            extra= want=1; [ "$cmd" = exec ] && extra=true want=255
            rc=0; out=$(hk $cmd "$id" $extra </dev/null 2>&1) || rc=$?
            [ $rc -eq $want ] && [[ "$out" == *"invalid container id"* || ( -z "$id" && "$out" == *"container id"* ) ]] || {
                echo "${#id}-byte id '${id:0:20}', $cmd: exit $rc: ${out:0:300}"; return 1; }
        done
    done
    [ -z "$(ls -A "$T/state" 2>/dev/null | grep -v '^@' || true)" ]
    [ -z "$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null || true)" ]
}
