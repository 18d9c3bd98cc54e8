#!/usr/bin/env bats
# Regression tests for the container-runtime CVEs that runc and crun learned
# from, each attacked from inside a real container.

setup_file() {
    ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    export HAKO=${HAKO:-$ROOT/.build/release/hako}
    [ "$(id -u)" = 0 ] || { echo "these tests create real containers and need root" >&2; return 1; }
    export TEMPLATE=$BATS_FILE_TMPDIR/template
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$TEMPLATE" true >/dev/null
}

setup() {
    T=$(mktemp -d /tmp/hako-cve.XXXXXX)
    NAME=cve-$BATS_TEST_NUMBER-$$
    B=$T/$NAME
    cp -a "$TEMPLATE" "$B"
    cfg '.linux.cgroupsPath = $cg' --arg cg "/hako-test/$NAME"
}

teardown() {
    for id in $(hk list -q 2>/dev/null); do hk delete --force "$id" >/dev/null 2>&1 || true; done
    for d in /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME; do [ -d "$d" ] && rmdir "$d" 2>/dev/null || true; done
    rm -rf "$T"
}

hk() { "$HAKO" --root "$T/state" "$@"; }
cfg() { local f=$1; shift; jq "$@" "$f" "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json"; }
args() { cfg '.process.args = $a' --argjson a "$(for x in "$@"; do printf '%s\n' "$x"; done | jq -R . | jq -s -c .)"; }

@test "CVE-2019-5736: the container cannot reach the hako binary through /proc/PID/exe during exec" {
    mkdir -p "$T/out"
    cfg '.mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]' --arg o "$T/out"
    # The attacker watches every process of the container for an exe it can open.
    cat > "$B/rootfs/attack" <<'SH'
touch /out/ready
while :; do
    for p in /proc/[0-9]*; do
        l=$(readlink $p/exe 2>/dev/null) && case "$l" in *hako*) echo "readlink $p $l" >> /out/seen;; esac
        # Opened, the binary could be rewritten once hako exits (a subshell:
        # a failed redirection would end this shell).
        (exec 9<$p/exe && case "$(readlink /proc/self/fd/9)" in *hako*) echo "opened $p" >> /out/seen;; esac) 2>/dev/null
    done
done
SH
    args sh /attack
    hk run -d --bundle "$B" "$NAME"
    for i in $(seq 50); do [ -e "$T/out/ready" ] && break; sleep 0.1; done
    for i in $(seq 40); do hk exec "$NAME" true; done
    [ "$(hk exec "$NAME" sh -c 'echo exec-ok')" = exec-ok ]
    [ ! -e "$T/out/seen" ] || { cat "$T/out/seen"; return 1; }
}

@test "CVE-2024-21626: process.cwd /proc/self/fd/N never escapes, in create and in exec" {
    for n in $(seq 3 20); do
        cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
        args sh -c 'ls -d ../../../../../../../../tmp/hako-cve.* 2>/dev/null && echo ESCAPED; pwd'
        run hk run --bundle "$B" "$NAME-$n"
        [ "$status" -eq 1 ] && [[ "$output" == *"process.cwd"* ]] || { echo "fd $n: $output"; return 1; }
    done
    cfg '.process.cwd = "/"'
    args sleep 100
    hk run -d --bundle "$B" "$NAME"
    for n in $(seq 3 20); do
        run hk exec --cwd "/proc/self/fd/$n" "$NAME" sh -c 'ls -d ../../../../../../../../tmp/hako-cve.* 2>/dev/null && echo ESCAPED; pwd'
        [ "$status" -eq 1 ] && [[ "$output" != *ESCAPED* ]] || { echo "exec fd $n: $output"; return 1; }
    done
}

@test "CVE-2024-21626: no descriptor of the runtime reaches the container process" {
    args sh -c 'ls /proc/self/fd'
    run hk run --bundle "$B" "$NAME"
    # 0-2 and the one ls opens to read the directory.
    [ "$status" -eq 0 ] && [ "$(echo $output)" = "0 1 2 3" ]
    args sleep 100
    hk run -d --bundle "$B" "$NAME-d"
    run hk exec "$NAME-d" sh -c 'ls /proc/self/fd'
    [ "$status" -eq 0 ] && [ "$(echo $output)" = "0 1 2 3" ]
}

@test "CVE-2021-30465: mount destinations through symlinks stay inside the rootfs" {
    host=$T/host-target
    mkdir -p "$host" "$B/rootfs$host"
    ln -s "$host" "$B/rootfs/abs-link"
    ln -s "../../../../../../../../..$host" "$B/rootfs/rel-link"
    cfg '.mounts += [{"destination": "/abs-link/a", "type": "tmpfs", "source": "tmpfs"}, {"destination": "/rel-link/b", "type": "tmpfs", "source": "tmpfs"}]'
    args sh -c "ls $host"
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] && [ "$(echo $output)" = "a b" ]
    # Nothing appeared or was mounted on the host side.
    [ -z "$(ls -A "$host")" ]
    ! grep -q "$host" /proc/self/mountinfo
}

@test "CVE-2025-31133: /dev/null must be the null device before anything is masked with it" {
    cfg '.mounts |= map(select(.destination != "/dev")) | .linux.maskedPaths = ["/etc/secret"]'
    echo secret > "$B/rootfs/etc/secret"
    mkdir -p "$B/rootfs/dev"
    ln -sf /proc/sys/kernel/hostname "$B/rootfs/dev/null"
    args cat /etc/secret
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"/dev/null"* ]]
    [ -z "$(hk list -q)" ]
}

@test "CVE-2025-52881: a procfs write is refused when something is mounted over its file" {
    # A sysctl whose file the config covers: first with a plain file, then
    # with another procfs file (kernel.domainname's), which would otherwise
    # take the write meant for kernel.hostname.
    echo decoy > "$T/decoy"
    cfg '.linux.sysctl = {"kernel.hostname": "written"} | .mounts += [{"destination": "/proc/sys/kernel/hostname", "type": "bind", "source": $d, "options": ["bind"]}]' --arg d "$T/decoy"
    args cat /proc/sys/kernel/hostname
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.sysctl.kernel.hostname: /proc/sys/kernel/hostname is not a procfs file"* ]] || { echo "$output"; false; }
    [ "$(cat "$T/decoy")" = decoy ]
    cfg '.mounts[-1].source = "/proc/sys/kernel/domainname"'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.sysctl.kernel.hostname: /proc/sys/kernel/hostname is covered by another mount"* ]] || { echo "$output"; false; }
    [ -z "$(hk list -q)" ]
    # Uncovered, the same sysctl is written.
    cfg 'del(.mounts[-1])'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] && [ "$output" = written ]
}

@test "CVE-2022-29162: the inheritable set stays empty unless the config asks" {
    cfg '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    args sh -c 'grep -E "^Cap(Inh|Amb)" /proc/self/status'
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"CapInh:	0000000000000000"* ]] && [[ "$output" == *"CapAmb:	0000000000000000"* ]]
    cfg '.process.user = {"uid": 1000, "gid": 1000}'
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"CapInh:	0000000000000000"* ]] && [[ "$output" == *"CapAmb:	0000000000000000"* ]]
    cfg '.process.capabilities.inheritable = ["CAP_KILL"]'
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"CapInh:	0000000000000020"* ]]
}
