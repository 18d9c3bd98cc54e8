#!/usr/bin/env bats
# A program that cannot be run, side by side with runc: engines turn the
# runtime's words into exit statuses. Docker 20.10 (daemon/errors.go,
# translateContainerdStartErr): "executable file not found" or "no such
# file or directory" is 127, "permission denied" 126. Podman 4.3
# (libpod/oci_util.go, getOCIRuntimeError): "executable file not found in"
# or "no such file or directory" is 127, "permission denied" or "operation
# not permitted" 126. runc's exec exits 255 when the process cannot start.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template sleep 100 || return
    [ -z "${HAKO_UNMET:-}" ] || return 0
    printf 'echo not executable\n' > "$TEMPLATE/rootfs/notexec"
    mkdir -p "$TEMPLATE/rootfs/adir"
}

setup() { setup_test exe; }
teardown() { teardown_test; }

# The status, and the runtime's words from `exec: "` on (runc's quoting
# escapes its message's quotes, unescaped here).
outcome() {
    local rt=$1; shift
    local rc=0 out
    out=$(rt_$rt "$@" 2>&1 </dev/null) || rc=$?
    out=$(printf '%s' "$out" | sed 's/\\"/"/g; s/.*\(exec: "\)/\1/; s/"$//')
    echo "rc=$rc $out"
}

cases() {
    local rt=$1 b=$T/$1
    cp -a "$TEMPLATE" "$b"
    for prog in nonexistent-cmd /nonexistent /notexec /adir; do
        jq --arg p "$prog" --arg cg "/hako-test/$NAME-$rt" '.process.args = [$p] | .linux.cgroupsPath = $cg' "$b/config.json" > "$T/c"
        mv "$T/c" "$b/config.json"
        echo "run $prog: $(outcome "$rt" run --bundle "$b" "$NAME")"
        rt_$rt delete --force "$NAME" 2>/dev/null || true
    done
    jq '.process.args = ["sleep", "100"]' "$b/config.json" > "$T/c"
    mv "$T/c" "$b/config.json"
    rt_$rt run -d --bundle "$b" "$NAME" </dev/null
    for prog in nonexistent-cmd /nonexistent /notexec /adir; do
        echo "exec $prog: $(outcome "$rt" exec "$NAME" "$prog")"
    done
    echo "exec in no container: status $(rt_$rt exec "$NAME-none" true >/dev/null 2>&1; echo $?)"
    rt_$rt delete --force "$NAME"
}

@test "a program that cannot be run: runc's words and exit statuses, in run and exec" {
    command -v runc >/dev/null || skip "runc is not installed: the comparison needs it"
    hako=$(cases hako); runc=$(cases runc)
    echo "hako:"; echo "$hako"; echo "runc:"; echo "$runc"
    [ "$hako" = "$runc" ]
    [[ "$hako" == *'run nonexistent-cmd: rc=1 exec: "nonexistent-cmd": executable file not found in $PATH'* ]]
    [[ "$hako" == *'exec /adir: rc=255 exec: "/adir": permission denied'* ]]
}

@test "check names the program in the words create will use" {
    cp -a "$TEMPLATE" "$T/b"
    for prog in nonexistent-cmd /notexec /adir; do
        jq --arg p "$prog" '.process.args = [$p]' "$T/b/config.json" > "$T/c"
        mv "$T/c" "$T/b/config.json"
        run "$HAKO" check --bundle "$T/b"
        echo "$output"
        [ "$status" -ne 0 ]
        case $prog in
        /*) [[ "$output" == *"process.args[0]: exec: \"$prog\": permission denied"* ]] ;;
        *) [[ "$output" == *"process.args[0]: exec: \"$prog\": executable file not found in \$PATH"* ]] ;;
        esac
    done
}

# The image chooses /etc/passwd, which hako reads for HOME when process.env
# sets none. A FIFO there made the read wait forever (runc's too), /dev/zero
# made it read until the container's memory limit killed it (crun's too;
# runc fails on the overlong line). Either is now an error naming the file.
hostile_passwd() {
    cp -a "$TEMPLATE" "$T/b"
    jq --arg cg "/hako-test/$NAME" '.process.args = ["true"] | .process.env = ["PATH=/bin"] | .linux.cgroupsPath = $cg | .linux.resources.memory.limit = 67108864' \
        "$T/b/config.json" > "$T/c"
    mv "$T/c" "$T/b/config.json"
    rm -f "$T/b/rootfs/etc/passwd"
}

@test "an image whose /etc/passwd is a FIFO fails the run at once, naming the file" {
    hostile_passwd
    mkfifo "$T/b/rootfs/etc/passwd"
    # To a file: an init stuck on the FIFO would hold a pipe open.
    rc=0
    timeout -s KILL 60 "$HAKO" --root "$T/state" run --bundle "$T/b" "$NAME" >"$T/out" 2>&1 </dev/null || rc=$?
    cat "$T/out"
    [ "$rc" -eq 1 ]
    grep -q 'HOME of process.user.uid 0.*/etc/passwd is not a regular file' "$T/out"
}

@test "exec into a container whose /etc/passwd is /dev/zero fails at once, naming the file" {
    hostile_passwd
    jq '.process.args = ["sleep", "100"]' "$T/b/config.json" > "$T/c"
    mv "$T/c" "$T/b/config.json"
    cp "$TEMPLATE/rootfs/etc/passwd" "$T/b/rootfs/etc/passwd"
    hk run -d --bundle "$T/b" "$NAME" </dev/null
    ln -sf /dev/zero "$T/b/rootfs/etc/passwd"
    rc=0
    timeout -s KILL 60 "$HAKO" --root "$T/state" exec "$NAME" true >"$T/out" 2>&1 </dev/null || rc=$?
    cat "$T/out"
    [ "$rc" -eq 255 ]
    grep -q '/etc/passwd is not a regular file' "$T/out"
}
