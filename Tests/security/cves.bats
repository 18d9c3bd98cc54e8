#!/usr/bin/env bats
# The container-runtime CVEs that runc and crun learned from, each attacked
# as its advisory and public proof of concept describe, from inside a real
# container. Each test is shown to fail against a build with its defence
# removed: scripts/security-without CVE-ID applies
# Tests/security/without/CVE-ID.patch to a copy of this tree, builds that
# hako and runs the CVE's tests against it, expecting them to fail (see
# Tests/security/README.md for the commands and their results).
#
# Each attack test prints one line starting "ESCAPED" when its attack
# succeeded, and scripts/security-without demands that line from the build
# without the defence: a test that failed in its setup proves nothing.
#
# The attack programs (attacks/*.c) are compiled static with gcc into the
# test's temporary directory; without gcc and a static libc the tests skip.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    setup_template true || return
    [ -z "${HAKO_UNMET:-}" ] || return 0
    export ATTACKS=$BATS_FILE_TMPDIR/attacks
    mkdir -p "$ATTACKS"
    for src in "$BATS_TEST_DIRNAME"/attacks/*.c; do
        name=$(basename "$src" .c)
        gcc -static -O2 -o "$ATTACKS/$name" "$src" 2>"$ATTACKS/$name.log" || rm -f "$ATTACKS/$name"
    done
}

setup() { setup_test cve; setup_bundle; }

teardown() {
    [ -z "${SWAP_PID:-}" ] || kill "$SWAP_PID" 2>/dev/null || true
    teardown_test
}

# Copies an attack program into the rootfs, or skips loudly.
attack() {
    [ -x "$ATTACKS/$1" ] || skip "cannot build the attack program $1 (gcc -static): $(cat "$ATTACKS/$1.log" 2>/dev/null)"
    cp "$ATTACKS/$1" "${2:-$B/rootfs}/$1"
}
# Waits up to 20 s for a file to appear.
wait_for() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; return 1; }
# A second bundle, the victim: on the same rootfs (as two containers
# sharing an image), or given "own", on a copy of it at $T/victim.
second_bundle() {
    B2=$T/$NAME-2
    local root=$B/rootfs
    if [ "${1:-}" = own ]; then root=$T/victim; cp -a "$TEMPLATE/rootfs" "$root"; fi
    mkdir -p "$B2"
    jq --arg r "$root" --arg cg "/hako-test/$NAME-2" '.root.path = $r | .linux.cgroupsPath = $cg' "$B/config.json" > "$B2/config.json"
}
cfg2() { local f=$1; shift; jq "$@" "$f" "$B2/config.json" > "$B2/c" && mv "$B2/c" "$B2/config.json"; }

# CVE-2019-5736: rewriting the runtime's binary through /proc/PID/exe.
# Attacked is a copy of the built binary, so that a failure damages
# nothing installed; it must stay byte-identical.
exe_copy() {
    mkdir -p "$T/bin"
    cp "$HAKO" "$T/bin/hako"
    SHA=$(sha256sum < "$T/bin/hako")
}
hkc() { "$T/bin/hako" --root "$T/state" "$@"; }
exe_unchanged() {
    echo "attacker: $(cat "$T/out/result")"
    [ "$(sha256sum < "$T/bin/hako")" = "$SHA" ] || { echo "ESCAPED: the host's hako binary was rewritten"; return 1; }
    grep -q '^refused' "$T/out/result"
}
# The container's init watches for a process running /proc/self/exe.
exe_attacker() {
    attack exe-rewrite
    mkfifo "$B/rootfs/fifo"
    mkdir -p "$T/out"
    cfg '.mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]' --arg o "$T/out"
    args /exe-rewrite /out 20 /fifo
    hkc run -d --bundle "$B" "$NAME"
    wait_for "$T/out/ready"
}

@test "CVE-2019-5736: exec of a #!/proc/self/exe script cannot rewrite hako's binary" {
    exe_copy
    exe_attacker
    # The script makes the kernel run hako's own binary inside the
    # container; --log=/fifo holds it until the attacker has its exe.
    printf '#!/proc/self/exe --log=/fifo\n' > "$B/rootfs/evil"
    chmod +x "$B/rootfs/evil"
    run hkc exec "$NAME" /evil
    wait_for "$T/out/result"
    exe_unchanged
}

@test "CVE-2019-5736: the same through the fallback seal, a memfd copy" {
    exe_copy
    exe_attacker
    printf '#!/proc/self/exe --log=/fifo\n' > "$B/rootfs/evil"
    chmod +x "$B/rootfs/evil"
    HAKO_SEAL=memfd run hkc exec "$NAME" /evil
    wait_for "$T/out/result"
    exe_unchanged
}

@test "CVE-2019-5736: a container whose process is /proc/self/exe cannot rewrite hako's binary" {
    exe_copy
    exe_attacker
    # A second container on the same image joins the attacker's pid
    # namespace; its process args reach /proc/self/exe, hako's binary.
    second_bundle
    cfg2 '.process.args = ["/proc/self/exe", "--log=/fifo"] | .linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
        --arg p "/proc/$(hkc state "$NAME" | jq .pid)/ns/pid"
    run hkc run --bundle "$B2" "$NAME-2"
    wait_for "$T/out/result"
    exe_unchanged
}

# CVE-2024-21626: a directory descriptor of the host, open in the process
# that enters the container, walks out of it through /proc/self/fd/N: as
# process.cwd, as argv[0] or its `#!` interpreter, and as exec --cwd. runc
# leaked its own; here hako's caller leaks one (fd 9, a host directory), and
# every descriptor number up to 12 is tried. escape lies outside the rootfs.
leak() { mkdir -p "$T/host"; }
ESCAPE_UP=../../../../../../../../../../../..

@test "CVE-2024-21626: a leaked descriptor as process.cwd does not escape" {
    attack escape "$T"
    leak
    for n in $(seq 3 12); do
        cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
        args "$ESCAPE_UP$T/escape"
        run hk run --bundle "$B" "$NAME-$n" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: cwd fd $n: $output"; return 1; }
    done
}

@test "CVE-2024-21626: a leaked descriptor as argv[0] and #! interpreter does not escape, in run and exec" {
    attack escape "$T"
    leak
    for n in $(seq 3 12); do
        printf '#!/proc/self/fd/%s/%s%s\n' "$n" "$ESCAPE_UP" "$T/escape" > "$B/rootfs/evil-$n"
        chmod +x "$B/rootfs/evil-$n"
    done
    for n in $(seq 3 12); do
        args "/proc/self/fd/$n/$ESCAPE_UP$T/escape"
        run hk run --bundle "$B" "$NAME-a$n" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: argv[0] fd $n: $output"; return 1; }
        args "/evil-$n"
        run hk run --bundle "$B" "$NAME-s$n" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: #! fd $n: $output"; return 1; }
    done
    args sleep 100
    hk run -d --bundle "$B" "$NAME"
    for n in $(seq 3 12); do
        run hk exec "$NAME" "/proc/self/fd/$n/$ESCAPE_UP$T/escape" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: exec argv[0] fd $n: $output"; return 1; }
        run hk exec "$NAME" "/evil-$n" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: exec #! fd $n: $output"; return 1; }
    done
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N does not escape" {
    attack escape "$T"
    leak
    args sleep 100
    hk run -d --bundle "$B" "$NAME"
    for n in $(seq 3 12); do
        run hk exec --cwd "/proc/self/fd/$n" "$NAME" "$ESCAPE_UP$T/escape" 9<"$T/host"
        [[ "$output" != *ESCAPED* ]] || { echo "ESCAPED: exec --cwd fd $n: $output"; return 1; }
    done
}

@test "CVE-2024-21626: no descriptor of hako or its caller reaches the container process" {
    leak
    args sh -c 'ls /proc/self/fd'
    run hk run --bundle "$B" "$NAME" 9<"$T/host"
    echo "run: $output"
    [ "$status" -eq 0 ]
    # 0-2 and the one ls opens to read the directory.
    [ "$(echo $output)" = "0 1 2 3" ] || { echo "ESCAPED: the container process holds descriptors $(echo $output)"; return 1; }
    args sleep 100
    hk run -d --bundle "$B" "$NAME-d"
    run hk exec "$NAME-d" sh -c 'ls /proc/self/fd' 9<"$T/host"
    echo "exec: $output"
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "0 1 2 3" ] || { echo "ESCAPED: the exec'd process holds descriptors $(echo $output)"; return 1; }
}

# The races below share a directory between an attacker container, which
# swaps paths in it with renameat2(RENAME_EXCHANGE) (attacks/swap.c), and
# a victim created meanwhile, several times over.
start_swapper() { # SECONDS PAIRS...: runs swap in a container that sees the shared directory at /shared
    attack swap
    cfg '.mounts += [{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' --arg s "$SHARED"
    args /swap /shared/.ready "$@"
    hk run -d --bundle "$B" "$NAME"
    wait_for "$SHARED/.ready"
    [ ! -s "$SHARED/.ready" ] || { echo "the swapper never swapped: $(cat "$SHARED/.ready")"; return 1; }
}
victim_runs() { # runs the victim bundle $B2 ten times; prints what each printed
    for i in $(seq 10); do hk run --bundle "$B2" "$NAME-v$i" 2>&1 || true; done
}

@test "CVE-2021-30465: a RENAME_EXCHANGE race on mount destinations never moves a mount" {
    # The victim mounts a shared volume and 40 tmpfs inside it; the
    # attacker swaps each destination with a symlink to the victim's /etc,
    # named by its host path (the published exploit's was /). The same path
    # inside the rootfs is a decoy directory: resolved in the root, the
    # symlink is harmless and the victim goes on.
    SHARED=$T/vol
    mkdir -p "$SHARED"
    second_bundle own
    mkdir -p "$T/victim$T/victim/etc"
    pairs=()
    for k in $(seq 40); do
        mkdir "$SHARED/m$k"
        ln -s "$T/victim/etc" "$SHARED/l$k"
        pairs+=("/shared/m$k" "/shared/l$k")
    done
    cfg2 '.mounts += [{"destination": "/vol", "type": "bind", "source": $s, "options": ["rbind", "rw"]}] + [range(1; 41) | {"destination": "/vol/m\(.)", "type": "tmpfs", "source": "tmpfs"}]' --arg s "$SHARED"
    cfg2 '.process.args = ["sh", "-c", "echo RAN; grep -q \" /etc \" /proc/self/mountinfo && echo LANDED-ON-ETC; true"]'
    start_swapper 120 "${pairs[@]}"
    out=$(victim_runs)
    echo "$out" | sort | uniq -c
    [[ "$out" == *RAN* ]] || { echo "no victim ever ran: the test proved nothing"; return 1; }
    if [[ "$out" == *LANDED* ]]; then echo "ESCAPED: a tmpfs meant for the volume landed on the victim's /etc"; return 1; fi
}

@test "CVE-2021-30465: mount destinations through symlinks stay inside the rootfs" {
    host=$T/host-target
    # The host's directories exist, so a mount that follows the links lands there.
    mkdir -p "$host/a" "$host/b" "$B/rootfs$host"
    ln -s "$host" "$B/rootfs/abs-link"
    ln -s "../../../../../../../../..$host" "$B/rootfs/rel-link"
    cfg '.mounts += [{"destination": "/abs-link/a", "type": "tmpfs", "source": "tmpfs"}, {"destination": "/rel-link/b", "type": "tmpfs", "source": "tmpfs"}]'
    # A createContainer hook stands in the container's mount namespace
    # before pivot_root, where the host's tree is still in view.
    cfg '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", ("if grep -E -q \" " + $h + "/(a|b) \" /proc/self/mountinfo; then echo landed > " + $t + "/landed; fi")]}]' --arg h "$host" --arg t "$T"
    args sh -c "ls $host"
    run hk run --bundle "$B" "$NAME"
    echo "$output"
    if [ -e "$T/landed" ]; then echo "ESCAPED: a tmpfs went through a symlink onto the host's $host"; return 1; fi
    [ "$status" -eq 0 ]
    [ "$(echo $output)" = "a b" ]
    ! grep -q "$host" /proc/self/mountinfo
}

# CVE-2025-31133 and CVE-2025-52565: /dev comes from an image that the
# attacker shares, not from a tmpfs of hako's; its /dev/null (masking) and
# /dev/console (the terminal) are swapped with symlinks to a procfs file.
shared_dev() {
    SHARED=$T/dev
    mkdir -p "$SHARED/pts"
    ln -s pts/ptmx "$SHARED/ptmx"
    mknod -m 666 "$SHARED/null" c 1 3
    second_bundle own
    cfg2 '.mounts |= map(if .destination == "/dev" then {"destination": "/dev", "type": "bind", "source": $s, "options": ["rbind", "rw"]} else . end)' --arg s "$SHARED"
}

@test "CVE-2025-31133: /dev/null swapped with a symlink never masks with another file" {
    shared_dev
    ln -s /proc/sys/kernel/hostname "$SHARED/null-link"
    echo secret > "$T/victim/etc/secret"
    cfg2 '.hostname = "HOSTFILE" | .linux.maskedPaths = ["/etc/secret"] | .process.args = ["sh", "-c", "echo RAN; cat /etc/secret"]'
    start_swapper 120 /shared/null /shared/null-link
    out=$(victim_runs)
    echo "$out" | sort | uniq -c
    [[ "$out" == *RAN* ]] || { echo "no victim ever ran: the test proved nothing"; return 1; }
    if [[ "$out" == *secret* || "$out" == *HOSTFILE* ]]; then echo "ESCAPED: /etc/secret was not masked with the null device"; return 1; fi
}

@test "CVE-2025-31133: a /dev/null symlink in the image is refused before anything is masked" {
    cfg '.linux.maskedPaths = ["/etc/secret"] | .hostname = "HOSTFILE"'
    echo secret > "$B/rootfs/etc/secret"
    args cat /etc/secret
    # The image's own /dev, where hako makes the devices: refused there.
    cp "$B/config.json" "$T/config.json"
    cfg '.mounts |= map(select(.destination != "/dev"))'
    mkdir -p "$B/rootfs/dev"
    rm -f "$B/rootfs/dev/null"
    ln -s /proc/sys/kernel/hostname "$B/rootfs/dev/null"
    run hk run --bundle "$B" "$NAME"
    echo "image /dev: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"/dev/null"* ]]
    [ -z "$(hk list -q)" ]
    # A /dev bound from a volume, where hako makes no device: masking
    # itself meets the symlink, and must refuse it.
    mkdir -p "$T/dev/pts"
    ln -s /proc/sys/kernel/hostname "$T/dev/null"
    cp "$T/config.json" "$B/config.json"
    cfg '.mounts |= map(if .destination == "/dev" then {"destination": "/dev", "type": "bind", "source": $s, "options": ["rbind", "rw"]} else . end)' --arg s "$T/dev"
    run hk run --bundle "$B" "$NAME"
    echo "bound /dev: $output"
    if [[ "$output" == *HOSTFILE* ]]; then echo "ESCAPED: /etc/secret was masked with the host name's procfs file"; return 1; fi
    [ "$status" -eq 1 ]
    [[ "$output" == *"/dev/null"* ]]
    [[ "$output" != *HOSTFILE* ]]
    [ -z "$(hk list -q)" ]
}

console_run() { # BUNDLE ID: runs it with a terminal; prints the terminal's output
    python3 "$BATS_TEST_DIRNAME/attacks/console-socket.py" "$T/console-$2.sock" "$T/console-$2.ready" > "$T/console-$2.out" &
    local receiver=$!
    wait_for "$T/console-$2.ready"
    hk run --console-socket "$T/console-$2.sock" --bundle "$1" "$2" || true
    wait_pids 60 "$receiver" || true
    cat "$T/console-$2.out"
}

@test "CVE-2025-52565: /dev/console swapped with a symlink never gets the terminal mounted elsewhere" {
    command -v python3 >/dev/null || skip "python3 is needed for the console socket"
    shared_dev
    : > "$SHARED/console"
    ln -s /proc/sys/kernel/hostname "$SHARED/console-link"
    cfg2 '.process.terminal = true | .process.args = ["sh", "-c", "echo RAN; grep -q \" /proc/sys/kernel/hostname \" /proc/self/mountinfo && echo LANDED-ON-PROCFS; true"]'
    start_swapper 120 /shared/console /shared/console-link
    out=$(for i in $(seq 10); do console_run "$B2" "$NAME-v$i"; done)
    echo "$out" | sort | uniq -c
    [[ "$out" == *RAN* ]] || { echo "no victim ever ran: the test proved nothing"; return 1; }
    if [[ "$out" == *LANDED* ]]; then echo "ESCAPED: the terminal was mounted on a procfs file"; return 1; fi
}

@test "CVE-2025-52565: a /dev/console symlink in the image is refused" {
    command -v python3 >/dev/null || skip "python3 is needed for the console socket"
    cfg '.mounts |= map(select(.destination != "/dev")) | .process.terminal = true'
    mkdir -p "$B/rootfs/dev"
    rm -f "$B/rootfs/dev/console"
    ln -s /proc/sys/kernel/hostname "$B/rootfs/dev/console"
    args sh -c 'grep -q " /proc/sys/kernel/hostname " /proc/self/mountinfo && echo LANDED-ON-PROCFS; echo RAN'
    out=$(console_run "$B" "$NAME")
    echo "$out"
    if [[ "$out" == *LANDED* ]]; then echo "ESCAPED: the terminal was mounted on a procfs file"; return 1; fi
    [[ "$out" != *RAN* ]]
    [ -z "$(hk list -q)" ]
}

@test "CVE-2025-52881: a procfs write is refused when something is mounted over its file" {
    # A sysctl whose file the config covers: first with a plain file, then
    # with another procfs file (kernel.domainname's), which would otherwise
    # take the write meant for kernel.hostname. (Without the hostname
    # field, which kernel.hostname beside it would conflict with.)
    echo decoy > "$T/decoy"
    cfg 'del(.hostname) | .linux.sysctl = {"kernel.hostname": "written"} | .mounts += [{"destination": "/proc/sys/kernel/hostname", "type": "bind", "source": $d, "options": ["bind"]}]' --arg d "$T/decoy"
    args cat /proc/sys/kernel/hostname
    run hk run --bundle "$B" "$NAME"
    echo "$output"
    [ "$(cat "$T/decoy")" = decoy ] || { echo "ESCAPED: the sysctl was written to the file bound over it"; return 1; }
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.sysctl.kernel.hostname: /proc/sys/kernel/hostname is not a procfs file"* ]] || { echo "$output"; false; }
    cfg '.mounts[-1].source = "/proc/sys/kernel/domainname"'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 1 ] && [[ "$output" == *"linux.sysctl.kernel.hostname: /proc/sys/kernel/hostname is covered by another mount"* ]] || { echo "$output"; false; }
    [ -z "$(hk list -q)" ]
    # Uncovered, the same sysctl is written.
    cfg 'del(.mounts[-1])'
    run hk run --bundle "$B" "$NAME"
    [ "$status" -eq 0 ]
    [ "$output" = written ]
}

# CVE-2022-29162: a non-root process with a non-empty inheritable set gains
# the capabilities of any program whose file inheritable set names them.
@test "CVE-2022-29162: a program with file inheritable capabilities gains none, in run and exec --cap" {
    command -v setcap >/dev/null || skip "setcap (libcap2-bin) is needed to give a file capabilities"
    # busybox picks its applet by argv[0]'s name: the copy is called grep.
    mkdir -p "$B/rootfs/capbin"
    cp "$B/rootfs/bin/busybox" "$B/rootfs/capbin/grep"
    setcap cap_net_raw,cap_kill+ei "$B/rootfs/capbin/grep" || skip "this filesystem takes no file capabilities"
    cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = false | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
    args /capbin/grep -E '^Cap(Inh|Eff)' /proc/self/status
    run hk run --bundle "$B" "$NAME"
    echo "run: $output"
    [[ "$output" != *"CapEff:	0000000000002020"* ]] || { echo "ESCAPED: uid 1000 gained CAP_KILL and CAP_NET_RAW from the file"; return 1; }
    [[ "$output" == *"CapInh:	0000000000000000"* ]]
    [[ "$output" == *"CapEff:	0000000000000000"* ]]
    args sleep 100
    hk run -d --bundle "$B" "$NAME-d"
    run hk exec --cap CAP_NET_RAW "$NAME-d" /capbin/grep -E '^Cap(Inh|Eff)' /proc/self/status
    echo "exec --cap: $output"
    [[ "$output" == *"CapInh:	0000000000000000"* ]]
    [[ "$output" == *"CapEff:	0000000000000000"* ]]
    # Asked for, the inheritable set is given.
    cfg '.process.capabilities.inheritable = ["CAP_KILL"]'
    args grep CapInh /proc/self/status
    run hk run --bundle "$B" "$NAME"
    [[ "$output" == *"CapInh:	0000000000000020"* ]]
}

# CVE-2023-27561 (CVE-2019-19921 again): /proc a symlink, so that procfs
# lands elsewhere and the masked and read-only paths meant for it reach the
# attacker's files. (Raced by a container that shares the rootfs, the
# mount point can still be renamed after the mount; not yet covered.)
@test "CVE-2023-27561: procfs is never mounted through a /proc symlink in the image" {
    rm -rf "$B/rootfs/proc"
    mkdir -p "$B/rootfs/fakeproc/sys/kernel"
    ln -s /fakeproc "$B/rootfs/proc"
    args sh -c 'echo RAN; readlink /proc'
    run hk run --bundle "$B" "$NAME"
    echo "$output"
    if [[ "$output" == *RAN* ]]; then echo "ESCAPED: procfs went through the /proc symlink and the container ran"; return 1; fi
    [ "$status" -eq 1 ]
    [[ "$output" == *"must be mounted on an ordinary directory"* ]]
    [ -z "$(hk list -q)" ]
}

# CVE-2019-5736, the user-namespace case: between joining the container's
# user namespace and taking its ids, an exec'd process is still the host's
# uid 0 in the host's filesystem, and a dumpable one is open to the
# container's root if it holds CAP_SYS_PTRACE in its own user namespace
# (found by attacking hako: /proc/PID/cwd led to the host's /, and ptrace
# could run syscalls as host root). runc's nsexec keeps it non-dumpable.
@test "CVE-2019-5736-userns: an exec into a user-namespaced container is closed to its CAP_SYS_PTRACE root" {
    attack cwdracer
    chmod 755 "$T"  # the container's root, uid 100000 on the host, must reach its rootfs
    mkdir -p "$B/rootfs/out"
    chmod 777 "$B/rootfs/out"
    cfg '.linux.namespaces += [{"type":"user"}]
         | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
         | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
         | .process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])
         | .root.readonly = false'
    args /cwdracer /out/result
    chown -R 100000:100000 "$B/rootfs/out"
    hk run -d --bundle "$B" "$NAME" </dev/null >/dev/null
    wait_for "$B/rootfs/out/result"
    for i in $(seq 150); do
        hk exec "$NAME" /bin/true || true
        grep -q escaped "$B/rootfs/out/result" && break
    done
    echo "after $i execs: $(cat "$B/rootfs/out/result")"
    if grep -q escaped "$B/rootfs/out/result"; then echo "ESCAPED: $(cat "$B/rootfs/out/result")"; return 1; fi
    grep -q ready "$B/rootfs/out/result"
}

# ptrace_racer: container $NAME, without a user namespace and holding
# CAP_SYS_PTRACE, runs attacks/cwdracer, which opens /proc/PID/root and
# /proc/PID/cwd of every new pid it can see and writes "ready", then
# "escaped ..." if one showed the host's, to $B/rootfs/out/result.
ptrace_racer() {
    attack cwdracer
    mkdir -p "$B/rootfs/out"
    cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"]) | .root.readonly = false'
    args /cwdracer /out/result
    hk run -d --bundle "$B" "$NAME" </dev/null >/dev/null
    wait_for "$B/rootfs/out/result"
}

# exec-ptrace (issue 36): a container without a user namespace that holds
# CAP_SYS_PTRACE (`--cap-add SYS_PTRACE`, a Kubernetes debug container)
# passes the ptrace check on any process of the host's user namespace,
# non-dumpable or not. An exec'd process born in the container's pid
# namespace before it joined the mount namespace showed the container the
# host's / through /proc/PID/root and /proc/PID/cwd. runc's nsexec and hako
# (Namespaces/CloneInside.swift) enter everything before that clone.
@test "exec-ptrace: an exec into a container holding CAP_SYS_PTRACE, without a user namespace, never shows it the host's root" {
    ptrace_racer
    for i in $(seq "${EXEC_PTRACE_EXECS:-200}"); do
        hk exec "$NAME" /bin/true || true
        if grep -q escaped "$B/rootfs/out/result"; then echo "ESCAPED: $(cat "$B/rootfs/out/result")"; break; fi
    done
    echo "after $i execs: $(cat "$B/rootfs/out/result")"
    run grep -c escaped "$B/rootfs/out/result"
    [ "$output" = 0 ]
    grep -q ready "$B/rootfs/out/result"
}

# capwindow_racer: container $NAME, without a user namespace and holding
# CAP_SYS_PTRACE, runs attacks/capwindow's tracer, which makes every new
# process in its pid namespace execve `capwindow pwn`. That payload opens
# the host file $T/host-secret by the handle in /handle (open_by_handle_at
# needs CAP_DAC_READ_SEARCH, which the container lacks), no path from the
# container reaching it, and appends "escaped: ..." to $B/rootfs/out/result
# when it could.
capwindow_racer() {
    attack capwindow
    echo "host secret of $NAME" > "$T/host-secret"
    "$ATTACKS/capwindow" handle "$T/host-secret" > "$B/rootfs/handle" || skip "$(stat -f -c %T "$T") gives no file handles: the payload could not name a host file"
    mkdir -p "$B/rootfs/out"
    cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"]) | .root.readonly = false'
    args /capwindow trace /out/result
    hk run -d --bundle "$B" "$NAME" </dev/null >/dev/null
    wait_for "$B/rootfs/out/result"
}
# capwindow_escaped: whether a payload read the host's file; says so once.
capwindow_escaped() {
    grep -q escaped "$B/rootfs/out/result" || return 1
    echo "ESCAPED: $(grep -m1 escaped "$B/rootfs/out/result")"
}
# capwindow_held WHAT: what the tracer and its payloads did after WHAT
# ("N execs"), then: no payload escaped, and the tracer did reach processes.
capwindow_held() {
    echo "after $1, $(grep -c injected "$B/rootfs/out/result") processes injected; the payload said:"
    grep pwn "$B/rootfs/out/result" | sed 's/(CapEff.*//' | sort | uniq -c || true
    run grep -c escaped "$B/rootfs/out/result"
    [ "$output" = 0 ]
    grep -q injected "$B/rootfs/out/result"
}

# exec-caps (issue 36, the third cold attack): the same container traces
# exec's process in the moment between its birth in the pid namespace and
# its execve. Born holding hako's capabilities, to drop them only after,
# it ran the payload with CAP_DAC_READ_SEARCH and read the host's files
# (hako 13 of 30 execs, runc 1.1.5 17 of 30, crun 1.8.1 29 of 30). hako's
# exec helper becomes the configured user before that clone
# (ExecProcess.swift, Enter.swift `prepareBeforeBirth`): traced, the process holds
# nothing it would not exec with.
@test "exec-caps: an exec into a container holding CAP_SYS_PTRACE, without a user namespace, never lends it hako's capabilities" {
    capwindow_racer
    for i in $(seq "${EXEC_PTRACE_EXECS:-200}"); do
        hk exec "$NAME" /bin/true >/dev/null 2>&1 || true
        if capwindow_escaped; then break; fi
    done
    capwindow_held "$i execs"
}

# victims_for SECONDS MIN: runs the victim bundle $B2 again and again for
# that long, each deleted after, and on until MIN of them ran (for at most
# ten times SECONDS): where a create takes seconds (the emulated v2 guest)
# and most are refused, SECONDS alone saw too few run to prove anything.
# $out holds what they all printed, $ran how many ran (each prints RAN first).
victims_for() {
    local start=$SECONDS
    out=
    ran=0
    while [ $((SECONDS - start)) -lt "$1" ] || { [ "$ran" -lt "$2" ] && [ $((SECONDS - start)) -lt $(($1 * 10)) ]; }; do
        out="$out$(hk run --bundle "$B2" "$NAME-v" 2>&1 || true)
"
        hk delete --force "$NAME-v" >/dev/null 2>&1 || true
        ran=$(echo "$out" | grep -c '^RAN' || true)
    done
    echo "$out" | sort | uniq -c
    echo "victims that ran: $ran in $((SECONDS - start)) s"
}

# proc-swap (issue 36): a container that shares the victim's rootfs swaps
# its /proc with an empty directory (RENAME_EXCHANGE) in a loop. A victim
# that masks and binds read-only by name finds /proc empty after the swap
# and skips them all, and its procfs, now at /empty, keeps the host's
# core_pattern writable (6 of 40 on hako before, 5 of 40 on runc 1.1.5 and
# crun 1.8.1). hako resolves them beneath a handle on the procfs it mounted
# (Rootfs/ProtectedPaths.swift). The victims only open core_pattern for
# appending (`: >>`), which a read-only mount refuses; nothing is written.
@test "proc-swap: /proc swapped by a container sharing the rootfs never leaves a procfs with writable /proc/sys" {
    SHARED=$T/victim
    second_bundle own
    mkdir -p "$SHARED/empty"
    cfg2 '.process.args = ["sh", "-c", "echo RAN; for f in /proc/sys/kernel/core_pattern /empty/sys/kernel/core_pattern; do if (: >> $f) 2>/dev/null; then echo ESCAPED: $f opens for writing; fi; done; true"]'
    start_swapper 150 /shared/proc /shared/empty
    victims_for "${PROC_SWAP_SECONDS:-60}" 10
    [ "$ran" -ge 10 ]
    escaped=$(grep -c ESCAPED <<< "$out" || true)
    if [ "$escaped" != 0 ]; then echo "ESCAPED: $escaped of $ran victims opened core_pattern for writing"; return 1; fi
}

# sys-swap: the same race on /sys. /sys/firmware (masked by every default
# config: ACPI tables, EFI variables, the memory map) was looked up by name
# once the root was entered, and skipped when missing; with /sys swapped
# for an empty directory the sysfs, under the other name, showed it.
# hako resolves /sys paths beneath the sysfs on /sys and refuses to go on
# when /sys is not the sysfs it mounted (Rootfs/ProtectedPaths.swift).
@test "sys-swap: /sys swapped by a container sharing the rootfs never leaves /sys/firmware unmasked" {
    [ -n "$(ls /sys/firmware 2>/dev/null)" ] || skip "this host's /sys/firmware is empty: a missing mask would show nothing"
    SHARED=$T/victim
    second_bundle own
    mkdir -p "$SHARED/empty"
    cfg2 '.process.args = ["sh", "-c", "echo RAN; for d in /sys/firmware /empty/firmware; do if [ -n \"$(ls $d 2>/dev/null)\" ]; then echo ESCAPED: $d is not masked; fi; done; true"]'
    start_swapper 150 /shared/sys /shared/empty
    victims_for "${SYS_SWAP_SECONDS:-20}" 5
    [ "$ran" -ge 5 ]
    escaped=$(grep -c ESCAPED <<< "$out" || true)
    if [ "$escaped" != 0 ]; then echo "ESCAPED: $escaped of $ran victims saw /sys/firmware unmasked"; return 1; fi
}

@test "dev-chmod: a device node swapped for a symlink between its mknod and its chmod: the host file's mode is untouched (attack helper's finding A)" {
    [ -x "$ATTACKS/devracer" ] || skip "cannot build attacks/devracer.c: $(cat "$ATTACKS/devracer.log")"
    devices=$(jq -n '[range(64) | {path: "/dev/d\(.)", type: "c", major: 1, minor: 3, fileMode: 438}]')
    # The nodes go into the rootfs itself, not a tmpfs on /dev the racer cannot see.
    cfg '.linux.devices = $d | .process.args = ["true"] | .mounts |= map(select(.destination | startswith("/dev") | not))' --argjson d "$devices"
    mkdir -p "$B/rootfs/dev"
    victim=$T/victim; echo secret > "$victim"; chmod 0600 "$victim"
    "$ATTACKS/devracer" "$B/rootfs/dev" "$victim" & SWAP_PID=$!
    created=0
    for i in $(seq "${DEV_CHMOD_CREATES:-150}"); do
        rm -f "$B"/rootfs/dev/d* "$B"/rootfs/dev/.l*
        hk create --bundle "$B" "$NAME-$i" </dev/null >/dev/null 2>&1 && created=$((created + 1))
        hk delete --force "$NAME-$i" >/dev/null 2>&1 || true
        [ "$(stat -c %a "$victim")" = 600 ] || break
    done
    kill "$SWAP_PID"; wait_pids 30 "$SWAP_PID" || true; SWAP_PID=
    echo "rounds: $i, created: $created, victim: $(stat -c %a "$victim")"
    [ "$(stat -c %a "$victim")" = 600 ] || { echo "ESCAPED: the host file's mode became $(stat -c %a "$victim")"; return 1; }
    # the race was run: most creates either won it or refused the swapped node
    [ "$i" = "${DEV_CHMOD_CREATES:-150}" ]
}

@test "userns-root-fds: a user namespace mapping root to the host's root: a process exec'd into the created container cannot take the waiting init's --log file (attack helper's finding B)" {
    [ -x "$ATTACKS/getfd" ] || skip "cannot build attacks/getfd.c: $(cat "$ATTACKS/getfd.log")"
    cp "$ATTACKS/getfd" "$B/rootfs/getfd"
    cfg '.process.args = ["sleep", "30"] | .linux.namespaces += [{"type":"user"}]
         | .linux.uidMappings = [{"containerID":0,"hostID":0,"size":65536}]
         | .linux.gidMappings = [{"containerID":0,"hostID":0,"size":65536}]
         | .mounts |= map(select(.type != "cgroup"))
         | .process.capabilities.bounding += ["CAP_SYS_PTRACE"] | .process.capabilities.effective += ["CAP_SYS_PTRACE"]
         | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
    log=$T/host.log; : > "$log"; chmod 600 "$log"
    "$HAKO" --root "$T/state" --log "$log" create --bundle "$B" "$NAME" </dev/null
    run hk exec "$NAME" /getfd 1
    got=$output
    echo "$got"
    hk delete --force "$NAME"
    run grep -c INJECTED "$log"
    [ "$output" = 0 ] || { echo "ESCAPED: the container wrote to the host's --log file"; return 1; }
    [[ "$got" == *"Operation not permitted"* ]]
}

# pod-ptrace (issue 36): a container joining another's pid namespace (a pod
# sharing one process namespace) is seen by that container's processes from
# the moment its init is cloned. One without a user namespace holding
# CAP_SYS_PTRACE watches for new pids and opens /proc/PID/root and
# /proc/PID/cwd: an init cloned straight into the namespace stands there
# with the host's root and cwd until its pivot_root (hako before, runc 1.1.5
# and crun 1.8.1 at the first create). hako's init is born in two stages
# (Process/PodInit.swift): the one the pod can see already stands in the
# container's root. Both containers share one rootfs, so the racer's own
# root is the victim's.
@test "pod-ptrace: creates joining the pid namespace of a container holding CAP_SYS_PTRACE, without a user namespace, never show it the host's root" {
    ptrace_racer
    second_bundle
    pid=$(hk state "$NAME" | jq -r .pid)
    cfg2 '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end) | .process.args = ["true"]' --arg p "/proc/$pid/ns/pid"
    created=0
    for i in $(seq "${POD_CREATES:-200}"); do
        hk create --bundle "$B2" "$NAME-b" </dev/null >/dev/null && created=$((created + 1))
        hk delete --force "$NAME-b" >/dev/null 2>&1 || true
        if grep -q escaped "$B/rootfs/out/result"; then echo "ESCAPED: $(cat "$B/rootfs/out/result")"; break; fi
    done
    echo "after $i creates ($created created): $(cat "$B/rootfs/out/result")"
    run grep -c escaped "$B/rootfs/out/result"
    [ "$output" = 0 ]
    grep -q ready "$B/rootfs/out/result"
    [ "$created" = "$i" ]
}

# pod-caps (issue 36, the third cold attack): the capwindow tracer against
# an init joining its pid namespace. The second stage of a pod's init
# (PodInit.swift) stood there holding hako's capabilities until its user
# switch, to mount the pod's procfs: traced, it ran the payload and read
# the host's file (hako 15 of 20 creates, runc 1.1.5 6 of 10, crun 1.8.1 9
# of 10). Now the first stage, unseen in hako's pid namespace, mounts that
# procfs from outside it (procfs's pidns option) and becomes the user; the
# init is born holding only what it will exec with. A kernel whose procfs
# lacks the option (6.1) leaves the window open: the test skips there.
@test "pod-caps: creates joining the pid namespace of a container holding CAP_SYS_PTRACE never lend it hako's capabilities" {
    capwindow_racer
    second_bundle
    pid=$(hk state "$NAME" | jq -r .pid)
    "$ATTACKS/capwindow" pidns "/proc/$pid/ns/pid" || skip "this kernel's procfs has no pidns option: a pod's init stands in the pod holding hako's capabilities until its user switch (as on runc and crun)"
    cfg2 '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end) | .process.args = ["true"]' --arg p "/proc/$pid/ns/pid"
    created=0
    for i in $(seq "${POD_CREATES:-200}"); do
        hk create --bundle "$B2" "$NAME-b" </dev/null >/dev/null 2>&1 && created=$((created + 1))
        hk delete --force "$NAME-b" >/dev/null 2>&1 || true
        if capwindow_escaped; then break; fi
    done
    capwindow_held "$i creates ($created created)"
}

# pod-pid (the fourth cold attack, 2026-12-07): a pod member's init holds
# create's sync channel until it execs. attacks/pidlie, in a container
# holding CAP_SYS_PTRACE, stops each new process of its pid namespace at
# birth, takes that channel with pidfd_getfd, kills the init and says
# "pid:HOSTPID" then "ready". hako took it: it recorded the host process
# as the init, set the config's oomScoreAdj on it, and exec and kill went
# to it. hako now takes one pid, only its own child in the joined pid
# namespace (Create.swift, isSecondStage).
@test "pod-pid: a pod that takes the sync channel of a pod member's init cannot make hako adopt a host process" {
    attack pidlie
    cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"]) | .root.readonly = false'
    args sleep 1000
    hk run -d --bundle "$B" "$NAME" </dev/null >/dev/null
    second_bundle
    pid=$(hk state "$NAME" | jq -r .pid)
    cfg2 '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end) | .process.args = ["true"] | .process.oomScoreAdj = 777' --arg p "/proc/$pid/ns/pid"
    sleep 1000 &
    local victim=$! tried=0 i
    for i in $(seq "${POD_PID_TRIES:-10}"); do
        pod_pids_but "$pid" | xargs -r kill -KILL 2>/dev/null || true
        hk delete --force "$NAME-b" >/dev/null 2>&1 || true
        hk exec -d --env THREADS=2 "$NAME" /pidlie "$victim" >"$T/pidlie.log" 2>&1 </dev/null || true
        sleep 0.5
        hk create --bundle "$B2" "$NAME-b" </dev/null >/dev/null 2>&1 || true
        sleep 0.3
        if grep -q 'send pid' "$T/pidlie.log"; then tried=$((tried + 1)); fi
        if [ "$(hk state "$NAME-b" 2>/dev/null | jq -r .pid)" = "$victim" ] || [ "$(cat "/proc/$victim/oom_score_adj")" = 777 ]; then
            echo "ESCAPED: hako adopted the host process $victim as the pod member's init (try $i)"
            break
        fi
    done
    echo "after $i creates, pidlie spoke for the init $tried times; the host process's oom_score_adj: $(cat "/proc/$victim/oom_score_adj")"
    local adj
    adj=$(cat "/proc/$victim/oom_score_adj")
    kill "$victim"
    [ "$adj" = 0 ]
    [ "$tried" -gt 0 ]
}

# pod_pids_but PID: the host pids of PID's pid namespace, but PID.
pod_pids_but() {
    local ns p
    ns=$(readlink "/proc/$1/ns/pid")
    for p in /proc/[0-9]*; do
        if [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && [ "${p#/proc/}" != "$1" ]; then echo "${p#/proc/}"; fi
    done
    return 0
}

# pod-userns (the cold attack of 2026-12-07): the pod-ptrace attacker, and
# a second container that makes a new user namespace while joining its pid
# namespace. Such an init cannot be born in two stages (its first stage
# would have no rights over a pid namespace the host's user namespace
# owns): in one stage it stood in the pod with the host's root until
# pivot_root, and the racer, whose CAP_SYS_PTRACE is the host user
# namespace's, read a host file through it (3 of 3; runc 1.1.5 and crun
# 1.8.1 3 of 3). hako refuses the combination (PodInit.swift,
# validatePodNamespaces); a pod's containers join the pod's user namespace.
@test "pod-userns: creates with a new user namespace joining the pid namespace of a container holding CAP_SYS_PTRACE never show it the host's root" {
    ptrace_racer
    second_bundle
    pid=$(hk state "$NAME" | jq -r .pid)
    cfg2 '.linux.namespaces |= (map(if .type == "pid" then .path = $p else . end) + [{"type": "user"}])
          | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
          | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
          | .mounts |= map(select(.type != "proc" and .type != "cgroup" and .type != "sysfs"))
          | .process.args = ["true"]' --arg p "/proc/$pid/ns/pid"
    for i in $(seq 20); do
        hk create --bundle "$B2" "$NAME-b" </dev/null >/dev/null 2>"$T/err" || true
        hk delete --force "$NAME-b" >/dev/null 2>&1 || true
        if grep -q escaped "$B/rootfs/out/result"; then echo "ESCAPED: $(cat "$B/rootfs/out/result")"; break; fi
    done
    echo "after $i creates: $(cat "$B/rootfs/out/result"); create said: $(cat "$T/err")"
    run grep -c escaped "$B/rootfs/out/result"
    [ "$output" = 0 ]
    grep -q "a new user namespace cannot join a pid namespace" "$T/err"
}

# pod-chroot (the cold attack of 2026-12-07): a container without a mount
# namespace joining another's pid namespace is only chrooted in the host's
# mount namespace; from the other container, /proc/PID/root/.. climbs past
# that root to the host's /, with no race and no capability beyond the
# default ones, for as long as it lives (runc 1.1.5, with its masks
# emptied, and crun 1.8.1 too). hako refuses the combination.
@test "pod-chroot: a container without a mount namespace joining a pid namespace never shows that pid namespace the host's root" {
    echo "host secret" > "$T/host-secret"
    mkdir -p "$B/rootfs/out"
    cfg '.root.readonly = false'
    args sh -c "while :; do cat /proc/[0-9]*/root/../../../../../../../..$T/host-secret >> /out/read 2>/dev/null; sleep 0.1; done"
    second_bundle own
    cfg2 '.process.args = ["sleep", "100"]'
    hk run -d --bundle "$B" "$NAME" </dev/null >/dev/null
    pid=$(hk state "$NAME" | jq -r .pid)
    cfg2 '.linux.namespaces = [{"type": "pid", "path": $p}, {"type": "ipc"}, {"type": "uts"}]
          | .linux.maskedPaths = [] | .linux.readonlyPaths = []' --arg p "/proc/$pid/ns/pid"
    run hk run -d --bundle "$B2" "$NAME-b" </dev/null
    local second=$output
    echo "second container: $status $second"
    sleep 2
    echo "the pod read: $(cat "$B/rootfs/out/read" 2>/dev/null)"
    if grep -q "host secret" "$B/rootfs/out/read" 2>/dev/null; then echo "ESCAPED: the pod read $T/host-secret through /proc/PID/root/.."; return 1; fi
    [[ "$second" == *"needs a mount namespace of the container's own"* ]]
}
