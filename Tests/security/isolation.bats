#!/usr/bin/env bats
# What a container's config may reach on the host, tried from inside real
# containers: device nodes the device cgroup denies, sysctls outside the
# container's own namespaces, the kernel's "no id". Each case runs under
# runc too, when it is installed, and must end the same way there. Each
# test is named after its defence and prints one "ESCAPED: ..." line when
# the attack succeeded; scripts/security-without NAME
# Tests/security/isolation.bats shows it failing without that defence.
# What the defences must still let through (a node a rule allows,
# namespaced sysctls) is checked beside runc in Tests/cli/parity.bats.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template true; }
setup() { setup_test isolation; setup_bundle; }
teardown() { teardown_test; }

# Runs the bundle with hako, then with runc if there is one; both must end
# with status $1 and print $2 (runc's own error text is not compared).
both() {
    local want_status=$1 want_out=$2
    run hk run --bundle "$B" "$NAME"
    echo "hako: status $status: $output"
    [ "$status" -eq "$want_status" ]
    [ -z "$want_out" ] || [ "$output" = "$want_out" ]
    if ! command -v runc >/dev/null; then
        echo "runc is not installed: the comparison is SKIPPED" >&3
        return 0
    fi
    (cd "$B"
     run runc --root "$T/runc" run "$NAME-runc" </dev/null
     echo "runc: status $status: $output"
     [ "$status" -eq "$want_status" ] && { [ -z "$want_out" ] || [ "$output" = "$want_out" ]; })
}

# /dev/kmsg (c 1 11), listed in linux.devices so that the node exists; the
# shell opens it for writing without writing a byte.
kmsg_node() {
    cfg '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]'
    args sh -c '[ -c /dev/kmsg ] || { echo no node; exit 2; }; (exec 3>/dev/kmsg) 2>/dev/null && echo open || echo denied; head -c 3 /dev/zero | wc -c'
}

# The node must stay unusable, under hako and runc alike.
kmsg_denied() {
    run hk run --bundle "$B" "$NAME"
    if [[ "$output" == open* ]]; then echo "ESCAPED: the container opened /dev/kmsg for writing, which its device rules deny"; return 1; fi
    hk delete --force "$NAME" >/dev/null 2>&1 || true
    both 0 "$(printf 'denied\n3')"
}

@test "devices: a node listed in linux.devices stays unusable when the device rules deny it" {
    kmsg_node
    cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
    kmsg_denied
}

@test "devices: a listed node without any device rule is denied too, as in runc" {
    kmsg_node
    cfg 'del(.linux.resources.devices)'
    kmsg_denied
}

# sysctl_case NAME VALUE: a run that tries to set NAME must be refused,
# and the host's value must be what it was. A broken build that changed it
# has it put back before the test fails, so the host is never left altered.
sysctl_case() {
    local key=$1 value=$2 file=/proc/sys/$(echo "$1" | tr . /)
    [ -e "$file" ] || skip "this kernel has no $key"
    local before after rc=0
    before=$(cat "$file")
    cfg '.linux.sysctl = {($k): $v}' --arg k "$key" --arg v "$value"
    both 1 "" || rc=1
    after=$(cat "$file")
    [ "$before" = "$after" ] || { echo "$before" > "$file"; echo "ESCAPED: the host's $key changed: $before -> $after (restored)"; return 1; }
    return $rc
}

@test "sysctl: a sysctl that no namespace isolates is refused and the host's stays" {
    sysctl_case kernel.printk_ratelimit_burst 17
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"linux.sysctl.kernel.printk_ratelimit_burst: is not namespaced"* ]]
}

@test "sysctl: a net sysctl in the host's own network namespace is refused and the host's stays" {
    cfg '(.linux.namespaces[] | select(.type == "network")) |= (.path = "/proc/self/ns/net")'
    sysctl_case net.ipv4.ping_group_range "0 7"
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"linux.sysctl.net.ipv4.ping_group_range: linux.namespaces["*"].path /proc/self/ns/net is the host's own network namespace"* ]]
}

@test "sysctl: an ipc sysctl without an ipc namespace is refused and the host's stays" {
    cfg 'del(.linux.namespaces[] | select(.type == "ipc"))'
    sysctl_case fs.mqueue.queues_max 300
}

@test "no-id: uid 4294967295 is refused, never run as root" {
    cfg '.process.user.uid = 4294967295'
    args id -u
    run hk run --bundle "$B" "$NAME"
    if [ "$output" = 0 ]; then echo "ESCAPED: uid 4294967295 ran as root"; return 1; fi
    hk delete --force "$NAME" >/dev/null 2>&1 || true
    both 1 ""
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"process.user.uid: 4294967295 is (uid_t)-1"* ]]
}

# Found by attacking hako: the init waiting in a created container held the
# --log file, and a process exec'd into the container appended to the
# host's file through /proc/1/fd. runc's waiting init holds nothing there.
@test "init-fds: while a container is created, its exec'd processes cannot reach the init's descriptors" {
    args sleep 100
    hk --log "$T/hako.log" create --bundle "$B" "$NAME" </dev/null >/dev/null
    run hk exec "$NAME" sh -c 'for f in /proc/1/fd/*; do echo WRITTEN >> "$f" && echo "wrote $f"; done 2>/dev/null; true'
    echo "exec: $output"
    [ "$status" -eq 0 ]
    if grep -q WRITTEN "$T/hako.log"; then echo "ESCAPED: the host's --log file was written from inside"; return 1; fi
    [[ "$output" != *wrote* ]]
}
