#!/usr/bin/env bats
# Kubernetes' way in: containerd 1.6's CRI plugin with hako as a runtime
# handler (a RuntimeClass's handler: hako), driven over the CRI's gRPC the
# way kubelet drives it, by a small Python client (cri/cri.py, speaking
# cri/cri.proto, the part of CRI API v1 it uses), run by $PYTHON: by default
# /usr/bin/python3 when it has Debian's python3-grpcio and python3-grpc-tools.
# Every scenario runs with runtime_handler hako and again with runc, and the
# two transcripts must be equal. containerd runs privately (cri/start: its
# own socket, root and state, the cgroupfs driver, host network, no CNI),
# with a busybox image and a static pause image (cri/pause.c) imported from
# OCI tarballs: no registry.
# Each pod's cgroup parent is under /hako-test/cri-<pid>.
# Exec and Attach streaming are not tested: ExecSync only.

load "$BATS_TEST_DIRNAME/../helpers"

setup_file() {
    requires root containerd runc umoci gcc jq || return 0
    require_hako
    # Debian's python3, where python3-grpcio and python3-grpc-tools put the
    # modules, rather than whatever python3 is first on PATH (a pyenv or
    # venv one lacks them); $PYTHON chooses another.
    if [ -z "${PYTHON:-}" ]; then
        PYTHON=python3
        if /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null; then PYTHON=/usr/bin/python3; fi
    fi
    export PYTHON
    "$PYTHON" -c 'import grpc, grpc_tools' 2>/dev/null || {
        export HAKO_UNMET="$PYTHON lacks the grpc and grpc_tools modules: apt-get install python3-grpcio python3-grpc-tools (or set PYTHON)"; return 0; }
    export T=$(mktemp -d /tmp/hako-cri.XXXXXX)
    mkdir "$T/gen"
    "$PYTHON" -m grpc_tools.protoc -I "$BATS_TEST_DIRNAME/cri" --python_out="$T/gen" --grpc_python_out="$T/gen" cri.proto
    export CRI_GEN=$T/gen CRI_DIR=$T/cri CRI_CGROUP=/hako-test/cri-$$
    "$BATS_TEST_DIRNAME/cri/start" "$CRI_DIR" "$HAKO"
}

setup() { skip_if_unmet; }

teardown_file() {
    [ -n "${T:-}" ] || return 0
    "$BATS_TEST_DIRNAME/cri/stop" "$CRI_DIR"
    # The pods' cgroup parents are kubelet's to remove, so ours to.
    for d in /sys/fs/cgroup/*"$CRI_CGROUP" /sys/fs/cgroup"$CRI_CGROUP"; do
        if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; fi
    done
    rm -rf "$T"
}

# both SCENARIO: cri.py's scenario with runtime_handler hako, then runc;
# prints both transcripts and fails unless they are equal. $hako holds
# hako's for the test's own assertions; what goes to stderr (latency) is
# shown in the TAP output.
both() {
    hako=$(timeout 120 "$PYTHON" "$BATS_TEST_DIRNAME/cri/cri.py" hako "$1" 2>"$T/hako.err") || hako="$hako [failed: $?]"
    runc=$(timeout 120 "$PYTHON" "$BATS_TEST_DIRNAME/cri/cri.py" runc "$1" 2>"$T/runc.err") || runc="$runc [failed: $?]"
    echo "hako:"; echo "$hako"; cat "$T/hako.err"
    echo "runc:"; echo "$runc"; cat "$T/runc.err"
    [ "$hako" = "$runc" ]
}

@test "a pod's two containers share the sandbox's network, IPC, UTS and pid namespaces" {
    both pod
    # Host network: the pod's network and UTS namespaces are the host's.
    [[ "$hako" == *"net: a and b same, a and sandbox same, a and host same"* ]]
    [[ "$hako" == *"ipc: a and b same, a and sandbox same, a and host different"* ]]
    [[ "$hako" == *"uts: a and b same, a and sandbox same, a and host same"* ]]
    [[ "$hako" == *"pid: a and b same, a and sandbox same, a and host different"* ]]
    [[ "$hako" == *"mnt: a and b different, a and sandbox different, a and host different"* ]]
    [[ "$hako" == *"pid 1 in a: /pause"*"b's sleep seen from a: 2"*"/dev/shm shared: from-a"* ]]
    [[ "$hako" == *"left behind: nothing" ]]
}

@test "ExecSync: stdout, stderr, exit code; a missing command; a timeout ends the command" {
    both exec
    [[ "$hako" == *"stdout 'out\n' stderr 'err\n' exit 3"* ]]
    [[ "$hako" == *"in the container: 'sleep 1000 0\n'"* ]]
    [[ "$hako" == *"missing command: UNKNOWN, True"* ]]
    [[ "$hako" == *"timeout: DEADLINE_EXCEEDED, in time True"*"sleep 30 left: 0"* ]]
    [[ "$hako" == *"left behind: nothing" ]]
}

@test "ContainerStatus, ListContainers, ContainerStats with cgroup figures, the container's log" {
    both status
    [[ "$hako" == *"created: CONTAINER_CREATED"* ]]
    [[ "$hako" == *"started: CONTAINER_RUNNING exit 0 image localhost/hako-busybox:latest started_at set True"* ]]
    [[ "$hako" == *"listed: c CONTAINER_RUNNING"*"listed running with label: 1"* ]]
    [[ "$hako" == *"stats: name c, cpu True, memory working set True, usage True"* ]]
    [[ "$hako" == *"log: started"* ]]
    [[ "$hako" == *"left behind: nothing" ]]
}

@test "resources at CreateContainer, then UpdateContainerResources" {
    both update
    [[ "$hako" == *"still running: CONTAINER_RUNNING"*"left behind: nothing" ]]
    # runc gave the same above; where it cannot run (a cgroup v2 guest), the
    # figures follow the conversion runc and crun use on v2: cpu.weight =
    # 1 + (shares - 2) * 9999 / 262142, cpu.max = "quota period".
    local created="67108864 512 50000" updated="134217728 256 25000"
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        created="67108864 20 50000 100000" updated="134217728 10 25000 100000"
    fi
    [[ "$hako" == *"created: $created"*"updated: $updated"* ]]
}

@test "StopContainer: SIGTERM, then SIGKILL after the grace period; stopping again" {
    both stop
    [[ "$hako" == *"polite: CONTAINER_EXITED exit 0 reason Completed, stopped at once"* ]]
    [[ "$hako" == *"stubborn: CONTAINER_EXITED exit 137 reason Error, stopped after the grace period"* ]]
    [[ "$hako" == *"stopping again: ok"*"left behind: nothing" ]]
}

@test "StopPodSandbox and RemovePodSandbox leave no containers, state, mounts, cgroups or processes" {
    both teardown
    [[ "$hako" == *"before: pod SANDBOX_READY, CONTAINER_RUNNING CONTAINER_RUNNING"* ]]
    [[ "$hako" == *"while running: cgroup, containers, mount, pod, process, state"* ]]
    [[ "$hako" == *"stopped: pod SANDBOX_NOTREADY, CONTAINER_EXITED 137 CONTAINER_EXITED 137"* ]]
    [[ "$hako" == *"stopped again: ok"*"left behind: nothing" ]]
}

@test "a container exiting 3 reaches EXITED, is stopped, removed and created again (kubelet's restart)" {
    both restart
    for attempt in 0 1 2; do
        [[ "$hako" == *"attempt $attempt: CONTAINER_EXITED exit 3 reason Error log 'attempt'"* ]]
    done
    [ "$(echo "$hako" | grep -c 'removed: NOT_FOUND')" -eq 3 ]
    [[ "$hako" == *"pod: SANDBOX_READY"*"left behind: nothing" ]]
}

@test "50 pods made and removed one after the other leave nothing behind" {
    both loop
    [[ "$hako" == *"pods made and removed: 50"*"left behind: nothing" ]]
    # The start latency of both, side by side, in the TAP output.
    cat "$T/hako.err" "$T/runc.err" | sed 's/^/# /' >&3
}
