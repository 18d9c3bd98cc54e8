#!/usr/bin/env bats
# podman 4.3 and conmon (Debian's) running their containers on the hako just
# built, registered as a runtime in a private containers.conf, with private
# storage, an image imported from the test rootfs (no registry is reachable
# here) and --network none (no netavark bridges left behind).

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires root podman || return 0
    require_hako
    export T=$(mktemp -d /tmp/hako-podman.XXXXXX)
    # Root lacks CAP_SYS_RESOURCE on these machines: podman's default
    # ulimits (nofile and nproc at the maximum) would make every create fail.
    cat > "$T/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "hako"
runtime_supports_json = ["crun", "runc", "hako"]
[engine.runtimes]
hako = ["$HAKO"]
CONF
    export CONTAINERS_CONF=$T/containers.conf
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$T/bundle" true >/dev/null
    tar -C "$T/bundle/rootfs" -c . | podman --root "$T/storage" --runroot "$T/run" import - localhost/busybox >/dev/null
}

setup() { skip_if_unmet; }

teardown_file() {
    [ -n "${T:-}" ] || return 0
    podman --root "$T/storage" --runroot "$T/run" rm -af -t 0 >/dev/null 2>&1 || true
    podman --root "$T/storage" --runroot "$T/run" unshare true >/dev/null 2>&1 || true
    umount "$T/storage/overlay" 2>/dev/null || true
    rm -rf "$T"
    # podman's cgroupfs parent (conmon's cgroup and the containers').
    for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
}

p() { podman --root "$T/storage" --runroot "$T/run" "$@"; }

@test "podman reports hako as its runtime" {
    run p info --format '{{.Host.OCIRuntime.Name}}'
    [ "$status" -eq 0 ] && [ "$output" = hako ]
}

@test "run --rm: output and exit code" {
    run p run --rm --network none localhost/busybox echo hello
    [ "$status" -eq 0 ]
    [ "$output" = hello ]
    run p run --rm --network none localhost/busybox sh -c 'exit 7'
    [ "$status" -eq 7 ]
    run sh -c "echo stdin-ok | podman --root $T/storage --runroot $T/run run --rm -i --network none localhost/busybox cat"
    [ "$status" -eq 0 ] && [ "$output" = stdin-ok ]
}

@test "run -t uses the console socket" {
    run p run --rm -t --network none localhost/busybox tty
    [ "$status" -eq 0 ] && [ "${output%$'\r'}" = /dev/pts/0 ]
}

@test "run -d, exec, exec -t, exec -d" {
    p run -d --network none --name s1 localhost/busybox sleep 100
    run p exec s1 sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    [ "$status" -eq 0 ]
    [ "$output" = "sleep 100 " ]
    run p exec -t s1 tty
    [ "$status" -eq 0 ]
    [ "${output%$'\r'}" = /dev/pts/0 ]
    p exec -d s1 sleep 30
    run p top s1 args
    [[ "$output" == *"sleep 30"* ]]
    run p exec s1 sh -c 'exit 3'
    [ "$status" -eq 3 ]
    p rm -f -t 0 s1
}

@test "pause and unpause" {
    p run -d --network none --name s2 localhost/busybox sleep 100
    p pause s2
    run p inspect --format '{{.State.Status}}' s2
    [ "$output" = paused ]
    p unpause s2
    run p inspect --format '{{.State.Status}}' s2
    [ "$output" = running ]
    p rm -f -t 0 s2
}

@test "kill -s, stop, start, restart, rm -f" {
    p run -d --network none --name s3 localhost/busybox sh -c 'trap "echo got-usr1" USR1; while true; do sleep 0.1; done'
    p kill -s USR1 s3
    sleep 0.5
    run p logs s3
    [[ "$output" == *got-usr1* ]]
    p stop -t 1 s3
    run p inspect --format '{{.State.Status}}' s3
    [ "$output" = exited ]
    p start s3
    run p inspect --format '{{.State.Status}}' s3
    [ "$output" = running ]
    p restart -t 1 s3
    run p inspect --format '{{.State.Status}}' s3
    [ "$output" = running ]
    p rm -f -t 0 s3
    run p ps -a -q --filter name=s3
    [ -z "$output" ]
}

@test "update --memory reaches the container's cgroup" {
    p run -d --network none --name s4 localhost/busybox sleep 100
    p update --memory 100m s4
    run p exec s4 sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
    [ "$output" = 104857600 ]
    p rm -f -t 0 s4
}

@test "--rootfs DIR" {
    run p run --rm --network none --rootfs "$T/bundle/rootfs" echo from-rootfs
    [ "$status" -eq 0 ] && [ "$output" = from-rootfs ]
}

# podman 4.3 turns the runtime's words into 127 and 126 (libpod/oci_util.go
# getOCIRuntimeError): the same statuses on hako as on runc.
unrunnable() {
    local rt=$1 c=unrun-$(basename "$1")
    echo "run missing: $(p run --rm --runtime "$rt" --network none localhost/busybox nonexistent-cmd >/dev/null 2>&1; echo $?)"
    echo "run not executable: $(p run --rm --runtime "$rt" --network none localhost/busybox /etc >/dev/null 2>&1; echo $?)"
    p run -d --runtime "$rt" --network none --name "$c" localhost/busybox sleep 100 >/dev/null
    echo "exec missing: $(p exec "$c" nonexistent-cmd >/dev/null 2>&1; echo $?)"
    echo "exec not executable: $(p exec "$c" /etc >/dev/null 2>&1; echo $?)"
    p rm -f -t 0 "$c" >/dev/null
}

@test "a program that cannot be run: 127 and 126 in run and exec, as on runc" {
    command -v runc >/dev/null || skip "runc is not installed: the comparison needs it"
    hako=$(unrunnable "$HAKO"); runc=$(unrunnable "$(command -v runc)")
    echo "hako: $hako"; echo "runc: $runc"
    [ "$hako" = "$runc" ]
    [ "$hako" = "run missing: 127
run not executable: 126
exec missing: 127
exec not executable: 126" ]
}
