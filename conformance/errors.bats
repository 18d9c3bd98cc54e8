#!/usr/bin/env bats
# runtime-spec runtime.md "Errors": "Unless otherwise stated, generating an
# error MUST leave the state of the environment as if the operation were
# never attempted (modulo any possible trivial ancillary changes such as
# logging)." Each failing create below must exit 1, name the config.json
# field, and leave no state, cgroup, mount or process behind.

load "$BATS_TEST_DIRNAME/../Tests/helpers"

# Each test gets a fresh copy of the busybox bundle and a private state
# root; its container's cgroup is /hako-test/conf-<n>, and everything a test
# makes is removed in teardown, also when it fails.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

# fails_cleanly FIELD: create fails naming FIELD and leaves nothing of its
# own: no mount under the test's directory (the host's whole table changes
# with whatever else runs beside the suite; a second copy of it did).
fails_cleanly() {
    run hk create --bundle "$B" "$NAME"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"$1"* ]]
    [ -z "$(hk list -q 2>/dev/null)" ]
    [ ! -e "$T/state/$NAME" ]
    [ -z "$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null)" ]
    [ "$(grep -c -F " $T/" /proc/self/mountinfo)" = 0 ]
    ! pgrep -f "$NAME" >/dev/null
}

@test "runtime.md errors: a config.json that is not JSON" {
    echo '{"ociVersion": ' > "$B/config.json"
    fails_cleanly config.json
}

@test "runtime.md errors: a field of the wrong type" {
    cfg '.process.args = "sh"'
    fails_cleanly process.args
}

@test "runtime.md errors: the executable does not exist in the rootfs" {
    args /no/such/program
    fails_cleanly process.args
}

@test "runtime.md errors: a bind mount whose source does not exist (after the cgroup and namespaces were made)" {
    cfg '.mounts += [{"destination": "/m", "type": "bind", "source": "/no/such/dir", "options": ["bind"]}]'
    fails_cleanly 'mounts['
}

@test "runtime.md errors: an rlimit the kernel refuses fails in the init" {
    # Above fs.nr_open no process may raise RLIMIT_NOFILE, whatever its capabilities.
    n=$(( $(cat /proc/sys/fs/nr_open) + 1 ))
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $n, "hard": $n}]' --argjson n "$n"
    fails_cleanly 'process.rlimits[0]'
}

@test "runtime.md errors: a failing prestart hook" {
    cfg '.hooks = {prestart: [{"path": "/bin/false"}]}'
    fails_cleanly 'hooks.prestart[0]'
}

@test "runtime.md errors: a cgroup resource the kernel refuses" {
    cfg '.linux.resources.cpu = {"cpus": "999"}'
    fails_cleanly 'linux.resources.cpu.cpus'
}

@test "runtime.md errors: a sysctl that does not exist" {
    cfg '.linux.sysctl = {"net.no.such.key": "1"}'
    fails_cleanly 'linux.sysctl'
}

@test "runtime.md errors: a missing rootfs" {
    rm -rf "$B/rootfs"
    fails_cleanly root.path
}

@test "runtime.md operations: an unknown command or flag is an error, not ignored" {
    run hk frobnicate "$NAME"
    [ "$status" -ne 0 ]
    run hk create --no-such-flag --bundle "$B" "$NAME"
    [ "$status" -ne 0 ]
    [ -z "$(hk list -q 2>/dev/null)" ]
}
