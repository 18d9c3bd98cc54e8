#!/usr/bin/env bats
# containerd 1.6 (Debian's) with its runc v2 shim running tasks on the hako
# just built (`ctr run --runc-binary`): a private containerd whose root, state
# and socket live in a temporary directory, started and stopped here, and an
# image imported from an OCI tarball built from the test rootfs with umoci.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires root containerd umoci script || return 0
    require_hako
    export T=$(mktemp -d /tmp/hako-containerd.XXXXXX)
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$T/bundle" true >/dev/null
    umoci init --layout "$T/oci"
    umoci new --image "$T/oci:latest"
    umoci insert --image "$T/oci:latest" "$T/bundle/rootfs" / >/dev/null
    tar -C "$T/oci" -cf "$T/image.tar" .
    cat > "$T/config.toml" <<CONF
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
CONF
    containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
    echo $! > "$T/containerd.pid"
    for i in $(seq 100); do ctr --address "$T/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
    ctr --address "$T/containerd.sock" image import --base-name localhost/busybox "$T/image.tar" >/dev/null
}

setup() { skip_if_unmet; }

teardown_file() {
    [ -n "${T:-}" ] || return 0
    for t in $(c task ls -q 2>/dev/null); do c task kill -s SIGKILL "$t" 2>/dev/null; c task delete -f "$t" 2>/dev/null; done
    for x in $(c container ls -q 2>/dev/null); do c container rm "$x" 2>/dev/null; done
    if [ -f "$T/containerd.pid" ] && kill "$(cat "$T/containerd.pid")"; then sleep 0.5; fi
    if grep -q " $T/" /proc/self/mountinfo; then awk -v t="$T/" '$5 ~ "^"t {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; fi
    rm -rf "$T"
    # ctr's default namespace is the cgroup parent of its tasks.
    for d in /sys/fs/cgroup/*/default /sys/fs/cgroup/default; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
}

c() { ctr --address "$T/containerd.sock" "$@"; }

@test "run: output and exit code" {
    run c run --rm --runc-binary "$HAKO" localhost/busybox:latest c1 echo hi
    [ "$status" -eq 0 ]
    [ "$output" = hi ]
    run c run --rm --runc-binary "$HAKO" localhost/busybox:latest c2 sh -c 'exit 7'
    [ "$status" -eq 7 ]
}

@test "run -t" {
    run script -qec "ctr --address $T/containerd.sock run --rm -t --runc-binary $HAKO localhost/busybox:latest c3 tty" /dev/null
    [ "$status" -eq 0 ] && [[ "$output" == *"/dev/pts/0"* ]]
}

@test "task exec, exec -t, ps, pause, resume, kill -a, delete" {
    c run -d --runc-binary "$HAKO" localhost/busybox:latest c4 sleep 100
    run c task exec --exec-id e1 c4 sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
    [ "$status" -eq 0 ]
    [ "$output" = "exec-ok
sleep 100 " ]
    run script -qec "ctr --address $T/containerd.sock task exec -t --exec-id e2 c4 tty" /dev/null
    [[ "$output" == *"/dev/pts/0"* ]]
    run c task ps c4
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | wc -l)" -ge 2 ]
    c task pause c4
    run c task ls
    [[ "$output" == *PAUSED* ]]
    c task resume c4
    run c task ls
    [[ "$output" == *RUNNING* ]]
    c task kill -a -s SIGKILL c4
    for i in $(seq 50); do c task ls | grep -q STOPPED && break; sleep 0.1; done
    run c task ls
    [[ "$output" == *STOPPED* ]]
    c task delete c4
    c container rm c4
    run c task ls -q
    [ -z "$output" ]
}

@test "run --rootfs DIR" {
    mkdir -p "$T/rootfs-rw"
    cp -a "$T/bundle/rootfs/." "$T/rootfs-rw/"
    run c run --rm --rootfs --runc-binary "$HAKO" "$T/rootfs-rw" c5 echo from-rootfs
    [ "$status" -eq 0 ] && [ "$output" = from-rootfs ]
}

# The shim's runc binary: hako, or runc for the comparison.
binary() { [ "$1" = hako ] && echo "$HAKO" || command -v runc; }

# A task whose process has exited, killed and deleted as containerd's CRI
# does when it stops a pod: the shim must read "process already finished"
# (NotFound), which the CRI ignores, not "unknown error after kill".
exited_task() {
    local rt=$1 id=exited-$1 bin=$(binary "$1")
    c run -d --runc-binary "$bin" localhost/busybox:latest "$id" true
    for i in $(seq 100); do c task ls | grep -q "^$id .*STOPPED" && break; sleep 0.05; done
    c task ls | grep "^$id " | awk '{print "state:", $3}'
    local out
    out=$(c task kill -s SIGKILL "$id" 2>&1) && echo "kill: ok" || echo "kill: ${out#ctr: }"
    out=$(c task kill -a -s SIGKILL "$id" 2>&1) && echo "kill -a: ok" || echo "kill -a: ${out#ctr: }"
    if c task delete "$id" >/dev/null; then echo "delete: ok"; fi
    if c container rm "$id"; then echo "rm: ok"; fi
    # Nothing left: no task, no runtime state in the shim's root, no cgroup.
    c task ls -q | grep -x "$id"
    "$bin" --root /run/containerd/runc/default list -q 2>/dev/null | grep -x "$id"
    ls -d /sys/fs/cgroup/*/default/"$id" /sys/fs/cgroup/default/"$id" 2>/dev/null
    true
}

@test "a task whose process exited: kill answers NotFound, delete leaves nothing, as on runc" {
    command -v runc >/dev/null || skip "runc is not installed: the comparison needs it"
    hako=$(exited_task hako)
    runc=$(exited_task runc)
    echo "hako:"; echo "$hako"; echo "runc:"; echo "$runc"
    [ "$hako" = "$runc" ]
    [[ "$hako" == *"state: STOPPED"*"kill: process already finished: not found"*"delete: ok"*"rm: ok" ]]
}
