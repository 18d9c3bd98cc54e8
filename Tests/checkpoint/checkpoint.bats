#!/usr/bin/env bats
# hako checkpoint and restore: criu dumps a running container's processes
# over its RPC (criu swrk) and starts them again. criu 3.17 needs a kernel it knows: `criu check` fails on the
# 6.18 of the development hosts, so these tests run in the pure cgroup v2
# QEMU guest (scripts/cgroup2-vm, from scripts/test) and skip elsewhere,
# saying why. The runc tests run runc's checkpoint and restore on the same bundle.

load "$BATS_TEST_DIRNAME/../helpers"

# The container's stdio is its own /dev/null: criu dumps only files it can
# find in the container's mounts, and the host's /dev/null is not one.
COUNTER='exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.1; done'

setup_file() { setup_template sh -c "$COUNTER"; }

# The rootfs is writable: the loop counts in its /tmp.
setup() {
    setup_test checkpoint
    setup_bundle
    cfg '.root.readonly = false'
}

# criu_works: skips the test unless criu can dump on this kernel.
criu_works() {
    requires criu
    criu check >/dev/null 2>&1 || skip "criu check fails on this kernel ($(uname -r)): $(criu check 2>&1 | tail -1)"
}

teardown() { teardown_test; }

# counter [BUNDLE]: what the container's loop last wrote (its /tmp is the rootfs's).
counter() { cat "${1:-$B}/rootfs/tmp/counter"; }

# started ID: waits until the loop has counted, up to a minute: the
# emulated guest is slow to start a container.
started() {
    for i in $(seq 600); do [ "$(counter 2>/dev/null)" -gt 1 ] 2>/dev/null && return 0; sleep 0.1; done
    echo "the counter of $1 never started: $(hk state "$1" | jq -c .)" >&2; return 1
}

# passes N [BUNDLE]: waits until the loop has counted past N, up to a minute:
# a restored loop goes on from N, a restarted one would begin at 1.
passes() {
    for i in $(seq 600); do [ "$(counter "${2:-$B}" 2>/dev/null)" -gt "$1" ] 2>/dev/null && return 0; sleep 0.1; done
    echo "the counter never passed $1: $(counter "${2:-$B}")" >&2; return 1
}

# counts_on_from N [BUNDLE]: for two seconds the loop never shows less than
# N: a restarted loop would write 1, 2... within its first tenths of a second.
counts_on_from() {
    local v
    for i in $(seq 20); do
        v=$(counter "${2:-$B}")
        [ "$v" -ge "$1" ] || { echo "the counter went back to $v after the checkpoint at $1" >&2; return 1; }
        sleep 0.1
    done
}

# stopped_within ID: waits up to five seconds for the container to stop.
stopped_within() {
    for i in $(seq 50); do [ "$(status_of "$1")" = stopped ] && return 0; sleep 0.1; done
    echo "$1 is still $(status_of "$1")" >&2; return 1
}

# gone ID: nothing of the container is left: state directory, criu's root
# bind, cgroup.
gone() {
    local p
    for p in "$T/state/$1" "$T/state/@criu-root-$1" /sys/fs/cgroup/hako-test/"$1"; do
        [ ! -e "$p" ] || { echo "$p is left" >&2; return 1; }
    done
}

# fake_images: an image directory with hako's descriptors.json and nothing
# of criu's, for the refusals that come before criu runs.
fake_images() {
    mkdir -p "$T/fake"
    echo '["/dev/null","/dev/null","/dev/null"]' > "$T/fake/descriptors.json"
}

# images DIR: criu's images of a dump are there, with hako's files beside them.
images() {
    local f
    for f in inventory.img pstree.img config.json descriptors.json; do
        [ -s "$1/$f" ] || { echo "no $f in $1: $(ls "$1")" >&2; return 1; }
    done
}

@test "checkpoint --leave-running: images written, the container keeps running" {
    criu_works
    hk run -d --bundle "$B" "$NAME"
    started "$NAME"
    run hk checkpoint --image-path "$T/images" --leave-running "$NAME"
    echo "hako: $output" >&3
    assert_status 0
    images "$T/images"
    echo "hako images: $(ls "$T/images" | tr '\n' ' ')" >&3
    grep -q "Dumping finished successfully" "$T/images/dump.log"
    [ "$(status_of "$NAME")" = running ]
    a=$(counter); sleep 2; b=$(counter)
    echo "counter after the dump: $a, two seconds later: $b" >&3
    [ "$b" -gt "$a" ]
}

@test "checkpoint: the container is stopped after the dump, and state says so" {
    criu_works
    hk run -d --bundle "$B" "$NAME"
    started "$NAME"
    run hk checkpoint --image-path "$T/images" --work-path "$T/work" "$NAME"
    echo "hako: $output" >&3
    assert_status 0
    images "$T/images"
    [ -s "$T/work/dump.log" ]
    for i in $(seq 50); do [ "$(status_of "$NAME")" = stopped ] && break; sleep 0.1; done
    [ "$(status_of "$NAME")" = stopped ]
    echo "hako state after checkpoint: $(hk state "$NAME" | jq -c '{status, pid}')" >&3
    hk delete "$NAME"
}

# Refused before criu runs: on any host.
@test "checkpoint refuses what it does not implement, by name" {
    hk run -d --bundle "$B" "$NAME"
    run hk checkpoint --lazy-pages "$NAME"
    assert_status 1
    [[ $output == *"--lazy-pages is not supported"* ]]
    run hk checkpoint --manage-cgroups-mode bogus --image-path "$T/i" "$NAME"
    assert_status 1
    [[ $output == *"invalid manage cgroups mode"* ]]
    [ "$(status_of "$NAME")" = running ]
}

@test "restore --detach: the counter goes on from the checkpoint; kill and delete leave nothing" {
    criu_works
    hk run -d --bundle "$B" "$NAME"
    started "$NAME"
    run hk checkpoint --image-path "$T/images" --work-path "$T/work" "$NAME"
    assert_status 0
    stopped_within "$NAME"
    hk delete "$NAME"
    at=$(counter)
    run hk restore -d --image-path "$T/images" --work-path "$T/work" --bundle "$B" --pid-file "$T/pid" "$NAME"
    echo "hako restore: $output" >&3
    grep -B3 Error "$T/work/restore.log" >&3 || true
    assert_status 0
    grep -q "Restore finished successfully" "$T/work/restore.log"
    run status_of "$NAME"
    [ "$output" = running ]
    [ "$(cat "$T/pid")" = "$(hk state "$NAME" | jq .pid)" ]
    counts_on_from "$at"
    passes "$at"
    echo "hako: counter $at at the dump, $(counter) after restore; state $(hk state "$NAME" | jq -c '{status, pid}')" >&3
    hk kill "$NAME" KILL
    stopped_within "$NAME"
    hk delete "$NAME"
    gone "$NAME"
}

# Refused before criu runs: on any host.
@test "restore refuses an existing ID, the foreground and a missing image directory, leaving nothing" {
    fake_images
    hk run -d --bundle "$B" "$NAME"
    run hk restore -d --image-path "$T/fake" --bundle "$B" "$NAME"
    assert_status 1
    [[ $output == *"already exists"* ]]
    [ "$(status_of "$NAME")" = running ]
    run hk restore --image-path "$T/fake" --bundle "$B" "$NAME-2"
    assert_status 1
    [[ $output == *"only --detach is supported"* ]]
    run hk restore -d --image-path "$T/none" --bundle "$B" "$NAME-3"
    assert_status 1
    [[ $output == *"open image directory $T/none"* ]]
    run hk restore -d --console-socket "$T/sock" --image-path "$T/fake" --bundle "$B" "$NAME-4"
    assert_status 1
    [[ $output == *"--console-socket is not supported"* ]]
    gone "$NAME-2"
    gone "$NAME-3"
    gone "$NAME-4"
}

@test "a restore criu fails leaves no state directory, cgroup or mount, and keeps restore.log" {
    criu_works
    fake_images
    run hk restore -d --image-path "$T/fake" --work-path "$T/work" --bundle "$B" "$NAME"
    echo "hako: $output" >&3
    assert_status 1
    [[ $output == *"criu failed"*"$T/work/restore.log"* ]]
    [ -s "$T/work/restore.log" ]
    run grep -c " $T/state/@criu-root-$NAME " /proc/self/mountinfo
    [ "$output" = 0 ]
    gone "$NAME"
}

@test "runc checkpoint and restore on the same bundle, for comparison" {
    criu_works
    requires runc
    runc_bundle
    rc run -d --bundle "$RB" "$NAME" </dev/null >/dev/null 2>&1
    for i in $(seq 600); do [ "$(counter "$RB" 2>/dev/null)" -gt 1 ] 2>/dev/null && break; sleep 0.1; done
    run rc checkpoint --image-path "$T/runc-images" --leave-running "$NAME"
    echo "runc --leave-running: status $status: $output" >&3
    assert_status 0
    [ -s "$T/runc-images/inventory.img" ]
    echo "runc images: $(ls "$T/runc-images" | tr '\n' ' ')" >&3
    echo "runc after --leave-running: $(rc state "$NAME" | jq -r .status)" >&3
    run rc checkpoint --image-path "$T/runc-images2" --work-path "$T/runc-work" "$NAME"
    echo "runc: status $status: $output" >&3
    assert_status 0
    at=$(counter "$RB")
    run rc restore -d --image-path "$T/runc-images2" --work-path "$T/runc-work" --bundle "$RB" "$NAME" </dev/null
    echo "runc restore: status $status: $output" >&3
    assert_status 0
    run rc state "$NAME"
    [[ $output == *'"status": "running"'* ]]
    counts_on_from "$at" "$RB"
    passes "$at" "$RB"
    echo "runc: counter $at at the dump, $(counter "$RB") after restore" >&3
    rc kill "$NAME" KILL
    for i in $(seq 50); do rc state "$NAME" | grep -q '"stopped"' && break; sleep 0.1; done
    rc delete "$NAME"
}
