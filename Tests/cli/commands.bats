#!/usr/bin/env bats
# runc's command line as engines and test authors use it: each case runs on
# hako and on runc (same bundle, own cgroup) and must give the same result.

load "$BATS_TEST_DIRNAME/../helpers"

# runc gets a private --root and an absolute cgroupsPath under /hako-test
# (runc_bundle), never the host's default cgroup.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

# both CMD...: runs `hk CMD` and `rc CMD` with the container id "c"; their
# statuses in $hs and $rs, outputs in $ho and $ro.
both() {
    run hk "$@"; hs=$status; ho=$output
    run rc "$@"; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
}

start_both() {
    requires runc
    args sleep 1000
    runc_bundle
    hk run -d --bundle "$B" c
    rc run -d --bundle "$RB" c
}

@test "kill ID 0 and kill -a ID 0 on a running container succeed and change nothing" {
    start_both
    both kill c 0
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    both kill -a c 0
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$(status_of c)" = running ]
    [ "$(rc state c | jq -r .status)" = running ]
    # a paused container stays paused
    hk pause c
    hk kill -a c 0
    [ "$(status_of c)" = paused ]
}

@test "COMMAND -h and --help print the command's usage, exit 0; before or after the ID" {
    for c in create run start state kill delete list exec ps pause resume update events features check spec; do
        run hk "$c" -h
        [ "$status" = 0 ] || { echo "$c -h: $output"; false; }
        [[ "$output" == *"usage: hako $c"* ]]
        run hk "$c" --help
        [ "$status" = 0 ]
    done
    run hk kill some-id -h
    [ "$status" = 0 ] && [[ "$output" == *"usage: hako kill"* ]]
}

@test "an unknown command exits 3, with or without -h, as runc does" {
    requires runc
    both foo -h
    [ "$hs" = 3 ]
    [ "$rs" = 3 ]
    both foo
    [ "$hs" = 3 ]
    [ "$rs" = 3 ]
    both -h foo
    [ "$hs" = 0 ] && [ "$rs" = 0 ]
}

@test "update ID --memory N (options after the ID) and --cpu-share apply, as on runc" {
    start_both
    hk update c --memory 100000000
    rc update c --memory 100000000
    h=$(cat /sys/fs/cgroup/memory/hako-test/$NAME/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/hako-test/$NAME/memory.max)
    r=$(cat /sys/fs/cgroup/memory/hako-test/$NAME-runc/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/hako-test/$NAME-runc/memory.max)
    [ "$h" = "$r" ]
    [ "$h" != max ]
    [ "$h" -lt 200000000 ]
    both update --cpu-share 512 c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    h=$(cat /sys/fs/cgroup/cpu/hako-test/$NAME/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/hako-test/$NAME/cpu.weight)
    r=$(cat /sys/fs/cgroup/cpu/hako-test/$NAME-runc/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/hako-test/$NAME-runc/cpu.weight)
    [ "$h" = "$r" ]
    # the old spelling stays accepted
    hk update --cpu-shares 512 c
}

# Tests/breaks/exec-cwd.patch, which drops the flag, must fail here: the
# process would run in process.cwd ("/") instead.
@test "exec --cwd DIR runs the process in DIR, not in process.cwd, as on runc" {
    start_both
    both exec --cwd /tmp c pwd
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ro" = /tmp ]
    [ "$ho" = /tmp ]
    both exec c pwd
    assert_same "pwd without --cwd" "$ho" "$ro"
}

@test "exec --ignore-paused waits for resume; without it exec refuses a paused container" {
    start_both
    hk pause c
    rc pause c
    both exec c true
    # exec's own failures exit 255, as runc's do (its 1..254 are the
    # process's); the old '[ "$hs" = 1 ] && ...' could not fail and hid that.
    [ "$hs" = 255 ]
    [ "$rs" != 0 ]
    # exec is frozen with the container until resume: resume once the
    # exec'd process is in the container's cgroup (an event, not a sleep).
    for who in hk rc; do
        d=/sys/fs/cgroup/freezer/hako-test/$NAME; [ $who = rc ] && d=$d-runc
        [ -d /sys/fs/cgroup/freezer ] || d=/sys/fs/cgroup/hako-test/${d##*/}
        n0=$(wc -l < "$d/cgroup.procs")
        $who exec --ignore-paused c echo ok > "$T/$who.out" 2>&1 &
        pid=$!
        for i in $(seq 200); do [ "$(wc -l < "$d/cgroup.procs")" -gt "$n0" ] && break; sleep 0.05; done
        $who resume c
        wait_pids 60 "$pid"
        [ "${WAIT_STATUSES[0]}" -eq 0 ]
        [ "$(cat "$T/$who.out")" = ok ]
    done
}

@test "exec --cgroup: a sub-cgroup, per controller on v1; .. and unknown controllers refused" {
    start_both
    v1=$([ -d /sys/fs/cgroup/memory ] && echo yes || echo no)
    for who in hk rc; do
        sfx=""; [ $who = rc ] && sfx=-runc
        if [ $v1 = yes ]; then
            mkdir -p /sys/fs/cgroup/memory/hako-test/$NAME$sfx/sub /sys/fs/cgroup/pids/hako-test/$NAME$sfx/sub
            run $who exec --cgroup memory:sub --cgroup pids:sub c cat /proc/self/cgroup
            [ "$status" = 0 ]
            [[ "$output" == *":memory:/hako-test/$NAME$sfx/sub"* ]]
            [[ "$output" == *":pids:/hako-test/$NAME$sfx/sub"* ]]
            echo "$output" | grep -qx "[0-9]*:cpuset:/hako-test/$NAME$sfx"
            run $who exec --cgroup whaaat:/ c true
            [ "$status" != 0 ]
            [[ "$output" == *"unknown controller"* ]]
        else
            mkdir -p /sys/fs/cgroup/hako-test/$NAME$sfx/sub
        fi
        run $who exec --cgroup .. c true
        [ "$status" != 0 ]
        [[ "$output" == *"is not a sub cgroup path"* ]]
        run $who exec --cgroup nonexistent c true
        [ "$status" != 0 ]
        run $who exec --cgroup / c true
        [ "$status" = 0 ]
    done
}

@test "run --keep leaves the stopped container for state and delete" {
    requires runc
    args sh -c 'exit 3'
    runc_bundle
    run hk run --keep --bundle "$B" c
    [ "$status" = 3 ]
    run rc run --keep --bundle "$RB" c
    [ "$status" = 3 ]
    [ "$(status_of c)" = stopped ]
    [ "$(rc state c | jq -r .status)" = stopped ]
    hk delete c
    rc delete c
    run hk state c
    [ "$status" = 1 ]
}

@test "run -d into an already frozen cgroup is refused, as runc does, instead of hanging" {
    requires runc
    args sleep 1000
    runc_bundle
    for who in hk rc; do
        sfx=""; [ $who = rc ] && sfx=-runc
        if [ -d /sys/fs/cgroup/freezer ]; then
            f=/sys/fs/cgroup/freezer/hako-test/$NAME$sfx; mkdir -p "$f"; echo FROZEN > "$f/freezer.state"
        else
            f=/sys/fs/cgroup/hako-test/$NAME$sfx; mkdir -p "$f"; echo 1 > "$f/cgroup.freeze"
        fi
        bundle=$B; [ $who = rc ] && bundle=$RB
        if [ $who = hk ]; then run timeout 20 "$HAKO" --root "$T/state" run -d --bundle "$bundle" c
        else run timeout 20 "$RUNC" --root "$T/runc" run -d --bundle "$bundle" c; fi
        echo "$who: $status $output"
        [ "$status" = 1 ]
        [[ "$output" == *"frozen"* ]]
        [ -d /sys/fs/cgroup/freezer ] && echo THAWED > "$f/freezer.state" || echo 0 > "$f/cgroup.freeze"
    done
}

@test "a namespace with \"path\": \"\" is new, and lo is up in a new network namespace, as on runc" {
    requires runc
    args sh -c 'ip link show lo | head -1'
    cfg '.linux.namespaces |= map(if .type=="network" then .path="" else . end)'
    runc_bundle
    run hk run --bundle "$B" c; hs=$status; ho=$output
    run rc run --bundle "$RB" c; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [[ "$ho" == *"<LOOPBACK,UP,LOWER_UP>"* ]] && [[ "$ro" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
}

@test "a hook without env inherits the runtime's environment (PATH), as on runc; env [] is empty" {
    requires runc
    args true
    cfg '.hooks.prestart=[{"path":"/bin/sh","args":["sh","-c","echo \"$PATH\" > \"$0\"", "'"$T"'/inherit"]},
                          {"path":"/bin/sh","args":["sh","-c","env | grep -c . > \"$0\"; true", "'"$T"'/empty"],"env":[]}]'
    runc_bundle
    PATH=/usr/bin:/bin hk run --bundle "$B" c
    [ "$(cat "$T/inherit")" = /usr/bin:/bin ]
    h=$(cat "$T/empty")
    PATH=/usr/bin:/bin rc run --bundle "$RB" c
    [ "$(cat "$T/inherit")" = /usr/bin:/bin ]
    r=$(cat "$T/empty")
    # sh itself sets PWD (and a few) even in an empty environment: same count on both
    [ "$h" = "$r" ]
}

@test "features says AppArmor and SELinux are supported (hako applies both)" {
    run hk features
    [ "$(echo "$output" | jq .linux.apparmor.enabled)" = true ]
    [ "$(echo "$output" | jq .linux.selinux.enabled)" = true ]
}
