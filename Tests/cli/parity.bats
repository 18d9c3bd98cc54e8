#!/usr/bin/env bats
# The remaining items of issue 22's list of runc behaviours: each runs on
# hako and on runc 1.1 (same bundle, own cgroup) and asserts the same result,
# or, where hako follows the spec instead, asserts both results and
# docs/runc-parity.md says why.

load "$BATS_TEST_DIRNAME/../helpers"

# runc gets a private --root and an absolute cgroupsPath under /hako-test
# (runc_bundle), never the host's default cgroup.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }

# The shared teardown, after detaching a loop device a test made.
teardown() {
    if [ -n "${LOOP:-}" ]; then losetup -d "$LOOP" 2>/dev/null; fi
    teardown_test
}

# create_on WHO ID: `create` on the runtime WHO (hk or rc) with its own bundle.
create_on() {
    local bundle=$B; [ "$1" = rc ] && bundle=$RB
    "$1" create --bundle "$bundle" "$2" </dev/null
}

# run_both ID: `run` in the foreground on both; statuses $hs/$rs, outputs $ho/$ro.
run_both() {
    requires runc
    rm -rf "$T/runc-$NAME"
    runc_bundle
    run hk run --bundle "$B" "$1" </dev/null; hs=$status; ho=$output
    run rc run --bundle "$RB" "$1" </dev/null; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
}

@test "an id like .foo is valid, as on runc (its keyring is _ses..foo, not a reserved .name)" {
    args true
    run_both .foo
    [ "$hs" = 0 ] && [ "$rs" = 0 ]
}

@test "a mount destination that is a dangling symlink: its target is created inside the rootfs, as on runc" {
    mkdir -p "$B/rootfs/mnt"
    ln -s /target "$B/rootfs/mnt/link"
    ln -s ../a/b/deep "$B/rootfs/mnt/rel"
    ln -s ../../../../../escape "$B/rootfs/mnt/out"
    args sh -c 'stat -c "%F %a" /target /a/b/deep /escape'
    cfg '.root.readonly = false | .mounts += [{"destination":"/mnt/link","type":"tmpfs","source":"tmpfs","options":["mode=700"]},
                                              {"destination":"/mnt/rel","type":"tmpfs","source":"tmpfs","options":["mode=700"]},
                                              {"destination":"/mnt/out","type":"tmpfs","source":"tmpfs","options":["mode=700"]}]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    # a link climbing out stays inside the rootfs
    [ -d "$B/rootfs/escape" ]
    [ ! -e /escape ]
    # a loop is refused by both
    ln -s /mnt/loop "$B/rootfs/mnt/loop"
    cfg '.mounts += [{"destination":"/mnt/loop","type":"tmpfs","source":"tmpfs"}]'
    run_both c2
    [ "$hs" = 1 ]
    [ "$rs" = 1 ]
    [[ "$ho" == *"Too many levels of symbolic links"* ]] && [[ "$ro" == *"too many levels of symbolic links"* ]]
}

@test "a rootfs whose /proc is a symlink, dangling or not, is refused with runc's reason" {
    rmdir "$B/rootfs/proc"
    for target in /tmp /nonexistent; do
        ln -sfn "$target" "$B/rootfs/proc"
        args true
        run_both c
        [ "$hs" = 1 ]
        [ "$rs" = 1 ]
        [[ "$ho" == *"proc must be mounted on an ordinary directory"* ]]
        [[ "$ro" == *"must be mounted on ordinary directory"* ]]
        # nothing was created through the link
        [ ! -e "$B/rootfs/nonexistent" ]
    done
}

@test "a tmpfs without mode= takes its mount point's mode, as on runc; a new mount point gives 1777" {
    mkdir -p "$B/rootfs/mnt/t" "$B/rootfs/mnt/s"
    chmod 1733 "$B/rootfs/mnt/t"; chmod 0700 "$B/rootfs/mnt/s"
    args sh -c 'stat -c %a /mnt/t /mnt/s /mnt/new'
    cfg '.mounts += [{"destination":"/mnt/t","type":"tmpfs","source":"tmpfs"},
                     {"destination":"/mnt/s","type":"tmpfs","source":"tmpfs","options":["size=1m"]},
                     {"destination":"/mnt/new","type":"tmpfs","source":"tmpfs"}]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf '1733\n700\n1777')" ]
}

@test "a tmpfs with mode= keeps that mode (hako follows the option; runc 1.1 overrides it with the mount point's)" {
    mkdir -p "$B/rootfs/mnt/t"; chmod 1733 "$B/rootfs/mnt/t"
    args stat -c %a /mnt/t
    cfg '.mounts += [{"destination":"/mnt/t","type":"tmpfs","source":"tmpfs","options":["mode=700"]}]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = 700 ]
    # runc 1.1.5 gives 1733 here; docs/runc-parity.md says why hako does not follow
    echo "runc's mode: $ro"
}

@test "SIGTERM (and HUP, INT, QUIT) to a created container stops it, as on runc; start then fails on both" {
    requires runc
    args true
    runc_bundle
    for sig in TERM HUP INT QUIT; do
        for who in hk rc; do
            create_on $who c
            $who kill c $sig
            s=created
            for i in $(seq 200); do s=$($who state c | jq -r .status); [ "$s" = stopped ] && break; sleep 0.05; done
            echo "$who $sig: $s"
            [ "$s" = stopped ]
            run $who start c
            [ "$status" = 1 ]
            $who delete c
        done
    done
    # USR1 is not one of them: the container stays created on both
    for who in hk rc; do
        create_on $who c
        $who kill c USR1
        $who kill c 0
        [ "$($who state c | jq -r .status)" = created ]
        $who delete --force c
    done
}

@test "process.scheduler: applied (SCHED_BATCH); a realtime policy's EPERM names its causes (runc 1.1 ignores the field)" {
    args sh -c 'cut -d" " -f41 /proc/self/stat'
    cfg '.process.scheduler = {"policy": "SCHED_BATCH"}'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    # SCHED_BATCH is policy 3; runc 1.1.5 never calls sched_setattr (the
    # field came in runc 1.2), so its process stays SCHED_OTHER (0).
    [ "$ho" = 3 ]
    echo "runc's policy: $ro"
    # Realtime without a budget: the kernel's EPERM, and why. Where the
    # kernel has no RT group scheduling and root holds CAP_SYS_NICE, it is
    # simply applied.
    cfg '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10}'
    run hk run --bundle "$B" c2 </dev/null
    echo "$output"
    if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] && [ "$(cat /sys/fs/cgroup/cpu/hako-test/cpu.rt_runtime_us 2>/dev/null || echo 0)" = 0 ]; then
        [ "$status" = 1 ]
        [[ "$output" == *"process.scheduler: sched_setattr: Operation not permitted"*"linux.resources.cpu.realtimeRuntime"* ]]
    else
        [ "$status" = 0 ] && [ "$output" = 1 ]
    fi
}

@test "blockIO.weightDevice with BFQ on v1 goes to blkio.bfq.weight_device, as on runc" {
    [ -d /sys/fs/cgroup/blkio ] || skip "no cgroup v1 blkio hierarchy on this host: the v1 file cannot be compared"
    truncate -s 1M "$T/disk"
    LOOP=$(losetup -f --show "$T/disk") || skip "no loop device to put under BFQ"
    echo bfq > /sys/block/${LOOP#/dev/}/queue/scheduler 2>/dev/null || skip "the kernel has no BFQ scheduler"
    maj=$(( 0x$(stat -c %t "$LOOP") )); min=$(( 0x$(stat -c %T "$LOOP") ))
    args cat /sys/fs/cgroup/blkio/blkio.bfq.weight_device
    cfg '.linux.resources.blockIO = {"weightDevice": [{"major": $ma, "minor": $mi, "weight": 333}]}' --argjson ma $maj --argjson mi $min
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [[ "$ho" == *"$maj:$min 333"* ]]
}

# userns: the container gets its own user namespace, root mapped to 100000.
userns() {
    cfg '.linux.namespaces += [{"type":"user"}]
         | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
         | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
         | .mounts |= map(select(.type != "cgroup"))'
    chown -R 100000:100000 "$B/rootfs"
    chmod 755 "$T"  # mktemp made it 0700: the rootfs must be reachable
}

@test "in a user namespace, bind sources under a root-only (0700) directory are mounted, as on runc; ro still holds" {
    mkdir -p "$T/private/sub"; echo hi > "$T/private/sub/f"; chmod 700 "$T/private"
    userns
    touch "$B/rootfs/file"
    args sh -c 'cat /mnt/f /file; touch /mnt/g 2>/dev/null && echo writable || echo read-only'
    cfg '.mounts += [{"destination":"/mnt","type":"bind","source":$d,"options":["rbind","ro"]},
                     {"destination":"/file","type":"bind","source":$f,"options":["bind"]}]' \
        --arg d "$T/private/sub" --arg f "$T/private/sub/f"
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf 'hi\nhi\nread-only')" ]
    # a missing source is still refused by both
    cfg '.mounts += [{"destination":"/none","type":"bind","source":"/nonexistent-source","options":["rbind"]}]'
    run_both c2
    [ "$hs" = 1 ]
    [ "$rs" = 1 ]
    [[ "$ho" == *"/nonexistent-source: No such file or directory"* ]]
}

@test "seccomp: a syscall newer than the profile knows fails with ENOSYS, an old one left out with the default errno, as on runc" {
    [ "$(uname -m)" = x86_64 ] || skip "the probe's syscall numbers are x86_64's"
    command -v cc >/dev/null || skip "no C compiler to build Tests/cli/nosys.c"
    cc -static -O1 -o "$B/rootfs/nosys" "$BATS_TEST_DIRNAME/nosys.c" || skip "cc cannot link statically here"
    # What a static program, hako's init and runc's init need after the filter is in.
    names='["execve","brk","arch_prctl","set_tid_address","set_robust_list","rseq","prlimit64","mprotect","readlinkat","readlink",
            "uname","write","writev","exit_group","exit","getrandom","newfstatat","fstat","mmap","munmap","openat","close","read",
            "ioctl","rt_sigaction","rt_sigprocmask","rt_sigreturn","futex","getpid","gettid","fcntl","capget","capset","prctl",
            "setgroups","setresuid","setresgid","getcwd","chdir","fchdir","lseek","sched_getaffinity","nanosleep","getppid","tgkill",
            "kill","epoll_pwait","pipe2","dup3","setsid","getuid","geteuid","getgid","getegid","sigaltstack","clone","waitid","wait4",
            "setns","keyctl","umask","personality","statfs","fstatfs","mkdirat","epoll_create1","epoll_ctl","madvise","sched_yield",
            "getdents64","clock_gettime","mincore","fchown","setitimer","access","stat","lstat","open","dup2","pread64","faccessat",
            "unlinkat","socket","connect","sendmsg","recvmsg","poll","select","pselect6","ppoll","epoll_wait"]'
    args /nosys
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                           "syscalls": [{"action": "SCMP_ACT_ALLOW", "names": $n}]}' --argjson n "$names"
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf 'new:ENOSYS\nold:EPERM')" ]
    # A profile that allows by default is left alone: the new call reaches the kernel.
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": ["times"]}]}'
    run_both c2
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf 'new:EINVAL\nold:EPERM')" ]
}

@test "update with device rules leaves the container's rules as they are, as runc does; the rest applies" {
    requires runc
    args sleep 1000
    cfg '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
         | .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]'
    runc_bundle
    hk run -d --bundle "$B" c </dev/null
    rc run -d --bundle "$RB" c </dev/null
    echo '{"devices": [{"allow": false, "access": "rwm"}], "pids": {"limit": 50}}' > "$T/update.json"
    for who in hk rc; do
        sfx=""; [ $who = rc ] && sfx=-runc
        d=/sys/fs/cgroup/devices/hako-test/$NAME$sfx
        before=""; [ -d "$d" ] && before=$(cat "$d/devices.list")
        run $who update -r "$T/update.json" c
        echo "$who: $status $output"
        [ "$status" = 0 ]
        if [ -d "$d" ]; then [ "$(cat "$d/devices.list")" = "$before" ]; fi
        # the container still reaches its devices, the config's too
        $who exec c sh -c 'cat /dev/null && test -c /dev/fuse'
        p=$(cat /sys/fs/cgroup/pids/hako-test/$NAME$sfx/pids.max 2>/dev/null || cat /sys/fs/cgroup/hako-test/$NAME$sfx/pids.max)
        [ "$p" = 50 ]
    done
}

@test "/dev/tty and /dev/ptmx listed in linux.devices as well as in the defaults: both run, as on runc" {
    args sh -c 'ls -l /dev/tty /dev/ptmx | cut -c1-10'
    cfg '.linux.devices = [{"path":"/dev/tty","type":"c","major":5,"minor":0,"fileMode":438},
                           {"path":"/dev/ptmx","type":"c","major":5,"minor":2,"fileMode":438}]'
    run_both c
    [ "$hs" = 0 ] && [ "$rs" = 0 ] && [ "$ho" = "$ro" ]
}

@test "the cwd is entered before capabilities are dropped and the user switched, in run and exec, as on runc" {
    mkdir -p "$B/rootfs/private"; chown 1000 "$B/rootfs/private"; chmod 700 "$B/rootfs/private"
    # root without CAP_DAC_OVERRIDE (the template's caps) in a 0700 directory of uid 1000
    args pwd
    cfg '.process.cwd = "/private"'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = /private ]
    [ "$ro" = /private ]
    # exec --user 1000 --cwd into root's 0700 /root
    chmod 700 "$B/rootfs/root"; chmod 700 "$RB/rootfs/root"
    args sleep 1000
    cp "$B/config.json" "$RB/config.json.hako"
    jq --arg cg "/hako-test/$NAME-runc" '.linux.cgroupsPath = $cg' "$RB/config.json.hako" > "$RB/config.json"
    hk run -d --bundle "$B" d </dev/null
    rc run -d --bundle "$RB" d </dev/null
    run hk exec --user 1000:1000 --cwd /root d pwd; hs=$status; ho=$output
    run rc exec --user 1000:1000 --cwd /root d pwd; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
    [ "$hs" = "$rs" ] && [ "$ho" = "$ro" ]
}

@test "--criu, --rootless and --no-subreaper are accepted and change nothing, as on runc" {
    requires runc
    args true
    runc_bundle
    for g in "--criu /nonexistent" "--rootless false" "--rootless auto"; do
        run hk $g list; hs=$status
        run rc $g list; rs=$status
        echo "$g: hako $hs runc $rs"
        [ "$hs" = 0 ]
        [ "$rs" = 0 ]
    done
    run hk run --no-subreaper --bundle "$B" c </dev/null; hs=$status
    run rc run --no-subreaper --bundle "$RB" c </dev/null; rs=$status
    [ "$hs" = 0 ] && [ "$rs" = 0 ]
}

@test "directories made for a destination under a setgid directory inherit the setgid bit, as on runc" {
    mkdir "$B/rootfs/setgid"; chmod =7755 "$B/rootfs/setgid"
    args true
    cfg '.mounts += [{"destination":"/setgid/a/b/c","type":"tmpfs","source":"tmpfs","options":["ro","nodev","nosuid"]}]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    for d in a a/b; do
        [ "$(stat -c %a "$B/rootfs/setgid/$d")" = "$(stat -c %a "$RB/rootfs/setgid/$d")" ]
        [ "$(stat -c %a "$B/rootfs/setgid/$d")" = 2755 ]
    done
}

@test "--no-pivot in a user namespace: mounting a fresh procfs gives the same answer on hako and runc" {
    userns
    args sh -c 'mkdir -p /tmp/p && mount -t proc proc /tmp/p && echo mounted || echo refused'
    cfg '.root.readonly = false | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
         | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
    requires runc
    rm -rf "$T/runc-$NAME"; runc_bundle
    run hk run --no-pivot --bundle "$B" c </dev/null; hs=$status; ho=$output
    run rc run --no-pivot --bundle "$RB" c </dev/null; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
    [ "$hs" = 0 ] && [ "$rs" = 0 ] && [ "$ho" = "$ro" ]
}

# joined_pair WHO: on runtime WHO (hk or rc), starts "owner" in its own user
# namespace, then runs "joiner" in that user namespace with new uts, net,
# ipc, mount and pid namespaces; its status and output go to $js and $jo.
joined_pair() {
    local who=$1 bundle=$B; [ "$who" = rc ] && bundle=$RB
    (cd "$bundle" && jq '.process.args = ["sleep", "600"]' config.json > owner.json)
    mv "$bundle/config.json" "$bundle/joiner.json"
    mv "$bundle/owner.json" "$bundle/config.json"
    "$who" run -d --bundle "$bundle" --pid-file "$T/$who.owner.pid" owner </dev/null
    mv "$bundle/joiner.json" "$bundle/config.json"
    local pid; pid=$(cat "$T/$who.owner.pid")
    jq --arg u "/proc/$pid/ns/user" '.linux.namespaces |= map(if .type == "user" then .path = $u else . end)
        | .linux.namespaces |= (map(select(.type != "network" and .type != "uts")) + [{"type":"network"},{"type":"uts"}])
        | .hostname = "joined" | .linux.cgroupsPath += "/j"' "$bundle/config.json" > "$bundle/c.new"
    mv "$bundle/c.new" "$bundle/config.json"
    run "$who" run --bundle "$bundle" joiner </dev/null; js=$status; jo=$output
    "$who" delete --force owner >/dev/null 2>&1 || true
}

@test "joining another container's user namespace: new uts, net and pid namespaces are that namespace's, so hostname, lo and /proc work, as on runc" {
    userns
    args sh -c 'hostname; ip link set lo up && ip -o link show lo | grep -q UP && echo lo-up; ls /proc/1/exe >/dev/null && echo proc; id -u'
    requires runc
    rm -rf "$T/runc-$NAME"; runc_bundle
    joined_pair hk; hs=$js; ho=$jo
    joined_pair rc; rs=$js; ro=$jo
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf 'joined\nlo-up\nproc\n0')" ]
}

# What isolation's defences (Tests/security/isolation.bats) must still let
# through, each beside runc: a listed node that a rule allows, and sysctls
# of the container's own namespaces, set there and not on the host.
@test "a device node listed in linux.devices is usable once a rule allows it, as on runc" {
    cfg '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438, "uid": 0, "gid": 0}]
         | .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
    args sh -c '(exec 3>/dev/kmsg) 2>/dev/null && echo open || echo denied'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = open ]
    [ "$ro" = open ]
}

@test "namespaced sysctls are set inside the container only, as on runc" {
    local before
    before=$(cat /proc/sys/net/ipv4/ping_group_range)
    cfg '.linux.sysctl = {"net.ipv4.ping_group_range": "0 7", "net/ipv4/ip_unprivileged_port_start": "80", "kernel.shmmni": "1234"}'
    args cat /proc/sys/net/ipv4/ping_group_range /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$(printf '0\t7\n80\n1234')" ]
    [ "$ho" = "$ro" ]
    [ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$before" ]
}

# Issue 37's slice: behaviours where hako still differed from runc 1.1.5.

@test "linux.memoryPolicy MPOL_DEFAULT and MPOL_LOCAL without nodes start, as on runc (no nodemask is passed)" {
    args sh -c 'grep -c default /proc/self/numa_maps'
    cfg '.linux.memoryPolicy = {"mode": "MPOL_DEFAULT"}'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    # "nodes": "" is none too. runc 1.1.5 ignores memoryPolicy (it came in
    # runc 1.3), so only hako's process shows the local policy.
    args sh -c 'grep -q " local " /proc/self/numa_maps && echo local || echo not-local'
    cfg '.linux.memoryPolicy = {"mode": "MPOL_LOCAL", "nodes": ""}'
    run_both c2
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = local ]
}

@test "a kernel.hostname sysctl beside the hostname field is refused, as on runc" {
    args hostname
    cfg '.hostname = "h" | .linux.sysctl = {"kernel.hostname": "s"}'
    run_both c
    [ "$hs" = 1 ]
    [ "$rs" = 1 ]
    [[ "$ho" == *"linux.sysctl.kernel.hostname: conflicts with the hostname field"* ]]
    [[ "$ro" == *"kernel.hostname"*"is not allowed as it conflicts with the OCI"* ]]
    # alone it is set (runc 1.1.5 refuses it even then: docs/runc-parity.md)
    cfg 'del(.hostname)'
    run hk run --bundle "$B" c2 </dev/null
    [ "$status" -eq 0 ]
    [ "$output" = s ]
}

@test "a read-only tmpfs without mode= starts with its mount point's mode, as on runc; with tmpcopyup too" {
    mkdir -p "$B/rootfs/mnt/t" "$B/rootfs/mnt/c"; chmod 1733 "$B/rootfs/mnt/t"; echo hi > "$B/rootfs/mnt/c/f"
    args sh -c 'stat -c %a /mnt/t /mnt/new /mnt/c; cat /mnt/c/f; touch /mnt/t/x /mnt/c/y 2>&1; grep " /mnt/" /proc/self/mountinfo | cut -d" " -f5-'
    cfg '.mounts += [{"destination":"/mnt/t","type":"tmpfs","source":"tmpfs","options":["ro","nosuid","nodev"]},
                     {"destination":"/mnt/new","type":"tmpfs","source":"tmpfs","options":["ro"]},
                     {"destination":"/mnt/c","type":"tmpfs","source":"tmpfs","options":["ro","tmpcopyup"]}]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [[ "$ho" == "$(printf '1733\n1777\n755\nhi')"*"/mnt/t/x: Read-only file system"*"/mnt/c/y: Read-only file system"* ]]
}

# v1_parent_quota DIR: the cpu cgroup DIR (under /hako-test) with a CFS
# quota of half a CPU, for a container below it.
v1_parent_quota() {
    mkdir -p "/sys/fs/cgroup/cpu/$1"
    echo 100000 > "/sys/fs/cgroup/cpu/$1/cpu.cfs_period_us"
    echo 50000 > "/sys/fs/cgroup/cpu/$1/cpu.cfs_quota_us"
}

@test "update --cpu-period --cpu-quota under a parent with a quota: the quota first, then the period again, as on runc" {
    [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || skip "no cgroup v1 cpu hierarchy: on v2 both go to cpu.max in one write"
    requires runc
    args sleep 1000
    cfg '.linux.resources.cpu = {"quota": 30000, "period": 100000}'
    cfg '.linux.cgroupsPath = $cg' --arg cg "/hako-test/$NAME/c"
    runc_bundle
    jq --arg cg "/hako-test/$NAME-runc/c" '.linux.cgroupsPath = $cg' "$RB/config.json" > "$RB/c.new"
    mv "$RB/c.new" "$RB/config.json"
    v1_parent_quota "hako-test/$NAME"
    v1_parent_quota "hako-test/$NAME-runc"
    hk run -d --bundle "$B" c </dev/null
    rc run -d --bundle "$RB" c </dev/null
    # 30000/100000 over a 10000 period would exceed the parent's half CPU
    # until the quota is 3000: the kernel refuses the period alone.
    run hk update --cpu-period 10000 --cpu-quota 3000 c
    hs=$status; ho=$output
    run rc update --cpu-period 10000 --cpu-quota 3000 c
    echo "hako: $hs $ho"; echo "runc: $status $output"
    [ "$hs" = 0 ]
    [ "$status" = 0 ]
    d=/sys/fs/cgroup/cpu/hako-test/$NAME
    [ "$(cat "$d/c/cpu.cfs_period_us") $(cat "$d/c/cpu.cfs_quota_us")" = "10000 3000" ]
    [ "$(cat "$d-runc/c/cpu.cfs_period_us") $(cat "$d-runc/c/cpu.cfs_quota_us")" = "10000 3000" ]
}

@test "update --cpu-rt-period --cpu-rt-runtime under a parent's realtime budget: the runtime first, then the period again (runc 1.1.15's order)" {
    [ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no cgroup v1 realtime group scheduling in this kernel"
    [ "$(cat /sys/fs/cgroup/cpu/hako-test/cpu.rt_runtime_us 2>/dev/null || echo 0)" -ge 100000 ] ||
        skip "/hako-test has no realtime budget (cpu.rt_runtime_us below 100000) for a container below it; this test gives none to a cgroup others share"
    args sleep 1000
    cfg '.linux.resources.cpu = {"realtimePeriod": 1000000, "realtimeRuntime": 50000}'
    cfg '.linux.cgroupsPath = $cg' --arg cg "/hako-test/$NAME/c"
    d=/sys/fs/cgroup/cpu/hako-test/$NAME
    mkdir -p "$d"
    echo 100000 > "$d/cpu.rt_runtime_us"
    hk run -d --bundle "$B" c </dev/null
    # 50000 over a 100000 period would exceed the parent's tenth until the
    # runtime is 5000: the kernel refuses the period alone. runc 1.1.5
    # fails here; runc 1.1.15 retries as hako does.
    run hk update --cpu-rt-period 100000 --cpu-rt-runtime 5000 c
    [ "$status" -eq 0 ]
    [ "$(cat "$d/c/cpu.rt_period_us") $(cat "$d/c/cpu.rt_runtime_us")" = "100000 5000" ]
}

# exec_process_both JSON: `exec --process FILE c` of that process on hako
# ($hs, $ho) and on runc ($status, $output), both containers running.
exec_process_both() {
    echo "$1" > "$T/process.json"
    run hk exec --process "$T/process.json" c
    hs=$status
    ho=$output
    run rc exec --process "$T/process.json" c
    echo "hako: $hs $ho"; echo "runc: $status $output"
}

@test "exec --process FILE without user runs as 0:0, as on runc, whatever the container's user" {
    requires runc
    args sleep 1000
    cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10]}'
    runc_bundle
    hk run -d --bundle "$B" c </dev/null
    rc run -d --bundle "$RB" c </dev/null
    exec_process_both '{"args": ["/bin/id"], "cwd": "/"}'
    [ "$hs" = 0 ]
    [ "$status" = 0 ]
    [ "$ho" = "$output" ]
    [ "$ho" = "uid=0(root) gid=0(root)" ]
}

@test "a device rule's access letters other than r, w and m are left out with a warning (\"rwa\" is \"rw\"), as on runc" {
    cfg '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 438}]
         | .linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]'
    args sh -c '(exec 3>/dev/kmsg) 2>/dev/null && echo open || echo denied'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [[ "$ho" == *'access: \"a\" is not r, w or m; ignored'* ]]
    [ "$(printf '%s\n' "$ho" | grep -v level=warning)" = "$ro" ]
    [ "$ro" = open ]
}

@test "exec --process FILE: an error about the process names FILE and its field, not config.json; the status and words are runc's" {
    requires runc
    args sleep 1000
    runc_bundle
    hk run -d --bundle "$B" c </dev/null
    rc run -d --bundle "$RB" c </dev/null
    exec_process_both '{"args": ["no-such-program"], "cwd": "/", "user": {"uid": 0, "gid": 0}}'
    [ "$hs" = 255 ]
    [ "$status" = 255 ]
    [[ "$ho" == *"$T/process.json: args[0]: exec: \"no-such-program\": executable file not found in \$PATH"* ]]
    [[ "$output" == *'no-such-program\": executable file not found in $PATH'* ]]
    [[ "$ho" != *config.json* ]]
}

@test "a uid 1000 process's stdio, detached, becomes its user's; in the foreground it stays the caller's; /dev/null stays root's; as on runc" {
    requires runc
    args id -u
    cfg '.process.user = {"uid": 1000, "gid": 1000}'
    runc_bundle
    hk run --bundle "$B" "$NAME" </dev/null >"$T/out-hako" 2>"$T/err-hako"
    rc run --bundle "$RB" "$NAME" </dev/null >"$T/out-runc" 2>"$T/err-runc"
    [ "$(cat "$T/out-hako")" = 1000 ]
    [ "$(stat -c %u "$T/out-hako")" = 0 ]
    [ "$(stat -c %u "$T/out-runc")" = 0 ]
    hk run -d --bundle "$B" "$NAME-d" </dev/null >"$T/out-hako-d" 2>"$T/err-hako-d"
    rc run -d --bundle "$RB" "$NAME-d" </dev/null >"$T/out-runc-d" 2>"$T/err-runc-d"
    wait_nonempty "$T/out-hako-d"
    wait_nonempty "$T/out-runc-d"
    [ "$(cat "$T/out-hako-d")" = 1000 ]
    [ "$(stat -c %u:%g "$T/out-hako-d")" = 1000:0 ]
    [ "$(stat -c %u:%g "$T/out-runc-d")" = 1000:0 ]
    [ "$(stat -c %u:%g "$T/err-hako-d")" = "$(stat -c %u:%g "$T/err-runc-d")" ]
    [ "$(stat -c %u:%g:%a /dev/null)" = 0:0:666 ]
}

# start_outcome WHO BUNDLE: creates and starts c on WHO, prints start's
# status and whether the startContainer hook made /made, then deletes c.
start_outcome() {
    rm -rf "$2/rootfs/made" "$2/rootfs/ran"
    "$1" create --bundle "$2" c </dev/null
    local s=0
    "$1" start c 2>&1 || s=$?
    # runc's start returns before its process (or hook) is done
    for i in $(seq 100); do [ "$("$1" state c | jq -r .status)" = stopped ] && break; sleep 0.1; done
    echo "start $s, made: $([ -d "$2/rootfs/made" ] && echo yes || echo no), ran: $(cat "$2/rootfs/ran" 2>/dev/null || echo no)"
    "$1" delete --force c
}

@test "startContainer hooks run under the container's seccomp filter, with or without noNewPrivileges, as on runc" {
    requires runc
    args sh -c 'echo yes > /ran'
    cfg '.root.readonly = false
         | .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "mkdir /made"]}]'
    # without a filter the hook makes /made on both: the test can tell
    runc_bundle
    h=$(start_outcome hk "$B" | tail -1); r=$(start_outcome rc "$RB" | tail -1)
    assert_same "no filter" "$h" "$r"
    [ "$h" = "start 0, made: yes, ran: yes" ]
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": ["mkdir", "mkdirat"]}]}'
    for setting in '.process.noNewPrivileges = false' '.process.noNewPrivileges = true' \
        '.process.noNewPrivileges = false | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]'; do
        cfg "$setting"
        rm -rf "$RB"; runc_bundle
        h=$(start_outcome hk "$B" | tail -1); r=$(start_outcome rc "$RB" | tail -1)
        echo "$setting: hako $h; runc $r"
        # The hook's mkdir is refused on both, and the process never runs.
        # runc 1.1.5's start says 0: it is told of the start (exec.fifo)
        # before the hooks run; hako's reports the hook's failure.
        [ "$r" = "start 0, made: no, ran: no" ]
        [ "$h" = "start 1, made: no, ran: no" ]
    done
}

@test "createContainer hooks run with the container's rootfs as their cwd, as on runc" {
    requires runc
    args true
    cfg '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "pwd -P > \"$0\"", $f]}]' --arg f "$T/cwd-hako"
    runc_bundle
    B=$RB cfg '.hooks.createContainer[0].args[3] = $f' --arg f "$T/cwd-runc"
    hk run --bundle "$B" c </dev/null
    rc run --bundle "$RB" c </dev/null
    cat "$T/cwd-hako" "$T/cwd-runc"
    [ "$(cat "$T/cwd-runc")" = "$(cd "$RB/rootfs" && pwd -P)" ]
    [ "$(cat "$T/cwd-hako")" = "$(cd "$B/rootfs" && pwd -P)" ]
}

@test "a read-only tmpfs on /dev: populated first, then read-only, as on runc" {
    args sh -c 'ls /dev/pts/ptmx /dev/null /dev/shm >/dev/null && echo listed; touch /dev/x 2>/dev/null && echo writable || echo read-only; echo hi > /dev/null && echo null'
    cfg '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf 'listed\nread-only\nnull')" ]
}

# seccomp_agent SOCKET: in the background, a seccomp agent that takes one
# listener and closes it, so that the notified syscalls fail with ENOSYS
# instead of waiting; gone after one connection or 30 s.
seccomp_agent() {
    timeout 30 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
for fd in fds: __import__("os").close(fd)
' "$1" &
    AGENT=$!
    for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done
}

@test "SCMP_ACT_NOTIFY on write: runc refuses it at create, hako runs it (its listener is sent by a helper outside the filter)" {
    requires runc python3
    args true
    cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s,
                           "syscalls": [{"action": "SCMP_ACT_NOTIFY", "names": ["write"]}]}' --arg s "$T/agent.sock"
    runc_bundle
    run rc run --bundle "$RB" c </dev/null
    echo "runc: $status $output"
    [ "$status" = 1 ]
    [[ "$output" == *"SCMP_ACT_NOTIFY cannot be used for the write syscall"* ]]
    seccomp_agent "$T/agent.sock"
    run hk run --bundle "$B" c </dev/null
    echo "hako: $status $output"
    wait_pids 30 "$AGENT"
    [ "$status" = 0 ]
    [ "${WAIT_STATUSES[0]}" = 0 ]
}

@test "config.json member names in another case are read, the last one winning, as runc's Go decoding reads them" {
    args sh -c 'pwd; hostname; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
    cfg '.process.Args = .process.args | del(.process.args)
         | .process.CWD = "/tmp" | del(.process.cwd) | .process.Cwd = "/etc"
         | .["HO\u017fTNAME"] = "folded" | del(.hostname)
         | .linux.resources.pids = {"LIMIT": 77}'
    run_both c
    [ "$hs" = 0 ]
    [ "$rs" = 0 ]
    [ "$ho" = "$ro" ]
    [ "$ho" = "$(printf '/etc\nfolded\n77')" ]
}

@test "check reports a problem under a member named in another case, and only it, as for its exact name" {
    cfg '.process.Args = 5 | del(.process.args) | .linux.SYSCTL = {"a": 1} | .root.readonly = false'
    run hk check --bundle "$B"
    echo "$output"
    [ "$status" = 1 ]
    [[ "$output" == *"process.args: must be an array, not number"* ]]
    [[ "$output" == *"linux.sysctl.a: must be a string, not number"* ]]
    [[ "$output" != *"hostname"* ]]
}
