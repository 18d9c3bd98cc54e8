#!/usr/bin/env bats
# Docker 20.10 (Debian's docker.io) on hako, and every scenario again on
# runc in the same test: the two must give the same result. dockerd runs
# privately (Tests/engines/docker-start: its own containerd, data-root,
# exec-root and socket, cgroupfs under /hako-test, no bridge, no iptables),
# with an image imported from the busybox rootfs: no registry.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires root docker || return 0
    require_hako
    export T=$(mktemp -d /tmp/hako-docker.XXXXXX)
    "$BATS_TEST_DIRNAME/docker-start" "$T/docker" "$HAKO"
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$T/bundle" true >/dev/null
    mkdir -p "$T/bundle/rootfs/home/app"
    printf 'app:x:1000:1000::/home/app:/bin/sh\n' >> "$T/bundle/rootfs/etc/passwd"
    printf 'echo not executable\n' > "$T/bundle/rootfs/notexec"
    tar -C "$T/bundle/rootfs" -c . | d import - localhost/busybox >/dev/null
    export CGROUP_PARENT=$(cat "$T/docker/cgroup-parent")
}

teardown_file() {
    [ -n "${T:-}" ] || return 0
    "$BATS_TEST_DIRNAME/docker-stop" "$T/docker"
    rm -rf "$T"
}

setup() { skip_if_unmet; }

teardown() {
    [ -n "${T:-}" ] || return 0
    local ids=$(d ps -aq)
    [ -z "$ids" ] || d rm -f $ids >/dev/null 2>&1 || true
}

d() { docker -H "unix://$T/docker/docker.sock" "$@"; }

# both SCENARIO [ARGS...]: runs the function on hako, then on runc (RT is
# the runtime's name), prints both results and fails unless they are equal.
# $hako holds hako's result for the test's own assertions.
both() {
    hako=$(RT=hako "$@" 2>&1) || hako="$hako [failed: $?]"
    runc=$(RT=runc "$@" 2>&1) || runc="$runc [failed: $?]"
    echo "hako: $hako"; echo "runc: $runc"
    [ "$hako" = "$runc" ]
}

# status CMD...: the command's exit status alone.
status() { "$@" >/dev/null 2>&1; echo $?; }

# dr ARGS...: docker run on the runtime under test (no network: this
# dockerd has no bridge).
dr() { d run --runtime "$RT" --network none "$@"; }

# The container's cgroup v1 file (or v2 when the host is unified).
cgfile() {
    local id=$(d inspect -f '{{.Id}}' "$1")
    for f in "/sys/fs/cgroup/$2$CGROUP_PARENT/$id/$3" "/sys/fs/cgroup$CGROUP_PARENT/$id/$4"; do
        [ -n "$f" ] && [ -f "$f" ] && { cat "$f"; return; }
    done
    echo "no $3/$4 for $1"
}

wait_running() {
    for i in $(seq 100); do [ "$(d inspect -f '{{.State.Running}}' "$1")" = true ] && return 0; sleep 0.05; done
    return 1
}

sc_exit_codes() {
    echo "0: $(status dr --rm localhost/busybox true)"
    echo "1: $(status dr --rm localhost/busybox false)"
    # The shell is not pid 1 under --init: the kernel lets it be killed.
    echo "137: $(status dr --rm --init localhost/busybox sh -c 'kill -9 $$')"
    echo "126 file: $(status dr --rm localhost/busybox /notexec)"
    echo "126 dir: $(status dr --rm localhost/busybox /etc)"
    echo "127: $(status dr --rm localhost/busybox nonexistent-cmd)"
    echo "127 path: $(status dr --rm localhost/busybox /no/such/program)"
}

@test "run --rm: output and exit codes 0, 1, 126, 127, 137" {
    RT=hako; out=$(dr --rm localhost/busybox echo hello)
    [ "$out" = hello ]
    both sc_exit_codes
    [ "$hako" = "0: 0
1: 1
137: 137
126 file: 126
126 dir: 126
127: 127
127 path: 127" ]
}

sc_detached() {
    dr -d --name "d-$RT" localhost/busybox sh -c 'echo started; exec sleep 100' >/dev/null
    wait_running "d-$RT"
    for i in $(seq 100); do d logs "d-$RT" | grep -q started && break; sleep 0.05; done
    echo "logs: $(d logs "d-$RT")"
    echo "exec: $(d exec "d-$RT" sh -c 'echo in; cat /proc/1/cmdline | tr "\0" " "')"
    echo "exec status: $(status d exec "d-$RT" sh -c 'exit 3')"
    echo "exec missing: $(status d exec "d-$RT" nonexistent-cmd)"
    echo "exec not executable: $(status d exec "d-$RT" /notexec)"
    echo "exec -it: $(script -qec "docker -H unix://$T/docker/docker.sock exec -it d-$RT tty" /dev/null </dev/null | tr -d '\r\000' | grep -o '/dev/pts/[0-9]*')"
    echo "top: $(d top "d-$RT" -o pid,args | awk 'NR > 1 {$1 = ""; print substr($0, 2)}')"
    echo "stats: $(d stats --no-stream --format '{{.PIDs}} pids, {{.MemUsage}}' "d-$RT" | sed 's/[0-9.]*[KMG]*i*B \//N \//')"
    d pause "d-$RT" >/dev/null
    echo "paused: $(d inspect -f '{{.State.Status}}' "d-$RT")"
    d unpause "d-$RT" >/dev/null
    echo "unpaused: $(d inspect -f '{{.State.Status}}' "d-$RT")"
    d update --memory 96m --memory-swap 192m --cpus 0.25 --pids-limit 40 "d-$RT" >/dev/null
    echo "update memory: $(cgfile "d-$RT" memory memory.limit_in_bytes memory.max)"
    echo "update cpu: $(cgfile "d-$RT" cpu cpu.cfs_quota_us cpu.max) shares $(cgfile "d-$RT" cpu cpu.shares cpu.weight)"
    echo "update pids: $(cgfile "d-$RT" pids pids.max pids.max)"
    d kill "d-$RT" >/dev/null
    for i in $(seq 100); do [ "$(d inspect -f '{{.State.Running}}' "d-$RT")" = false ] && break; sleep 0.05; done
    echo "kill: $(d inspect -f '{{.State.Status}} {{.State.ExitCode}}' "d-$RT")"
    d restart -t 1 "d-$RT" >/dev/null
    wait_running "d-$RT"
    echo "restarted: $(d inspect -f '{{.State.Status}} {{.RestartCount}}' "d-$RT") $(d logs "d-$RT" | grep -c started)"
    d stop -t 1 "d-$RT" >/dev/null
    echo "stopped: $(d inspect -f '{{.State.Status}} {{.State.ExitCode}}' "d-$RT")"
    d rm "d-$RT" >/dev/null
}

@test "-d, logs, exec (status, cannot start, -it), top, stats, pause, update, kill, restart, stop" {
    both sc_detached
    [[ "$hako" == *"logs: started"* ]]
    [[ "$hako" == *"exec: in
sleep 100 "* ]]
    # Docker's exec reports 126 for any process that cannot start
    # (daemon/exec.go sets it after translateContainerdStartErr), on runc too.
    [[ "$hako" == *"exec status: 3"*"exec missing: 126"*"exec not executable: 126"* ]]
    [[ "$hako" == *"exec -it: /dev/pts/0"* ]]
    [[ "$hako" == *"top: sleep 100"* ]]
    [[ "$hako" == *"stats: 1 pids, N / "* ]]
    [[ "$hako" == *"paused: paused"*"unpaused: running"* ]]
    [[ "$hako" == *"update memory: 100663296"*"update cpu: 25000"*"update pids: 40"* ]]
    [[ "$hako" == *"kill: exited 137"* ]]
    [[ "$hako" == *"restarted: running 0 2"* ]]
    [[ "$hako" == *"stopped: exited 137"* ]]
}

sc_limits() {
    dr -d --name "l-$RT" --memory 64m --cpus 0.5 --pids-limit 50 localhost/busybox sleep 100 >/dev/null
    wait_running "l-$RT"
    echo "memory: $(cgfile "l-$RT" memory memory.limit_in_bytes memory.max)"
    echo "cpu: $(cgfile "l-$RT" cpu cpu.cfs_quota_us cpu.max) $(cgfile "l-$RT" cpu cpu.cfs_period_us cpu.max)"
    echo "shares: $(cgfile "l-$RT" cpu cpu.shares cpu.weight)"
    echo "pids: $(cgfile "l-$RT" pids pids.max pids.max)"
    d rm -f "l-$RT" >/dev/null
    # Without limits Docker sends zeros, which mean "not set".
    dr -d --name "z-$RT" localhost/busybox sleep 100 >/dev/null
    wait_running "z-$RT"
    echo "defaults: shares $(cgfile "z-$RT" cpu cpu.shares cpu.weight) quota $(cgfile "z-$RT" cpu cpu.cfs_quota_us cpu.max) pids $(cgfile "z-$RT" pids pids.max pids.max)"
    d rm -f "z-$RT" >/dev/null
}

@test "--memory, --cpus, --pids-limit applied; no limits leave the kernel's defaults" {
    both sc_limits
    # runc gave the same above. On v2 (cpu.max holds quota and period,
    # cgfile reads it twice) the kernel's defaults are cpu.weight 100 and
    # cpu.max "max 100000".
    local cpu="50000 100000" shares=1024 quota=-1
    if [ ! -d /sys/fs/cgroup/memory ]; then
        cpu="50000 100000 50000 100000" shares=100 quota="max 100000"
    fi
    [[ "$hako" == *"memory: 67108864"*"cpu: $cpu"*"shares: $shares"*"pids: 50"* ]]
    [[ "$hako" == *"defaults: shares $shares quota $quota pids max"* ]]
}

sc_options() {
    mkdir -p "$T/vol-$RT"
    echo from-host > "$T/vol-$RT/f"
    echo "read-only: $(status dr --rm --read-only localhost/busybox touch /x)"
    echo "read-only tmpfs: $(dr --rm --read-only --tmpfs /tmp localhost/busybox sh -c 'touch /tmp/x && grep " /tmp " /proc/mounts | cut -d" " -f1,3')"
    echo "volume: $(dr --rm -v "$T/vol-$RT:/data" localhost/busybox sh -c 'cat /data/f; echo from-ctr > /data/g') $(cat "$T/vol-$RT/g")"
    echo "cap-drop ALL: $(dr --rm --cap-drop ALL localhost/busybox grep CapEff /proc/self/status)"
    echo "default caps: $(dr --rm localhost/busybox grep CapEff /proc/self/status)"
    echo "seccomp default: $(dr --rm localhost/busybox grep Seccomp: /proc/self/status)"
    echo "seccomp unconfined: $(dr --rm --security-opt seccomp=unconfined localhost/busybox grep Seccomp: /proc/self/status)"
    echo "init: $(dr --rm --init localhost/busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "')"
    echo "user: $(dr --rm --user 1000:1000 localhost/busybox id)"
    echo "user name: $(dr --rm --user app localhost/busybox sh -c 'id -u; echo $HOME')"
}

@test "--read-only, --tmpfs, -v, --cap-drop ALL, seccomp, --init, --user" {
    both sc_options
    [[ "$hako" == *"read-only: 1"* ]]
    [[ "$hako" == *"read-only tmpfs: tmpfs tmpfs"* ]]
    [[ "$hako" == *"volume: from-host from-ctr"* ]]
    [[ "$hako" == *"cap-drop ALL: CapEff:	0000000000000000"* ]]
    [[ "$hako" == *"seccomp default: Seccomp:	2"*"seccomp unconfined: Seccomp:	0"* ]]
    [[ "$hako" == *"init: /sbin/docker-init -- sh -c"* ]]
    [[ "$hako" == *"user: uid=1000(app) gid=1000 groups=1000"* ]]
    [[ "$hako" == *"user name: 1000
/home/app"* ]]
}
