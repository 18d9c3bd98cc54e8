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
