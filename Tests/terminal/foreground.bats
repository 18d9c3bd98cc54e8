#!/usr/bin/env bats
# The foreground terminal: `hako run` and `hako exec -t` with
# process.terminal true and no --console-socket relay the container's pty
# to the caller's terminal, as runc does. Each case runs in a real pty (a
# private tmux server), once on hako and once on runc with the same bundle
# and the same assertions, so "as runc does" is measured, not assumed.
# Nothing waits by sleeping: every step polls the screen or a file for what
# it expects, up to a bound.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template sh || return
    [ -z "${HAKO_UNMET:-}" ] || return 0
    # What `hako spec` writes: the terminal is on.
    jq '.process.terminal = true' "$TEMPLATE/config.json" > "$TEMPLATE/c" && mv "$TEMPLATE/c" "$TEMPLATE/config.json"
}

# on RUNTIME: this case runs on hako or runc; skips loudly if what it needs is missing.
on() {
    requires tmux
    unset TMUX
    RT=$1
    if [ "$RT" = runc ]; then
        requires runc
        RUNTIME=$RUNC
    else
        RUNTIME=$HAKO
    fi
    setup_test term
    NAME=term-$BATS_TEST_NUMBER-$RT-$$
    # Never the host's default cgroup: runc would land in the shared one.
    setup_bundle "$T/bundle"
    # rt ARG...: the runtime with a private state root; its pid in $T/pid.
    cat > "$T/rt" <<EOF
#!/bin/sh
echo \$\$ > $T/pid
exec $RUNTIME --root $T/state "\$@"
EOF
    # go ARG...: what is typed in the pane: the caller's terminal mode
    # before and after, the runtime's exit status in $T/rc.
    cat > "$T/go" <<EOF
#!/bin/sh
cd $B
stty -g < /dev/tty > $T/before
$T/rt "\$@"
echo \$? > $T/rc.new
stty -g < /dev/tty > $T/after
mv $T/rc.new $T/rc
EOF
    chmod +x "$T/rt" "$T/go"
    tm new-session -d -s t -x 100 -y 30 "env -i PATH=$PATH TERM=xterm PS1='$ ' sh"
}

teardown() {
    [ -n "${T:-}" ] || return 0
    tm kill-server 2>/dev/null || true
    for id in $(rt list -q 2>/dev/null); do rt delete --force "$id" >/dev/null 2>&1 || true; done
    teardown_test
}

rt() { "$RUNTIME" --root "$T/state" "$@"; }
tm() { tmux -S "$T/tmux.sock" "$@"; }

# type TEXT: types a line in the pane.
type_line() { tm send-keys -t t -l "$1" && tm send-keys -t t Enter; }

screen() { tm capture-pane -p -J -S - -t t; }

# wait_for REGEX [SECONDS]: until the screen shows it. Commands print
# $((...)) markers so that the typed line (echoed) never matches its output.
wait_for() {
    local i=0 n=$((${2:-30} * 10))
    while [ $i -lt $n ]; do
        screen | grep -Eq -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "not on the screen after ${2:-30}s: $1"; screen; return 1
}

# wait_file FILE [SECONDS]
wait_file() {
    local i=0 n=$((${2:-30} * 10))
    while [ $i -lt $n ]; do
        [ -e "$1" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "no $1 after ${2:-30}s"; screen; return 1
}

# start ARG...: `rt ARG...` in the pane, through go; waits for a shell in
# the container to answer.
start_shell() {
    type_line "$T/go $*"
    type_line 'echo READY$((40+2))'
    wait_for '^READY42'
}

# finished CODE: the runtime exited with CODE and gave the terminal's mode back.
finished() {
    wait_file "$T/rc"
    echo "exit status $(cat "$T/rc"), expected $1"
    [ "$(cat "$T/rc")" = "$1" ]
    cmp "$T/before" "$T/after" || { echo "the terminal's mode was not restored: $(cat "$T/before") -> $(cat "$T/after")"; return 1; }
}

# The processes of the container's cgroup (v1 or v2), one pid a line.
cgroup_pids() { cat /sys/fs/cgroup/*/hako-test/$NAME/cgroup.procs /sys/fs/cgroup/hako-test/$NAME/cgroup.procs 2>/dev/null | sort -u; }

# wait_process COMM: until a process of that name runs in the container.
wait_process() {
    local i=0 p
    while [ $i -lt 300 ]; do
        for p in $(cgroup_pids); do [ "$(cat /proc/$p/comm 2>/dev/null)" = "$1" ] && return 0; done
        sleep 0.1; i=$((i + 1))
    done
    echo "no $1 in the container after 30s"; return 1
}

nothing_left() {
    run rt list -q
    [ -z "$output" ] || { echo "left behind: $output"; return 1; }
    [ -z "$(ls -d /sys/fs/cgroup/*/hako-test/$NAME /sys/fs/cgroup/hako-test/$NAME 2>/dev/null)" ] || { echo "a cgroup was left"; return 1; }
}

# --- the cases, each run on both runtimes ---

case_interactive() {
    start_shell run "$NAME"
    type_line 'echo HI$((6*7))'
    wait_for '^HI42'
    type_line 'exit 3'
    finished 3
    nothing_left
}

case_size() {
    start_shell run "$NAME"
    type_line 'echo SIZE $(stty size)'
    wait_for '^SIZE 30 100$'
    tm resize-window -t t -x 80 -y 20
    # The new size reaches the pty when the runtime takes its SIGWINCH,
    # which runc does on another goroutine: ask until it shows, bounded.
    local i=0
    until screen | grep -Eq '^SIZE 20 80$'; do
        [ $i -lt 30 ] || { echo "the pty never got 20x80"; screen; return 1; }
        type_line 'echo SIZE $(stty size)'
        wait_for '^SIZE 20 80$' 1 >/dev/null || true
        i=$((i + 1))
    done
    type_line 'exit'
    finished 0
}

case_interrupt() {
    start_shell run "$NAME"
    type_line 'sleep 100'
    wait_process sleep
    tm send-keys -t t C-c
    type_line 'echo AFTER$((1+1))'
    wait_for '^AFTER2' 20
    type_line 'exit 0'
    finished 0
}

case_exec() {
    cfg '.process.terminal = false | .process.args = ["sleep", "1000"]'
    (cd "$B" && rt run -d "$NAME" </dev/null >/dev/null 2>&1)
    start_shell exec -t "$NAME" sh
    type_line 'echo TTY $(tty) $((3+4)) $(stty size)'
    wait_for '^TTY /dev/pts/[0-9]+ 7 30 100$'
    type_line 'exit 7'
    finished 7
    rt delete --force "$NAME"
}

# runc's fixStdioPermissions: a non-root process's terminal is its own.
case_tty_owner() {
    cfg '.process.user = {"uid": 1000, "gid": 1000}'
    start_shell run "$NAME"
    type_line 'echo OWNER $(stat -c %u:%g $(tty))'
    wait_for '^OWNER 1000:5$'
    type_line 'exit'
    finished 0
}

case_exec_tty_owner() {
    cfg '.process.terminal = false | .process.args = ["sleep", "1000"]'
    (cd "$B" && rt run -d "$NAME" </dev/null >/dev/null 2>&1)
    start_shell exec -t --user 1000:1000 "$NAME" sh
    type_line 'echo OWNER $(stat -c %u:%g $(tty))'
    wait_for '^OWNER 1000:5$'
    type_line 'exit'
    finished 0
    rt delete --force "$NAME"
}

case_signal() {
    start_shell run "$NAME"
    type_line "trap 'echo GOT-USR\$((0+1))' USR1"
    type_line 'echo TRAPPED$((2+2))'
    wait_for '^TRAPPED4'
    kill -USR1 "$(cat "$T/pid")"
    # ash runs a trap once its line editor returns: give it a line.
    type_line 'echo NEXT$((4+4))'
    wait_for '^NEXT8'
    wait_for '^GOT-USR1'
    type_line 'exit 0'
    finished 0
}

case_stdin_eof() {
    # stdin ends after one line; the shell keeps its terminal and output
    # is still relayed until it exits.
    type_line "printf 'echo EOF\$((2*4))\\n' | $T/go run $NAME"
    wait_for '^EOF8'
    [ "$(rt state "$NAME" | jq -r .status)" = running ]
    rt kill "$NAME" KILL
    finished 137
}

case_output_file() {
    # stdout to a file, the terminal found on stderr: every byte of the
    # output arrives, with the pty's "\n" unchanged (ONLCR off), also what
    # is written just before the exit.
    cfg '.process.args = ["sh", "-c", "seq 1 5000; exit 4"]'
    type_line "$T/go run $NAME > $T/out"
    finished 4
    [ "$(wc -l < "$T/out")" = 5000 ]
    seq 1 5000 | cmp - "$T/out"
}

case_drain() {
    # The process writes and exits while the runtime is stopped: when it
    # goes on, its SIGCHLD and the output are there together, and the
    # output must still arrive (the pty is drained after the exit).
    cfg '.process.args = ["sh", "-c", "trap \"seq 1 1000; exit 4\" USR1; sleep 1000 & wait"]'
    type_line "$T/go run $NAME > $T/out"
    wait_process sleep
    local runtime init
    runtime=$(cat "$T/pid")
    init=$(rt state "$NAME" | jq -r .pid)
    kill -STOP "$runtime"
    rt kill "$NAME" USR1
    local i=0
    until [ "$(awk '{ print $3 }' /proc/$init/stat 2>/dev/null)" = Z ]; do
        [ $i -lt 300 ] || { echo "the container's process did not exit"; kill -CONT "$runtime"; return 1; }
        sleep 0.1; i=$((i + 1))
    done
    kill -CONT "$runtime"
    finished 4
    seq 1 1000 | cmp - "$T/out"
}

case_closed_stdout() {
    # stdout stops taking output after one line; the process still runs to
    # its end, and its status is the runtime's.
    cfg '.process.args = ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done; exit 6"]'
    type_line "$T/go run $NAME | head -1 > $T/out"
    finished 6
    [ "$(cat "$T/out")" = line0 ]
}

case_refusals() {
    local words="cannot allocate tty if $RT will detach without setting console socket"
    cd "$B"
    run rt run -d "$NAME"
    [ "$status" = 1 ] && [[ "$output" == *"$words"* ]] || { echo "run -d: $status $output"; return 1; }
    run rt create "$NAME"
    [ "$status" = 1 ] && [[ "$output" == *"$words"* ]] || { echo "create: $status $output"; return 1; }
    nothing_left
    cfg '.process.terminal = false | .process.args = ["sleep", "1000"]'
    rt run -d "$NAME" </dev/null >/dev/null 2>&1
    # exec's failures exit 255 on runc.
    run rt exec -d -t "$NAME" true
    [ "$status" = 255 ] && [[ "$output" == *"$words"* ]] || { echo "exec -d -t: $status $output"; return 1; }
    rt delete --force "$NAME"
    nothing_left
}

case_no_terminal() {
    command -v setsid >/dev/null || skip "no setsid (util-linux): cannot run without a controlling terminal"
    cd "$B"
    run setsid -w "$RUNTIME" --root "$T/state" run "$NAME" </dev/null
    [ "$status" = 1 ] || { echo "status $status: $output"; return 1; }
    echo "$output" | grep -qi "open /dev/tty: no such device or address"
    nothing_left
}

@test "hako: run gives an interactive shell; exit 3 is hako's exit 3; the terminal's mode comes back" { on hako; case_interactive; }
@test "runc: run gives an interactive shell; exit 3 is runc's exit 3; the terminal's mode comes back" { on runc; case_interactive; }
@test "hako: stty size is the pane's, and follows a resize" { on hako; case_size; }
@test "runc: stty size is the pane's, and follows a resize" { on runc; case_size; }
@test "hako: ^C reaches the shell's foreground job, not the runtime" { on hako; case_interrupt; }
@test "runc: ^C reaches the shell's foreground job, not the runtime" { on runc; case_interrupt; }
@test "hako: exec -t gives an interactive shell with the pane's size" { on hako; case_exec; }
@test "runc: exec -t gives an interactive shell with the pane's size" { on runc; case_exec; }
@test "hako: a uid 1000 process owns its terminal (1000:5)" { on hako; case_tty_owner; }
@test "runc: a uid 1000 process owns its terminal (1000:5)" { on runc; case_tty_owner; }
@test "hako: exec -t --user 1000 gives the process a terminal it owns" { on hako; case_exec_tty_owner; }
@test "runc: exec -t --user 1000 gives the process a terminal it owns" { on runc; case_exec_tty_owner; }
@test "hako: a signal to the runtime is passed on to the container's process" { on hako; case_signal; }
@test "runc: a signal to the runtime is passed on to the container's process" { on runc; case_signal; }
@test "hako: stdin's end stops input only; output flows until the exit (SIGKILL: 137)" { on hako; case_stdin_eof; }
@test "runc: stdin's end stops input only; output flows until the exit (SIGKILL: 137)" { on runc; case_stdin_eof; }
@test "hako: output to a file arrives whole, the last bytes too" { on hako; case_output_file; }
@test "runc: output to a file arrives whole, the last bytes too" { on runc; case_output_file; }
@test "hako: what the process wrote while the runtime was stopped arrives after its exit" { on hako; case_drain; }
@test "runc: what the process wrote while the runtime was stopped arrives after its exit" { on runc; case_drain; }
@test "hako: stdout closed early: the process runs to its end and gives its status" { on hako; case_closed_stdout; }
@test "runc: stdout closed early: the process runs to its end and gives its status" { on runc; case_closed_stdout; }
@test "hako: run -d, create and exec -d -t refuse a terminal without a console socket, leaving nothing" { on hako; case_refusals; }
@test "runc: run -d, create and exec -d -t refuse a terminal without a console socket, leaving nothing" { on runc; case_refusals; }
@test "hako: without any terminal, run fails as runc's does and leaves nothing" { on hako; case_no_terminal; }
@test "runc: without any terminal, run fails and leaves nothing" { on runc; case_no_terminal; }
