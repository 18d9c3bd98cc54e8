# Tests/helpers.bash: what every bats file of hako's shares, as runc's
# tests/integration/helpers.bash is for runc's. Each file loads it with
#     load "$BATS_TEST_DIRNAME/<path up to Tests>/helpers"
# which works from any cwd, and names in its own setup_file, setup and
# teardown only the shared functions it needs plus what is its own:
#     setup_file() { setup_template sleep 100; }   # root, hako built, the bundle template
#     setup() { setup_test kill; }                 # $T, $NAME (and setup_bundle for $B)
#     teardown() { teardown_test; }                # only what this test made
# Nothing here runs a container by itself; nothing touches what another
# test, suite or user made: a test's state roots are under its own $T, its
# cgroups are /hako-test/$NAME and /hako-test/$NAME-*, its marked processes
# carry HAKO_TEST=$NAME.

# The checkout, wherever the file is run from (also in the cgroup v2 guest,
# where the repository is mounted at the same path).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HAKO=${HAKO:-$ROOT/.build/release/hako}

# Every test is bounded, also in a direct `bats FILE` run (scripts/test
# exports the same 600 s): one that hangs fails with "timeout after 600s".
# bats reads this after loading the file, before it starts the test.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}

# requires WHAT...: skips the test, saying why, unless this machine has
# WHAT: root, runc, crun, cgroup2 (a unified host), cgroup1, systemd (as
# PID 1, on a unified host), podman,
# docker, containerd, umoci, qemu, tmux, gcc, userns (user namespaces for
# unprivileged users), or any other name, taken as a program on PATH.
# bats (1.8) cannot skip from setup_file: there it records the reason in
# HAKO_UNMET and returns 1, so setup_file says `requires root || return 0`,
# and setup_test (or the file's setup calling requires again) skips each test.
requires() {
    local need why=""
    for need in "$@"; do
        case $need in
        root) [ "$(id -u)" = 0 ] || why="needs root: it creates real containers" ;;
        runc)
            if RUNC=$(command -v runc); then export RUNC; else why="runc is not installed: the runc half of this case cannot run (apt-get install runc)"; fi ;;
        crun) command -v crun >/dev/null || why="crun is not installed (apt-get install crun)" ;;
        cgroup2) [ -f /sys/fs/cgroup/cgroup.controllers ] || why="needs a cgroup v2 (unified) host" ;;
        cgroup1) [ ! -f /sys/fs/cgroup/cgroup.controllers ] || why="needs a cgroup v1 host" ;;
        systemd) [ -d /run/systemd/system ] && [ -f /sys/fs/cgroup/cgroup.controllers ] ||
            why="needs systemd as PID 1 on a cgroup v2 host (no /run/systemd/system here): run it in the systemd guest, V2VM_SYSTEMD=1 scripts/cgroup2-vm/run" ;;
        podman) command -v podman conmon >/dev/null || why="podman and conmon are required: apt-get install podman conmon" ;;
        docker) command -v dockerd docker containerd runc script >/dev/null || why="dockerd, docker, containerd, runc and script are required: apt-get install docker.io runc bsdutils" ;;
        containerd) command -v containerd ctr >/dev/null || why="containerd and ctr are required: apt-get install containerd" ;;
        umoci) command -v umoci >/dev/null || why="umoci is required: apt-get install umoci" ;;
        qemu) command -v qemu-system-x86_64 >/dev/null || why="qemu is required: apt-get install qemu-system-x86" ;;
        tmux) command -v tmux >/dev/null || why="tmux is not installed: no pty to test the terminal in" ;;
        gcc) command -v gcc >/dev/null || why="gcc is not installed" ;;
        userns)
            command -v setpriv unshare >/dev/null && setpriv --reuid 65534 --regid 65534 --clear-groups unshare -U true 2>/dev/null ||
                why="this kernel refuses user namespaces to unprivileged users" ;;
        *) command -v "$need" >/dev/null || why="$need is not installed" ;;
        esac
        [ -z "$why" ] || break
    done
    [ -n "$why" ] || return 0
    if [ -z "${BATS_TEST_NAME:-}" ]; then
        export HAKO_UNMET=$why
        return 1
    fi
    skip "$why"
}

# require_hako: fails (not skips) when hako is not built: a missing build
# is an error, not a missing tool.
require_hako() {
    [ -x "$HAKO" ] || { echo "no hako at $HAKO: swift build -c release" >&2; return 1; }
}

# setup_template ARG...: for setup_file: needs root and a built hako, and
# makes the busybox bundle (scripts/busybox-bundle) whose process runs
# ARG..., once per file, at $TEMPLATE: making it runs a process per applet,
# which costs seconds in the emulated v2 guest. Each test copies it.
setup_template() {
    requires root || return 0
    require_hako
    export TEMPLATE=$BATS_FILE_TMPDIR/template
    HAKO=$HAKO "$ROOT/scripts/busybox-bundle" "$TEMPLATE" "$@" >/dev/null
}

# skip_if_unmet: in setup, skips each test when setup_file's requires
# found something missing.
skip_if_unmet() {
    [ -z "${HAKO_UNMET:-}" ] || skip "$HAKO_UNMET"
}

# setup_test PREFIX: skips if setup_file found something missing; $T, this
# test's temporary directory (/tmp/hako-PREFIX.XXXXXX), and $NAME,
# PREFIX-<test number>-<bats pid>, which names its containers and cgroups.
setup_test() {
    skip_if_unmet
    T=$(mktemp -d "/tmp/hako-$1.XXXXXX")
    NAME=$1-$BATS_TEST_NUMBER-$$
}

# setup_bundle [DIR]: $B (default $T/$NAME), a copy of the template whose
# container's cgroup is /hako-test/$NAME, never the host's default one.
setup_bundle() {
    B=${1:-$T/$NAME}
    cp -a "$TEMPLATE" "$B"
    cfg '.linux.cgroupsPath = $cg' --arg cg "/hako-test/$NAME"
}

# The runtimes, each with a state root of this test's own.
hk() { "$HAKO" --root "$T/state" "$@"; }
# rc ARG...: runc, for the cases that run on both (after `requires runc`).
rc() { "${RUNC:-runc}" --root "$T/runc" "$@"; }
# rt_hako/rt_runc ARG...: for the files that run one script on each.
rt_hako() { "$HAKO" --root "$T/hako-state" "$@"; }
rt_runc() { runc --root "$T/runc-state" "$@"; }

# This test's live processes marked HAKO_TEST=$NAME (zombies have no
# environment left), for the files whose hako and containers carry it.
own_pids() { grep -l -s -F -x -z -e "HAKO_TEST=$NAME" /proc/[0-9]*/environ | cut -d/ -f3; }

# remove_cgroup DIR: the cgroup and its children, deepest first; retried
# for 10 s at most while its last processes are still leaving it.
remove_cgroup() {
    local i
    for i in $(seq 100); do
        [ -d "$1" ] || return 0
        find "$1" -depth -type d -exec rmdir {} \; 2>/dev/null
        [ -d "$1" ] || return 0
        sleep 0.1
    done
}

# teardown_test: removes only what this test made, also when it failed:
# its marked processes, its containers in its own state roots (hako's and
# runc's), its cgroups /hako-test/$NAME and /hako-test/$NAME-*, and $T.
teardown_test() {
    [ -n "${T:-}" ] && [ -n "${NAME:-}" ] || return 0
    local root id pid d
    for pid in $(own_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    for root in "$T/state" "$T/hako-state"; do
        [ -d "$root" ] || continue
        for id in $("$HAKO" --root "$root" list -q 2>/dev/null); do "$HAKO" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
    done
    if command -v runc >/dev/null; then
        for root in "$T/runc" "$T/runc-state"; do
            [ -d "$root" ] || continue
            for id in $(runc --root "$root" list -q 2>/dev/null); do runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true; done
        done
    fi
    for d in /sys/fs/cgroup/*/hako-test/"$NAME" /sys/fs/cgroup/*/hako-test/"$NAME"-* \
        /sys/fs/cgroup/hako-test/"$NAME" /sys/fs/cgroup/hako-test/"$NAME"-*; do
        remove_cgroup "$d"
    done
    rm -rf "$T"
}

# cfg JQ-FILTER [ARGS...]: edits the bundle's config.json.
cfg() {
    local filter=$1; shift
    jq "$@" "$filter" "$B/config.json" > "$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

# args ARG...: the container's process.args.
args() {
    local a
    a=$(for x in "$@"; do printf '%s\n' "$x"; done | jq -R . | jq -s -c .)
    cfg '.process.args = $a' --argjson a "$a"
}

# run_in CMD: runs `sh -c CMD` in a container of the bundle, output in $output.
run_in() {
    args sh -c "$1"
    run hk run --bundle "$B" "$NAME"
}

# status_of ID: the container's status from `state`.
status_of() { hk state "$1" | jq -r .status; }

# A host directory bind-mounted at /out in the container, to see what
# happened inside after the container is gone.
with_out() {
    mkdir -p "$T/out"
    cfg '.mounts += [{"destination": "/out", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' --arg s "$T/out"
}

# runc_bundle: $RB, a copy of the bundle for runc, with its own cgroup
# /hako-test/$NAME-runc.
# wait_nonempty FILE: until FILE has something in it, for at most 20 s.
wait_nonempty() {
    local i
    for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.1; done
    echo "$1 stayed empty for 20 s" >&2
    return 1
}

runc_bundle() {
    RB=$T/runc-$NAME
    cp -a "$B" "$RB"
    jq --arg cg "/hako-test/$NAME-runc" '.linux.cgroupsPath = $cg' "$RB/config.json" > "$RB/c.new" && mv "$RB/c.new" "$RB/config.json"
}

# assert_status WANT: the last `run`'s $status is WANT; says what it was
# and printed otherwise. One assertion a line: bats stops at a failing
# command, but not at a failing left side of &&.
assert_status() {
    [ "$status" -eq "$1" ] || { echo "status $status, expected $1: $output" >&2; return 1; }
}

# assert_same WHAT HAKO RUNC: hako's result is runc's; prints both otherwise.
assert_same() {
    [ "$2" = "$3" ] || { printf '%s differs:\nhako: %s\nrunc: %s\n' "$1" "$2" "$3" >&2; return 1; }
}

# wait_pids SECONDS PID...: `wait PID...` with a bound, for bats tests.
#
# Waits until every PID (children of this shell, started with `&`) has
# ended, for SECONDS in all. Then it reaps them, leaves their exit statuses
# in WAIT_STATUSES (in the order given) and returns 0, whatever they are:
# the caller asserts on them, e.g. [ "${WAIT_STATUSES[0]}" -eq 0 ].
# If any is still running at the deadline, it names each one (pid and
# command line), kills it and its descendants (SIGKILL, by pid), reaps them
# all and returns 1, so the test fails instead of hanging.
#
# Never a bare `wait`: besides having no bound, it also waits for bats's own
# BATS_TEST_TIMEOUT watchdog, a background child of the same shell, so it
# would last until that timeout fired.
wait_pids() {
    local seconds=$1 deadline pid running late=()
    shift
    deadline=$((SECONDS + seconds))
    while :; do
        running=0
        for pid in "$@"; do
            if wait_pids_alive "$pid"; then running=1; break; fi
        done
        if [ "$running" = 0 ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
        sleep 0.1
    done
    for pid in "$@"; do
        if wait_pids_alive "$pid"; then late+=("$pid"); fi
    done
    for pid in "${late[@]}"; do
        echo "wait_pids: pid $pid still running after ${seconds} s, killed: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" >&2
        wait_pids_kill_tree "$pid"
    done
    WAIT_STATUSES=()
    for pid in "$@"; do
        local status=0
        wait "$pid" 2>/dev/null || status=$?
        WAIT_STATUSES+=("$status")
    done
    [ "${#late[@]}" -eq 0 ]
}

# Whether PID still runs: a child that has ended stays a zombie until it is
# reaped, so its /proc entry alone does not tell.
wait_pids_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

wait_pids_kill_tree() {
    local child
    for child in $(pgrep -P "$1"); do wait_pids_kill_tree "$child"; done
    kill -KILL "$1" 2>/dev/null || true
}
