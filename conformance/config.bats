#!/usr/bin/env bats
# runtime-spec config.md: root, mounts, process, hostname, annotations.
# Each test quotes the sentence it checks.

load "$BATS_TEST_DIRNAME/../Tests/helpers"

# Each test gets a fresh copy of the busybox bundle and a private state
# root; its container's cgroup is /hako-test/conf-<n>, and everything a test
# makes is removed in teardown, also when it fails.
setup_file() { setup_template true; }
setup() { setup_test conf; setup_bundle; }
teardown() { teardown_test; }

@test "config.md root.path: the container's root filesystem is the bundle's rootfs" {
    echo marker-$$ > "$B/rootfs/marker"
    run_in 'cat /marker'
    [ "$status" -eq 0 ] && [ "$output" = "marker-$$" ]
}

@test "config.md root.readonly: 'If true then the root filesystem MUST be read-only'" {
    cfg '.root.readonly = true'
    run_in 'touch /x 2>&1; echo rc=$?'
    [[ "$output" == *"Read-only file system"* ]] && [[ "$output" == *rc=1* ]]
}

@test "config.md mounts: 'The runtime MUST mount entries in the listed order'" {
    mkdir -p "$T/a" "$T/b"; echo a > "$T/a/f"; echo b > "$T/b/f"
    cfg '.mounts += [{"destination": "/m", "type": "bind", "source": $a, "options": ["bind"]},
                     {"destination": "/m", "type": "bind", "source": $b, "options": ["bind"]}]' --arg a "$T/a" --arg b "$T/b"
    run_in 'cat /m/f'
    [ "$status" -eq 0 ] && [ "$output" = b ]
}

@test "config.md mounts: a destination missing in the rootfs is created, options apply (ro, nosuid, tmpfs size)" {
    cfg '.mounts += [{"destination": "/new/dir", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "nosuid", "size=64k"]}]'
    run_in 'grep " /new/dir " /proc/self/mounts'
    [ "$status" -eq 0 ]
    [[ "$output" == *"tmpfs /new/dir tmpfs ro,nosuid"* ]] && [[ "$output" == *size=64k* ]]
}

@test "config.md process.cwd: 'the working directory that will be set for the executable'" {
    mkdir -p "$B/rootfs/work/here"
    cfg '.process.cwd = "/work/here"'
    run_in pwd
    [ "$output" = /work/here ]
}

@test "config.md process.env: the process's environment is exactly env" {
    cfg '.process.env = ["A=1", "B=two words", "PATH=/bin"]'
    # HOME is added from the user's /etc/passwd entry when env lacks it, as
    # runc does; sh adds PWD and SHLVL.
    run_in 'env | sort | grep -v "^PWD=\|^SHLVL=\|^HOME="'
    [ "$output" = "$(printf 'A=1\nB=two words\nPATH=/bin')" ]
}

@test "config.md process.args: the executable is searched in PATH of env, and argv is args" {
    args echo one "two three"
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ] && [ "$output" = "one two three" ]
}

@test "config.md process.user: uid, gid and additionalGids are the process's" {
    cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [1002, 1003]}'
    run_in 'id -u; id -g; id -G'
    [ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 1001 ] && [ "${lines[2]}" = "1001 1002 1003" ]
}

@test "config.md process.user.umask: the process's umask" {
    cfg '.process.user.umask = 63'
    run_in umask
    [ "$output" = 0077 ]
}

@test "config.md process.rlimits: set on the process; 'The runtime MUST generate an error for any values which cannot be mapped'" {
    cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]'
    run_in 'ulimit -n; ulimit -Hn'
    [ "${lines[0]}" = 123 ]
    [ "${lines[1]}" = 456 ]
    cfg '.process.rlimits = [{"type": "RLIMIT_NO_SUCH_THING", "soft": 1, "hard": 1}]'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ]
    [[ "$output" == *"process.rlimits[0]"* ]]
    [ -z "$(hk list -q)" ]
}

@test "config.md process.capabilities: the sets are the process's; 'Any value which cannot be mapped ... MUST cause an error'" {
    cfg '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"]}'
    run_in 'grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/self/status'
    [[ "$output" == *"CapInh:	0000000000000000"* ]]
    [[ "$output" == *"CapPrm:	0000000000000021"* ]]
    # For uid 0, execve makes the effective set the whole permitted set
    # (capabilities(7)); the inheritable and ambient sets stay empty.
    [[ "$output" == *"CapEff:	0000000000000021"* ]]
    [[ "$output" == *"CapBnd:	0000000000000021"* ]]
    [[ "$output" == *"CapAmb:	0000000000000000"* ]]
    cfg '.process.capabilities.bounding += ["CAP_NO_SUCH_CAP"]'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"process.capabilities.bounding[2]"* ]]
}

@test "config.md process.noNewPrivileges: 'setting noNewPrivileges to true prevents the process from gaining additional privileges'" {
    cfg '.process.noNewPrivileges = true'
    run_in 'grep NoNewPrivs /proc/self/status'
    [[ "$output" == *"NoNewPrivs:	1"* ]]
    cfg '.process.noNewPrivileges = false'
    run_in 'grep NoNewPrivs /proc/self/status'
    [[ "$output" == *"NoNewPrivs:	0"* ]]
}

@test "config.md process.oomScoreAdj: written to the process's oom_score_adj" {
    cfg '.process.oomScoreAdj = 123'
    run_in 'cat /proc/self/oom_score_adj'
    [ "$output" = 123 ]
}

@test "config.md hostname and domainname: 'the container's hostname as seen by processes inside the container'" {
    cfg '.hostname = "conf-host" | .domainname = "conf.example"'
    run_in 'hostname; cat /proc/sys/kernel/domainname'
    [ "${lines[0]}" = conf-host ] && [ "${lines[1]}" = conf.example ]
}

@test "config.md ociVersion: REQUIRED; a config without it is an error" {
    cfg 'del(.ociVersion)'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *ociVersion* ]]
}

@test "config.md process.terminal=false: the process's stdio are the runtime's" {
    run_in 'echo out; echo err >&2'
    [ "$status" -eq 0 ] && [[ "$output" == *out* ]] && [[ "$output" == *err* ]]
}

@test "config.md process.scheduler: policy and nice are the process's (sched_setattr)" {
    cfg '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
    run_in 'grep "^policy" /proc/self/sched | tr -s " "; cut -d" " -f19 /proc/self/stat'
    [ "${lines[0]}" = "policy : 3" ]
    [ "${lines[1]}" = 5 ]
    cfg '.process.scheduler = {"policy": "SCHED_NO_SUCH"}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"process.scheduler.policy"* ]]
}

@test "config.md process.ioPriority: class and priority are the process's (ioprio_set)" {
    cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
    run_in 'ionice -p $$'
    [[ "$output" == idle* ]]
    cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"process.ioPriority.priority"* ]]
}

@test "config.md process.execCPUAffinity: final is the process's CPU list when it runs" {
    last=$(( $(nproc) - 1 ))
    cfg '.process.execCPUAffinity = {"initial": "0", "final": $f}' --arg f "$last"
    run_in 'grep Cpus_allowed_list /proc/self/status'
    [ "$output" = "Cpus_allowed_list:	$last" ]
    cfg '.process.execCPUAffinity = {"final": "x-y"}'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"process.execCPUAffinity.final"* ]]
}
