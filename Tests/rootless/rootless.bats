#!/usr/bin/env bats
# Rootless: hako run by an unprivileged user (uid 65534, nobody) on a
# `hako spec --rootless` bundle. The user namespace maps the caller's own id
# (written directly) or, with /etc/subuid ranges, more (through newuidmap);
# sysfs and devices are bound from the host; no cgroup can be made, so none is.
# The harness is root only to set up and to switch to uid 65534 (setpriv).

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires root setpriv newuidmap newgidmap jq userns || return 0
    # Every path uid 65534 walks must be open to it: hako runs from a copy,
    # since the checkout may lie under a directory closed to others.
    export BIN=$(mktemp -d /tmp/hako-rootless-bin.XXXXXX)
    chmod 755 "$BIN"
    cp "$HAKO" "$BIN/hako"
    chmod 755 "$BIN/hako"
    HAKO=$BIN/hako
    [ -r "$HAKO" ] && [ -x "$HAKO" ] && setpriv --reuid 65534 --regid 65534 --clear-groups "$HAKO" --version >/dev/null || {
        echo "uid 65534 cannot run $HAKO (a directory on the way is closed to others)" >&2; return 1; }
    setup_template true
    rm "$TEMPLATE/config.json"
}

teardown_file() { if [ -n "${BIN:-}" ]; then rm -rf "$BIN"; fi; }

setup() {
    setup_test rootless
    chmod 755 "$T"
    B=$T/$NAME
    cp -a "$TEMPLATE" "$B"
    mkdir -m 700 "$T/run"
    chown 65534:65534 "$B" "$T/run"
    # The user's own spec: the maps name its uid and gid.
    (cd "$B" && as_user "$HAKO" spec --rootless)
    cfg '.process.terminal = false | .process.args = ["true"]'
    SUBUID_SAVED=
}

teardown() {
    [ -n "${T:-}" ] || return 0
    for id in $(as_user "$HAKO" list -q 2>/dev/null); do as_user "$HAKO" delete --force "$id" >/dev/null 2>&1 || true; done
    for f in subuid subgid; do
        if [ -n "$SUBUID_SAVED" ]; then
            if [ -e "$T/$f.saved" ]; then cp -p "$T/$f.saved" /etc/$f; else rm -f /etc/$f; fi
        fi
    done
    teardown_test
}

as_user() { XDG_RUNTIME_DIR=$T/run setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
hk() { as_user "$HAKO" "$@"; }
cfg() { local f=$1; shift; jq "$@" "$f" "$B/config.json" > "$B/c" && mv "$B/c" "$B/config.json" && chown 65534:65534 "$B/config.json"; }

# Subordinate ids for nobody, for the tests of more than one mapping; the
# files are put back as they were by teardown.
give_subids() {
    SUBUID_SAVED=1
    for f in subuid subgid; do
        if [ -e /etc/$f ]; then cp -p /etc/$f "$T/$f.saved"; fi
        echo "nobody:200000:65536" >> /etc/$f
    done
}

@test "rootless: spec --rootless maps the caller's own ids, and run works as uid 65534" {
    [ "$(jq -c .linux.uidMappings "$B/config.json")" = '[{"containerID":0,"hostID":65534,"size":1}]' ]
    [ "$(jq -c .linux.gidMappings "$B/config.json")" = '[{"containerID":0,"hostID":65534,"size":1}]' ]
    args sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; hostname'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [ "$(echo "${lines[2]}" | tr -s ' ')" = " 0 65534 1" ]
    [ "$(echo "${lines[3]}" | tr -s ' ')" = " 0 65534 1" ]
    # An unprivileged gid map is only possible with setgroups denied.
    [ "${lines[4]}" = deny ]
    [ "${lines[5]}" = hako ]
}

@test "rootless: the default --root is \$XDG_RUNTIME_DIR/hako, and the lifecycle runs there" {
    args sleep 100
    hk create --bundle "$B" "$NAME"
    [ -d "$T/run/hako/$NAME" ]
    [ "$(stat -c %u "$T/run/hako/$NAME")" = 65534 ]
    [ "$(hk state "$NAME" | jq -r .status)" = created ]
    pid=$(hk state "$NAME" | jq -r .pid)
    # The init's real uid on the host is the caller's.
    [ "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)" = 65534 ]
    hk start "$NAME"
    [ "$(hk state "$NAME" | jq -r .status)" = running ]
    [ "$(hk list -q)" = "$NAME" ]
    hk kill "$NAME" KILL
    for i in $(seq 50); do [ "$(hk state "$NAME" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    hk delete "$NAME"
    [ ! -e "$T/run/hako/$NAME" ]
    [ ! -e /run/hako/"$NAME" ]
}

@test "rootless: no cgroup is made; limits are named as ignored, not silently dropped" {
    cfg '.linux.resources = {"pids": {"limit": 50}} | del(.linux.cgroupsPath)'
    args sh -c 'cat /proc/self/cgroup'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [[ "$output" == *"linux.resources ignored: no cgroup can be created without root on the host"* ]]
    for d in /sys/fs/cgroup/*/hako/$NAME /sys/fs/cgroup/hako/$NAME; do [ ! -e "$d" ]; done
}

@test "rootless: a sysfs mount becomes a bind of the host's /sys (no network namespace of its own)" {
    cfg '(.mounts[] | select(.destination == "/sys")) |= {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}'
    args sh -c 'ls /sys/kernel >/dev/null && echo sys-ok; touch /sys/x 2>&1 | grep -c "Read-only"'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = sys-ok ]
    [ "${lines[1]}" = 1 ]
}

@test "rootless: devices are bound from the host, since mknod is refused in a user namespace" {
    args sh -c 'echo x > /dev/null && echo null-ok; head -c 4 /dev/urandom | wc -c; test -c /dev/zero && echo zero-ok'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$output" = "$(printf 'null-ok\n4\nzero-ok')" ]
    [ "$(stat -c '%U:%G %a' /dev/null)" = "root:root 666" ]
}

@test "rootless: more than the caller's own id goes through newuidmap and /etc/subuid" {
    give_subids
    cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}, {"containerID": 1, "hostID": 200000, "size": 65536}]
         | .linux.gidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}, {"containerID": 1, "hostID": 200000, "size": 65536}]
         | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [1001]}'
    args sh -c 'id -u; id -G; cat /proc/self/uid_map'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = "1000 1001" ]
    [ "$(echo "${lines[2]}" | tr -s ' ')" = " 0 65534 1" ]
    [ "$(echo "${lines[3]}" | tr -s ' ')" = " 1 200000 65536" ]
}

@test "rootless: ranges the user does not own are an error naming the field, and nothing is left" {
    cfg '.linux.uidMappings = [{"containerID": 0, "hostID": 65534, "size": 1}, {"containerID": 1, "hostID": 300000, "size": 10}]'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"config.json: linux.uidMappings: newuidmap failed:"* ]] || { echo "$output"; false; }
    [ -z "$(hk list -q)" ]
    [ -z "$(ls -A "$T/run/hako" 2>/dev/null | grep -v '^@')" ]
}

@test "rootless: without a user namespace, check and create say what runc says, and nothing is left" {
    cfg '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
    run hk check --bundle "$B"
    echo "check: $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"linux.namespaces: rootless container requires user namespaces"* ]]
    run hk run --bundle "$B" "$NAME"
    echo "run: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linux.namespaces: rootless container requires user namespaces"* ]]
    [ -z "$(hk list -q)" ]
    if command -v runc >/dev/null; then
        run as_user runc --root "$T/run/runc" run --bundle "$B" "$NAME"
        echo "runc: $output"
        [ "$status" -eq 1 ] && [[ "$output" == *"rootless container requires user namespaces"* ]]
    fi
}
