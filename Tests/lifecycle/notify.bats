#!/usr/bin/env bats
# NOTIFY_SOCKET (sd_notify), side by side with runc: what systemd's
# Type=notify units and podman's --sdnotify=container rely on. With
# NOTIFY_SOCKET in its environment, create gives the container a socket of
# its own, /run/notify/notify.sock (NOTIFY_SOCKET in the process's env,
# the state dir's notify/ bind-mounted read-only), and start or run -d
# return only once the process has sent READY=1, which they pass on to the
# host's socket with MAINPID=<the init's pid>. The "systemd" here is
# notify/listener.py; the process is notify/ready.c, static, which sends
# READY=1 after a delay. runc 1.2 and hako also send BARRIER=1, runc 1.1
# does not: the comparisons leave it out.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template sleep 100 || return
    [ -z "${HAKO_UNMET:-}" ] || return 0
    export READY_BIN=$BATS_FILE_TMPDIR/ready
    gcc -static -O2 -o "$READY_BIN" "$BATS_TEST_DIRNAME/notify/ready.c" 2>"$READY_BIN.log" || rm -f "$READY_BIN"
}

setup() {
    setup_test notify
    [ -x "$READY_BIN" ] || skip "cannot build notify/ready.c (gcc -static): $(cat "$READY_BIN.log" 2>/dev/null)"
    LISTENERS=()
}

teardown() {
    local pid
    for pid in "${LISTENERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ "${#LISTENERS[@]}" -eq 0 ] || wait_pids 5 "${LISTENERS[@]}" || true
    teardown_test
}

# bundle RT ARG...: $T/RT, whose process runs ARG... (ready.c is at
# /ready), in its own cgroup /hako-test/$NAME-RT.
bundle() {
    local rt=$1; shift
    local b=$T/$rt a
    cp -a "$TEMPLATE" "$b"
    cp "$READY_BIN" "$b/rootfs/ready"
    a=$(for x in "$@"; do printf '%s\n' "$x"; done | jq -R . | jq -s -c .)
    jq --argjson a "$a" --arg cg "/hako-test/$NAME-$rt" '.process.args = $a | .linux.cgroupsPath = $cg' \
        "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
}

# listen RT: the host's socket, $T/RT.sock; what it receives goes to
# $T/RT.msgs. Called in the test itself, never in $(...), which would wait
# for the listener's end (it holds the output) and lose its pid.
listen() {
    : > "$T/$1.msgs"
    python3 "$BATS_TEST_DIRNAME/notify/listener.py" "$T/$1.sock" "$T/$1.msgs" >"$T/$1.log" 2>&1 </dev/null &
    LISTENERS+=($!)
    for _ in $(seq 100); do [ -S "$T/$1.sock" ] && return 0; sleep 0.05; done
    echo "the listener never bound $T/$1.sock" >&2
    return 1
}

# messages RT: what the host received, BARRIER=1 left out (runc 1.1 sends
# none), after waiting up to 5 s for MAINPID (runc 1.1 returns before the
# host has read it); the init's pid reads "init".
messages() {
    local pid
    pid=$(rt_$1 state "$NAME" | jq -r .pid)
    for _ in $(seq 100); do grep -q '^MAINPID=' "$T/$1.msgs" && break; sleep 0.05; done
    grep -v '^BARRIER=1$' "$T/$1.msgs" | sed "s/^MAINPID=$pid\$/MAINPID=init/"
}

# inside RT: the init's NOTIFY_SOCKET and the mount at /run/notify (point and options).
inside() {
    local pid
    pid=$(rt_$1 state "$NAME" | jq -r .pid)
    tr '\0' '\n' < "/proc/$pid/environ" | grep '^NOTIFY_SOCKET=' || echo "no NOTIFY_SOCKET"
    awk '$5 == "/run/notify" { print $5, $6 }' "/proc/$pid/mountinfo"
}

# ms: milliseconds since the epoch.
ms() { echo $(($(date +%s%N) / 1000000)); }

# create_start RT: create and start with NOTIFY_SOCKET, the process ready
# after 1 s: whether start waited for it, what the host got, what the
# container sees.
create_start() {
    local rt=$1 t0 rc=0
    bundle "$rt" /ready 1000
    (cd "$T/$rt"; NOTIFY_SOCKET=$T/$rt.sock rt_$rt create "$NAME" </dev/null >/dev/null 2>&1)
    t0=$(ms)
    NOTIFY_SOCKET=$T/$rt.sock rt_$rt start "$NAME" || rc=$?
    echo "start: rc=$rc waited=$([ $(($(ms) - t0)) -ge 900 ] && echo yes || echo no)"
    messages "$rt"
    inside "$rt"
}

# run_detached RT: the same through run -d.
run_detached() {
    local rt=$1 t0 rc=0
    bundle "$rt" /ready 1000
    t0=$(ms)
    NOTIFY_SOCKET=$T/$rt.sock rt_$rt run -d --bundle "$T/$rt" "$NAME" </dev/null >/dev/null 2>&1 || rc=$?
    echo "run -d: rc=$rc waited=$([ $(($(ms) - t0)) -ge 900 ] && echo yes || echo no)"
    messages "$rt"
    inside "$rt"
}

# What a runtime that waited and passed READY=1 on reports after LINE: the
# host's messages, the container's NOTIFY_SOCKET and its /run/notify mount.
notified() {
    printf '%s\n' "$1" READY=1 MAINPID=init NOTIFY_SOCKET=/run/notify/notify.sock '/run/notify ro,nosuid,nodev,noexec,relatime'
}

@test "create + start: start waits for READY=1, the host gets READY=1 and MAINPID=<init>, as with runc" {
    requires runc python3
    listen hako
    listen runc
    h=$(create_start hako)
    r=$(create_start runc)
    printf 'hako:\n%s\n' "$h"
    [ "$h" = "$(notified 'start: rc=0 waited=yes')" ]
    assert_same "create + start" "$h" "$r"
}

@test "run -d waits for READY=1 and passes READY=1 and MAINPID=<init>, as runc's" {
    requires runc python3
    listen hako
    listen runc
    h=$(run_detached hako)
    r=$(run_detached runc)
    printf 'hako:\n%s\n' "$h"
    [ "$h" = "$(notified 'run -d: rc=0 waited=yes')" ]
    assert_same "run -d" "$h" "$r"
}

@test "start returns after the host has read READY=1 and MAINPID (BARRIER=1)" {
    requires python3
    bundle hako /ready 300
    listen hako
    cd "$T/hako"
    NOTIFY_SOCKET=$T/hako.sock rt_hako create "$NAME"
    NOTIFY_SOCKET=$T/hako.sock rt_hako start "$NAME"
    pid=$(rt_hako state "$NAME" | jq -r .pid)
    run cat "$T/hako.msgs"
    [ "$output" = "$(printf '%s\n' READY=1 "MAINPID=$pid" BARRIER=1)" ]
}

@test "a process that exits without READY=1: start returns, nothing is sent, as with runc" {
    requires runc python3
    for rt in hako runc; do
        bundle "$rt" true
        listen "$rt"
        (cd "$T/$rt"; NOTIFY_SOCKET=$T/$rt.sock rt_$rt create "$NAME" </dev/null >/dev/null 2>&1)
        rc=0
        NOTIFY_SOCKET=$T/$rt.sock rt_$rt start "$NAME" || rc=$?
        eval "${rt}_rc=$rc"
        eval "${rt}_msgs=\$(cat \"\$T/\$rt.msgs\")"
    done
    [ "$hako_rc" -eq 0 ]
    [ -z "$hako_msgs" ]
    assert_same "start's status" "$hako_rc" "$runc_rc"
    assert_same "messages" "$hako_msgs" "$runc_msgs"
}

@test "without NOTIFY_SOCKET nothing changes: no notify directory, no mount, no NOTIFY_SOCKET" {
    bundle hako sleep 100
    (unset NOTIFY_SOCKET; rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null)
    run ls "$T/hako-state/$NAME"
    [[ "$output" != *notify* ]]
    run inside hako
    [ "$output" = "no NOTIFY_SOCKET" ]
}

@test "the process's own NOTIFY_SOCKET gives way to the container's, and the host's is not passed in" {
    requires python3
    bundle hako /ready 0
    B=$T/hako cfg '.process.env += ["NOTIFY_SOCKET=/elsewhere"]'
    listen hako
    NOTIFY_SOCKET=$T/hako.sock rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    run inside hako
    [ "${lines[0]}" = "NOTIFY_SOCKET=/run/notify/notify.sock" ]
    [ "${#lines[@]}" -eq 2 ]
}

@test "delete removes the notify directory with the state directory" {
    requires python3
    bundle hako /ready 0
    listen hako
    NOTIFY_SOCKET=$T/hako.sock rt_hako run -d --bundle "$T/hako" "$NAME" </dev/null
    [ -S "$T/hako-state/$NAME/notify/notify.sock" ]
    rt_hako delete --force "$NAME"
    [ ! -e "$T/hako-state/$NAME" ]
}

@test "start with a NOTIFY_SOCKET nobody listens on: an error naming it, and the container stays created" {
    bundle hako /ready 0
    cd "$T/hako"
    NOTIFY_SOCKET=$T/nobody.sock rt_hako create "$NAME"
    run env NOTIFY_SOCKET="$T/nobody.sock" "$HAKO" --root "$T/hako-state" start "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"NOTIFY_SOCKET $T/nobody.sock"* ]]
    run rt_hako state "$NAME"
    [ "$(jq -r .status <<<"$output")" = created ]
}

@test "run -d with a NOTIFY_SOCKET nobody listens on still runs the container, as runc's" {
    requires runc
    for rt in hako runc; do
        bundle "$rt" sleep 100
        rc=0
        NOTIFY_SOCKET=$T/nobody.sock rt_$rt run -d --bundle "$T/$rt" "$NAME" </dev/null >/dev/null 2>&1 || rc=$?
        eval "${rt}_rc=$rc"
        eval "${rt}_status=\$(rt_$rt state \"\$NAME\" | jq -r .status)"
    done
    [ "$hako_rc" -eq 0 ]
    [ "$hako_status" = running ]
    assert_same "run -d's status" "$hako_rc" "$runc_rc"
    assert_same "the container's status" "$hako_status" "$runc_status"
}

@test "start with NOTIFY_SOCKET of a container created without it fails, as runc's" {
    requires runc python3
    listen host
    for rt in hako runc; do
        bundle "$rt" sleep 100
        (unset NOTIFY_SOCKET; cd "$T/$rt"; rt_$rt create "$NAME" </dev/null >/dev/null 2>&1)
        rc=0
        NOTIFY_SOCKET=$T/host.sock rt_$rt start "$NAME" >/dev/null 2>&1 || rc=$?
        eval "${rt}_rc=$rc"
    done
    [ "$hako_rc" -eq 1 ]
    assert_same "start's status" "$hako_rc" "$runc_rc"
}
