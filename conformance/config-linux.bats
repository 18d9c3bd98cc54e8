#!/usr/bin/env bats
# runtime-spec config-linux.md: namespaces, id mappings, devices, cgroups,
# sysctl, seccomp, masked and read-only paths. Each test quotes the
# sentence it checks.

load "$BATS_TEST_DIRNAME/../Tests/helpers"

# Each test gets a fresh copy of the busybox bundle and a private state
# root; its container's cgroup is /hako-test/conf-<n>, and everything a test
# makes is removed in teardown, also when it fails.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

ns_of() { readlink "/proc/$1/ns/$2"; }

@test "config-linux.md namespaces: 'If path is not specified, the runtime MUST create a new container namespace of type type'" {
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    for ns in pid mnt ipc uts net; do
        [ "$(ns_of "$pid" $ns)" != "$(ns_of self $ns)" ]
    done
}

@test "config-linux.md namespaces: 'If a namespace type is not specified ..., the container MUST inherit the runtime namespace of that type'" {
    cfg '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    [ "$(ns_of "$pid" net)" = "$(ns_of self net)" ]
    [ "$(ns_of "$pid" ipc)" = "$(ns_of self ipc)" ]
}

@test "config-linux.md namespaces: 'The runtime MUST place the container process in the namespace associated with that path'" {
    args sleep 100
    hk run -d --bundle "$B" "$NAME"
    first=$(hk state "$NAME" | jq -r .pid)
    mkdir -p "$T/second"
    cp "$B/config.json" "$T/second/"
    ln -s "$B/rootfs" "$T/second/rootfs"
    jq --arg p "/proc/$first/ns/net" --arg u "/proc/$first/ns/uts" \
       '.linux.namespaces |= map(if .type == "network" then .path = $p elif .type == "uts" then .path = $u else . end) | del(.hostname) | .linux.cgroupsPath += "-2"' \
       "$B/config.json" > "$T/second/config.json"
    hk create --bundle "$T/second" "$NAME-2"
    second=$(hk state "$NAME-2" | jq -r .pid)
    [ "$(ns_of "$second" net)" = "$(ns_of "$first" net)" ]
    [ "$(ns_of "$second" uts)" = "$(ns_of "$first" uts)" ]
    [ "$(ns_of "$second" pid)" != "$(ns_of "$first" pid)" ]
    hk delete --force "$NAME-2"
    rmdir /sys/fs/cgroup/*/hako-test/$NAME-2 2>/dev/null || true
}

@test "config-linux.md namespaces: 'The runtime MUST generate an error if path is not associated with a namespace of type type'" {
    cfg '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linux.namespaces["* ]]
    [ -z "$(hk list -q)" ]
    cfg '.linux.namespaces |= map(if .type == "network" then .path = "/etc/hostname" else . end)'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.namespaces["* ]]
}

@test "config-linux.md namespaces: 'If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error'" {
    cfg '.linux.namespaces += [{"type": "uts"}]'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linux.namespaces["* ]]
    [ -z "$(hk list -q)" ]
}

@test "config-linux.md uidMappings/gidMappings: the container's user namespace maps ids as given" {
    cfg '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 0, "size": 1}]
         | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
    chmod 755 "$T"
    run_in 'cat /proc/self/uid_map /proc/self/gid_map'
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | awk '{print $1, $2, $3}' | tr '\n' ';')" = "0 100000 1000;1000 0 1;0 200000 65536;" ]
}

@test "config-linux.md devices: 'lists devices that MUST be available in the container' with type, major, minor, fileMode, uid, gid" {
    cfg '.linux.devices = [{"path": "/dev/conf-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 7, "gid": 8},
                           {"path": "/opt/fifo", "type": "p", "fileMode": 384}]'
    run_in 'stat -c "%F %t,%T %a %u %g" /dev/conf-null /opt/fifo; echo x > /dev/conf-null && echo writable'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "character special file 1,3 666 7 8" ]
    [ "${lines[1]}" = "fifo 0,0 600 0 0" ]
    [ "${lines[2]}" = writable ]
}

@test "config-linux.md devices: 'If a file already exists at path that does not match the requested device, the runtime MUST generate an error'" {
    mkdir -p "$B/rootfs/opt"
    echo regular > "$B/rootfs/opt/dev"
    cfg '.linux.devices = [{"path": "/opt/dev", "type": "c", "major": 1, "minor": 3}]'
    cfg '.mounts |= map(select(.destination != "/dev"))'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linux.devices[0]"* ]]
    [ -z "$(hk list -q)" ]
}

@test "config-linux.md default devices: 'the runtime MUST also supply' /dev/null, zero, full, random, urandom, tty and ptmx" {
    run_in 'for d in null zero full random urandom tty; do stat -c "%n %F %t,%T" /dev/$d; done; ls -l /dev/ptmx; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo ok'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "/dev/null character special file 1,3" ]
    [ "${lines[1]}" = "/dev/zero character special file 1,5" ]
    [ "${lines[2]}" = "/dev/full character special file 1,7" ]
    [ "${lines[3]}" = "/dev/random character special file 1,8" ]
    [ "${lines[4]}" = "/dev/urandom character special file 1,9" ]
    [ "${lines[5]}" = "/dev/tty character special file 5,0" ]
    [[ "${lines[6]}" == *"/dev/ptmx -> pts/ptmx"* ]]
    [ "${lines[7]}" = 4 ] && [ "${lines[8]}" = ok ]
}

@test "config-linux.md cgroupsPath: 'In the case of an absolute path ..., the runtime MUST take the path to be relative to the cgroups mount point'" {
    cfg '.linux.resources.pids = {"limit": 42}'
    args sleep 100
    hk create --bundle "$B" "$NAME"
    pid=$(hk state "$NAME" | jq -r .pid)
    if [ -d /sys/fs/cgroup/pids ]; then dir=/sys/fs/cgroup/pids/hako-test/$NAME; else dir=/sys/fs/cgroup/hako-test/$NAME; fi
    [ "$(cat "$dir/pids.max")" = 42 ]
    grep -qx "$pid" "$dir/cgroup.procs"
}

@test "config-linux.md device allowlist: 'The runtime MUST apply entries in the listed order'" {
    # /dev/net/tun (10:200) is not among the default devices. The container
    # makes the node itself (mknod is allowed); opening it is what the
    # rules decide: EPERM when denied, anything else when allowed.
    probe='rm -f /tmp/tun; mknod /tmp/tun c 10 200 && cat /tmp/tun 2>&1 | grep -q "Operation not permitted" && echo denied || echo allowed'
    cfg '.root.readonly = false | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]'
    cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rw"}, {"allow": false, "type": "c", "major": 10, "minor": 200, "access": "r"}]'
    run_in "$probe"
    [ "$output" = denied ]
    cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": false, "type": "c", "major": 10, "minor": 200, "access": "r"}, {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rw"}]'
    run_in "$probe"
    [ "$output" = allowed ]
}

@test "config-linux.md sysctl: 'allows kernel parameters to be modified at runtime for the container'" {
    cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
    run_in 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
    [ "$output" = "$(printf '1\n1234')" ]
    [ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "config-linux.md maskedPaths: 'will mask over the provided paths inside the container so that they cannot be read'" {
    mkdir -p "$B/rootfs/secret-dir"
    echo s > "$B/rootfs/secret-dir/f"
    echo s > "$B/rootfs/secret-file"
    cfg '.linux.maskedPaths = ["/secret-dir", "/secret-file", "/does/not/exist"]'
    run_in 'ls -A /secret-dir | wc -l; wc -c < /secret-file'
    [ "$status" -eq 0 ] && [ "$(echo $output)" = "0 0" ]
}

@test "config-linux.md readonlyPaths: 'will set the provided paths as readonly inside the container'" {
    mkdir -p "$B/rootfs/ro-dir"
    cfg '.linux.readonlyPaths = ["/ro-dir", "/proc/sys"] | .root.readonly = false'
    run_in 'touch /ro-dir/x 2>/dev/null || echo ro-dir; { echo 1 > /proc/sys/kernel/ns_last_pid; } 2>/dev/null || echo proc-sys; touch /tmp/x && echo tmp-rw'
    [ "$output" = "$(printf 'ro-dir\nproc-sys\ntmp-rw')" ]
}

@test "config-linux.md rootfsPropagation: the rootfs mount gets the given propagation" {
    # This host's own / is private, so "slave" would show no master here:
    # shared and private are what can be told apart from inside.
    cfg '.linux.rootfsPropagation = "shared"'
    run_in "awk '\$5 == \"/\"' /proc/self/mountinfo"
    [[ "$output" == *" shared:"* ]]
    cfg '.linux.rootfsPropagation = "private"'
    run_in "awk '\$5 == \"/\"' /proc/self/mountinfo"
    [[ "$output" != *shared:* ]] && [[ "$output" != *master:* ]]
}

@test "config-linux.md seccomp: 'provides application sandboxing'; SCMP_ACT_ERRNO with errnoRet is returned by the syscall" {
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
    run_in 'mkdir /tmp/d 2>&1; echo rc=$?'
    [[ "$output" == *"Permission denied"* ]] && [[ "$output" == *rc=1* ]]
}

@test "config-linux.md time namespace: timeOffsets shift the container's boottime and monotonic clocks" {
    cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 31536000}, "monotonic": {"secs": 86400}}'
    run_in 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
    [ "$status" -eq 0 ]
    host=$(cut -d. -f1 /proc/uptime)
    [ "${lines[0]}" -ge $((host + 31536000 - 5)) ]
    [ "${lines[0]}" -le $((host + 31536000 + 30)) ]
    [ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
    cfg 'del(.linux.namespaces[] | select(.type == "time"))'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *linux.timeOffsets* ]]
}

@test "config-linux.md personality: domain LINUX32 makes uname report a 32-bit machine" {
    [ "$(uname -m)" = x86_64 ] || skip "LINUX32 is checked on x86_64 only; this is $(uname -m)"
    cfg '.linux.personality = {"domain": "LINUX32"}'
    run_in 'uname -m'
    [ "$output" = i686 ]
    cfg '.linux.personality = {"domain": "LINUX", "flags": ["SOMETHING"]}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.personality.flags[0]"* ]]
}

@test "config-linux.md memoryPolicy: the process's NUMA policy (set_mempolicy)" {
    [ -e /proc/self/numa_maps ] || { echo "this kernel has no NUMA support (no /proc/self/numa_maps)" >&2; return 1; }
    cfg '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}'
    run_in 'grep -c interleave /proc/self/numa_maps'
    [ "$status" -eq 0 ]
    [ "$output" -gt 0 ]
    cfg '.linux.memoryPolicy = {"mode": "MPOL_NOPE"}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.memoryPolicy.mode"* ]]
}

@test "config-linux.md netDevices and intelRdt: refused by name, not ignored" {
    cfg '.linux.netDevices = {"eth9": {"name": "eth0"}}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *linux.netDevices* ]]
    cfg 'del(.linux.netDevices) | .linux.intelRdt = {"closID": "x"}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *linux.intelRdt* ]]
}
