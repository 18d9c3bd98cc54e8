#!/usr/bin/env bats
# scripts/install, the README's install: the binary goes on a read-only bind
# of its own directory, so create, run and exec run it as it is instead of
# executing hako a second time from a sealed copy (CVE-2019-5736,
# Process/ExecutableSeal.swift). Installed into a prefix of the test's own.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template true; }

setup() {
    setup_test install
    setup_bundle
    requires mountpoint findmnt
    [ -x "$ROOT/.build/release/hako" ] || skip "scripts/install installs .build/release/hako, which is not built"
    P=$T/prefix
}

teardown() {
    while [ -n "${P:-}" ] && mountpoint -q "$P/lib/hako"; do umount "$P/lib/hako"; done
    teardown_test
}

# The trace of `run` of the installed hako, on a bundle whose process is true.
traced_run() { "$P/bin/hako" --root "$T/state" --trace run --bundle "$B" "$1" 2>&1; }

@test "install: bin/hako names the binary on a read-only bind of lib/hako" {
    "$ROOT/scripts/install" "$P"
    [ "$(readlink "$P/bin/hako")" = "$P/lib/hako/hako" ]
    [ "$(findmnt -n -o OPTIONS --target "$P/lib/hako/hako" | cut -d, -f1)" = ro ]
    cmp "$ROOT/.build/release/hako" "$P/lib/hako/hako"
}

@test "install: the installed hako runs a container without sealing itself again" {
    "$ROOT/scripts/install" "$P"
    run traced_run "$NAME"
    [ "$status" -eq 0 ]
    [[ "$output" == *"arguments parsed"* ]]
    [[ "$output" != *"seal:"* ]]
}

@test "install: the same binary on a writable mount seals itself" {
    mkdir -p "$P/bin"
    cp "$ROOT/.build/release/hako" "$P/bin/hako"
    run traced_run "$NAME"
    [ "$status" -eq 0 ]
    [[ "$output" == *"seal: hako re-executes from"* ]]
}

@test "install: installing again replaces the binary under one read-only bind" {
    "$ROOT/scripts/install" "$P"
    "$ROOT/scripts/install" "$P"
    [ "$(awk -v m="$P/lib/hako" '$5 == m' /proc/self/mountinfo | wc -l)" -eq 1 ]
    [ "$(findmnt -n -o OPTIONS --target "$P/lib/hako/hako" | cut -d, -f1)" = ro ]
    run traced_run "$NAME"
    [ "$status" -eq 0 ]
}
