#!/usr/bin/env bats
# Attacks on what hako writes down and later trusts (issue 36): the intent
# record delete acts on, a --pid-file written in a directory someone else
# can write, and --preserve-fds with nothing open to preserve. Each test is
# shown to fail against a build with its defence removed:
# scripts/security-without NAME Tests/security/records.bats applies
# Tests/security/without/NAME.patch and runs the tests named "NAME: ..."
# (Tests/security/README.md has the commands and their results).
# A test prints one "ESCAPED: ..." line when its attack succeeded.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() { setup_template true; }

setup() {
    setup_test rec
    setup_bundle
    VICTIM_PID=
    VICTIM_CG=
}

# The shared teardown first: the test's containers are deleted while the
# victim still runs, as before; then the victim and its cgroup.
teardown() {
    teardown_test
    [ -z "${VICTIM_PID:-}" ] || kill -9 "$VICTIM_PID" 2>/dev/null || true
    [ -z "${VICTIM_PID:-}" ] || wait "$VICTIM_PID" 2>/dev/null || true
    # The cgroups of this test, with whatever a forged cgroupsPath made
    # inside them (deepest first), and the victim's.
    for d in /sys/fs/cgroup/*/hako-test /sys/fs/cgroup/unified/hako-test; do
        [ -d "$d" ] || continue
        find "$d" -mindepth 1 -depth -type d \( -path "*/${NAME:-none}*" -o -path "*forge-$$*" \) -exec rmdir {} + 2>/dev/null || true
    done
}

# A sleep of the host's, in a host cgroup that is not the container's: a v1
# pids cgroup under hako-test (no v1 pids: a cgroup2 one). Its name ends in
# "\r": the record's reader splits lines on the byte \n, so each forged
# line keeps the "\r" of the "\r\n" that made it. A name the attacker does
# not control needs no "\r" where a forged line is the value's last.
victim_cgroup() {
    local base=/sys/fs/cgroup/pids
    [ -d "$base" ] || base=/sys/fs/cgroup
    VICTIM_CG=$base/hako-test/forge-$$-$BATS_TEST_NUMBER$'\r'
    mkdir -p "$VICTIM_CG"
    victim_sleep
    echo "$VICTIM_PID" > "$VICTIM_CG/cgroup.procs"
}

victim_sleep() {
    sleep 1000 &
    VICTIM_PID=$!
}

# The bundle's root.path: "\r\n" then lines of the record's own, and the
# rootfs shipped at that path.
forge_root() {
    local path=$'r\r\n'"$1"
    mkdir -p "$B/$path"
    cp -a "$TEMPLATE/rootfs/." "$B/$path/"
    cfg '.root.path = $p' --arg p "$path"
}

victim_alive() {
    if ! kill -0 "$VICTIM_PID" 2>/dev/null; then echo "ESCAPED: the host's sleep $VICTIM_PID was killed"; return 1; fi
    if [ ! -d "$VICTIM_CG" ]; then echo "ESCAPED: the host cgroup ${VICTIM_CG%$'\r'}\\r was removed"; return 1; fi
}

dir_kept() {
    if [ ! -d "$1" ]; then echo "ESCAPED: the host directory $1 was removed"; return 1; fi
}

# root.path forges a "made" line: delete removes the directories create made.
@test "forged-record: run with root.path forging a made line keeps an empty host directory" {
    mkdir "$T/empty"
    forge_root "made $T/empty"
    hk run --bundle "$B" "$NAME" || true
    dir_kept "$T/empty"
}

@test "forged-record: create and delete --force with root.path forging a made line keep an empty host directory" {
    mkdir "$T/empty"
    forge_root "made $T/empty"
    hk create --bundle "$B" "$NAME" || true
    hk delete --force "$NAME" || true
    dir_kept "$T/empty"
}

# root.path forges a "cgroup" and a "made" line naming the same directory:
# delete kills every process its cgroup.procs lists, then removes it.
forge_cgroup() {
    forge_root "cgroup $1"$'\n'"made $1"$'\n'"x"
}

@test "forged-record: run with root.path forging cgroup and made lines keeps a host cgroup and its process" {
    victim_cgroup
    forge_cgroup "$VICTIM_CG"
    hk run --bundle "$B" "$NAME" || true
    victim_alive
}

@test "forged-record: create and delete --force with root.path forging cgroup and made lines keep a host cgroup and its process" {
    victim_cgroup
    forge_cgroup "$VICTIM_CG"
    hk create --bundle "$B" "$NAME" || true
    hk delete --force "$NAME" || true
    victim_alive
}

# No cgroup at all: a directory of the attacker's whose cgroup.procs names
# any host process.
@test "forged-record: run with root.path forging cgroup and made lines naming a fake cgroup.procs keeps a host process" {
    victim_sleep
    mkdir "$T/fake"$'\r'
    echo "$VICTIM_PID" > "$T/fake"$'\r'/cgroup.procs
    forge_cgroup "$T/fake"$'\r'
    hk run --bundle "$B" "$NAME" || true
    if ! kill -0 "$VICTIM_PID" 2>/dev/null; then echo "ESCAPED: the host's sleep $VICTIM_PID was killed"; false; fi
}

@test "forged-record: root.path and cgroupsPath with control characters are refused, by check too" {
    cfg '.root.path = $p' --arg p $'root\r\nfs'
    run hk create --bundle "$B" "$NAME"
    echo "$output"
    [[ "$output" == *"control characters"* ]] || { echo "ESCAPED: a root.path of record lines was taken into the intent record"; return 1; }
    [ "$status" -eq 1 ]
    [[ "$output" == *"root.path: must not contain control characters"* ]]
    [ ! -e "$T/state/$NAME" ]
    cp -a "$TEMPLATE/config.json" "$B/config.json"
    cfg '.linux.cgroupsPath = $cg' --arg cg $'/hako-test/a\x01b'
    run hk create --bundle "$B" "$NAME"
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"linux.cgroupsPath: must not contain control characters"* ]]
    [ ! -e "$T/state/$NAME" ]
    run "$HAKO" check --bundle "$B"
    echo "$output"
    [[ "$output" == *"linux.cgroupsPath: must not contain control characters"* ]]
}

# The record itself forged (as if a way were found again): delete acts only
# on cgroups at the recorded cgroupsPath, and on "made" directories on the
# way down to them.
@test "record-bounds: delete --force of a record with appended cgroup and made lines keeps a host cgroup, its process and a host directory" {
    victim_cgroup
    mkdir "$T/empty"
    cfg '.process.args = ["sleep", "100"]'
    hk run -d --bundle "$B" "$NAME"
    printf 'cgroup %s\nmade %s\nmade %s\n' "$VICTIM_CG" "$VICTIM_CG" "$T/empty" >> "$T/state/$NAME/intent"
    hk delete --force "$NAME"
    victim_alive
    dir_kept "$T/empty"
}

# Every name the temporary of DIR/pid can have before the fix (DIR/pid.tmpPID)
# is a symlink to a host file.
@test "pid-file: symlinks at every temporary name beside the pid file leave the host file they name unchanged" {
    echo precious > "$T/host-file"
    mkdir "$T/spray"
    perl -e 'for (0 .. $ARGV[2]) { symlink $ARGV[0], "$ARGV[1]/pid.tmp$_" or die "$!" }' \
        "$T/host-file" "$T/spray" "$(cat /proc/sys/kernel/pid_max)"
    hk create --bundle "$B" --pid-file "$T/spray/pid" "$NAME"
    if [ "$(cat "$T/host-file")" != precious ]; then echo "ESCAPED: the host file now holds $(cat "$T/host-file")"; false; fi
    [ ! -L "$T/spray/pid" ]
    grep -qx '[0-9][0-9]*' "$T/spray/pid"
}

# Nothing open at 3 and 4: the next descriptor hako opened (the --log file)
# was handed to the container as a preserved one.
@test "preserve-fds: run --preserve-fds 2 with descriptors 3 and 4 closed is refused, exit 1" {
    cfg '.process.args = ["ls", "-l", "/proc/self/fd/"]'
    run hk --log "$T/host.log" run --bundle "$B" --preserve-fds 2 "$NAME" 3>&- 4>&-
    echo "$output"
    if [[ "$output" == *"$T/host.log"* ]]; then echo "ESCAPED: the container got hako's --log file"; fi
    [ "$status" -eq 1 ]
    [[ "$output" == *"unable to stat preserved-fd 0 (of 2)"* ]]
    [ ! -e "$T/state/$NAME" ]
}

@test "preserve-fds: exec --preserve-fds 1 with descriptor 3 closed is refused, exit 255 as runc's exec" {
    cfg '.process.args = ["sleep", "100"]'
    hk run -d --bundle "$B" "$NAME"
    run hk --log "$T/host.log" exec --preserve-fds 1 "$NAME" ls -l /proc/self/fd/ 3>&-
    echo "$output"
    if [[ "$output" == *" 3 -> "* ]]; then echo "ESCAPED: the process got hako's descriptor 3"; fi
    [ "$status" -eq 255 ]
    [[ "$output" == *"unable to stat preserved-fd 0 (of 1)"* ]]
}

# LISTEN_FDS (socket activation) passes descriptors 3.. too: a closed one
# there was the same free slot for the --log file (cold attack, finding B).
@test "listen-fds: LISTEN_FDS=1 with descriptor 3 closed is refused, and the --log file never reaches the container" {
    cfg '.process.args = ["ls", "-l", "/proc/self/fd/"]'
    LISTEN_FDS=1 run hk --log "$T/host.log" run --bundle "$B" "$NAME" 3>&-
    echo "$output"
    if [[ "$output" == *"$T/host.log"* ]]; then echo "ESCAPED: the container got hako's --log file"; return 1; fi
    [ "$status" -eq 1 ]
    [[ "$output" == *"LISTEN_FDS=1, but descriptor 3 is not open"* ]]
    [ ! -e "$T/state/$NAME" ]
}

# A container without a pid namespace put in a cgroup that existed before
# it (a bundle may name any): delete used to kill every process in it and
# remove it (cold attack, finding A). runc and crun leave them.
@test "shared-cgroup: delete of a container without a pid namespace keeps the processes of a cgroup that was there before it" {
    local base=/sys/fs/cgroup/pids
    [ -d "$base" ] || base=/sys/fs/cgroup
    VICTIM_CG=$base/hako-test/forge-$$-$BATS_TEST_NUMBER
    mkdir -p "$VICTIM_CG"
    victim_sleep
    echo "$VICTIM_PID" > "$VICTIM_CG/cgroup.procs"
    cfg '.linux.cgroupsPath = $cg | .linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sleep", "100"]' \
        --arg cg "/hako-test/forge-$$-$BATS_TEST_NUMBER"
    hk run -d --bundle "$B" "$NAME" </dev/null
    hk delete --force "$NAME"
    victim_alive
}

# runc (1.2 and later) refuses the same case; an older runc does not check.
@test "preserve-fds runc: runc on this host exits as hako does on the same case" {
    command -v runc >/dev/null || skip "runc is not installed"
    cfg '.process.args = ["true"]'
    run runc --root "$T/runc" --log "$T/runc.log" run --bundle "$B" --preserve-fds 2 "$NAME" 3>&- 4>&-
    local runc_status=$status
    runc --root "$T/runc" delete --force "$NAME" >/dev/null 2>&1 || true
    [ "$runc_status" -ne 0 ] || skip "$(runc --version | head -1) does not check preserved descriptors (it ran the container, handing over its own --log file)"
    run hk run --bundle "$B" --preserve-fds 2 "$NAME" 3>&- 4>&-
    [ "$status" -eq "$runc_status" ]
}

# rootfs-swap (the cold attack's finding D): a container without a mount
# namespace mounts on a bind of its rootfs in the host's namespace, and
# delete detaches that bind by the rootfs's path, which is the bundle
# owner's. Swapped for a symlink to a host mount after create, the path
# made delete detach the host's mount instead (up to 16 of them). hako
# detaches only a mount whose root is the directory create bound
# (Rootfs/RootfsBind.swift).
@test "rootfs-swap: delete of a container without a mount namespace, its rootfs swapped for a symlink, keeps the host mount it names" {
    # A mount point cannot be renamed, so the swap is one directory up.
    mkdir -p "$T/host/rootfs" "$B/dir"
    mount -t tmpfs -o size=1m hako-victim "$T/host/rootfs"
    mv "$B/rootfs" "$B/dir/rootfs"
    cfg '.root.path = "dir/rootfs" | .linux.namespaces |= map(select(.type != "mount")) | .linux.maskedPaths = [] | .linux.readonlyPaths = [] | .process.args = ["sleep", "100"]'
    hk create --bundle "$B" "$NAME"
    mv "$B/dir" "$B/dir.real"
    ln -s "$T/host" "$B/dir"
    hk delete --force "$NAME" || true
    local kept=1
    mountpoint -q "$T/host/rootfs" || kept=0
    umount -R -l "$B/dir.real/rootfs" 2>/dev/null || true
    umount -l "$T/host/rootfs" 2>/dev/null || true
    if [ "$kept" = 0 ]; then echo "ESCAPED: delete detached the host's tmpfs at $T/host/rootfs"; return 1; fi
}
