#!/usr/bin/env python3
"""cri.py HANDLER SCENARIO: one scenario of Tests/engines/cri.bats, spoken to
containerd's CRI plugin the way kubelet speaks it, with pods on the runtime
handler HANDLER (hako or runc). It prints a transcript free of ids and times,
so the bats file can compare hako's with runc's line for line; figures that
differ between runs (latency) go to stderr.

Environment: CRI_DIR, the directory Tests/engines/cri/start made (socket,
state, logs); CRI_GEN, where the stubs of cri.proto were generated
(python3 -m grpc_tools.protoc); CRI_CGROUP, the absolute cgroup under which
every pod gets its own parent, as kubelet gives each pod one.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.environ["CRI_GEN"])
import grpc  # noqa: E402
import cri_pb2 as api  # noqa: E402
import cri_pb2_grpc as rpc  # noqa: E402

BUSYBOX = "localhost/hako-busybox:latest"
STATE = {v: k for k, v in api.ContainerState.items()}
CGROUPS = "/sys/fs/cgroup"


def unified():
    return os.path.exists(CGROUPS + "/cgroup.controllers")


def hierarchies():
    """Every cgroup tree a runtime may have made a directory in."""
    if unified():
        return [CGROUPS]
    return [e.path for e in os.scandir(CGROUPS) if e.is_dir() and not e.is_symlink()]


class Node:
    """The kubelet side: one CRI connection, one runtime handler, and the
    pods made so far (to check that nothing of them is left)."""

    def __init__(self, directory, handler, cgroup):
        self.dir = directory
        self.handler = handler
        self.cgroup = cgroup
        channel = grpc.insecure_channel("unix://" + directory + "/containerd.sock")
        self.rt = rpc.RuntimeServiceStub(channel)
        self.images = rpc.ImageServiceStub(channel)
        self.pods = {}        # pod id -> its cgroup parent
        self.containers = set()

    # Pods

    def run_pod(self, name, pid=api.CONTAINER):
        parent = "%s/%s-%s" % (self.cgroup, self.handler, name)
        namespaces = api.NamespaceOption(network=api.NODE, pid=pid, ipc=api.POD)
        logs = os.path.join(self.dir, "logs", self.handler, name)
        os.makedirs(logs, exist_ok=True)
        config = api.PodSandboxConfig(
            metadata=api.PodSandboxMetadata(name=name, uid="uid-" + name, namespace="hako-test"),
            log_directory=logs,
            labels={"test": name},
            linux=api.LinuxPodSandboxConfig(
                cgroup_parent=parent,
                security_context=api.LinuxSandboxSecurityContext(namespace_options=namespaces)))
        pod = self.rt.RunPodSandbox(api.RunPodSandboxRequest(config=config, runtime_handler=self.handler)).pod_sandbox_id
        self.pods[pod] = parent
        return pod, config

    def pod_pid(self, pod):
        """The sandbox (pause) process, from the verbose status kubelet reads."""
        status = self.rt.PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=pod, verbose=True))
        return json.loads(status.info["info"])["pid"]

    def pod_state(self, pod):
        status = self.rt.PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=pod)).status
        return api.PodSandboxState.Name(status.state)

    def remove_pod(self, pod):
        self.rt.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=pod))
        self.rt.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=pod))

    # Containers

    def create(self, pod, config, name, command, attempt=0, resources=None):
        linux = api.LinuxContainerConfig(
            security_context=api.LinuxContainerSecurityContext(
                namespace_options=config.linux.security_context.namespace_options))
        if resources is not None:
            linux.resources.CopyFrom(resources)
        container = api.ContainerConfig(
            metadata=api.ContainerMetadata(name=name, attempt=attempt),
            image=api.ImageSpec(image=BUSYBOX),
            command=command,
            log_path="%s-%d.log" % (name, attempt),
            labels={"container": name},
            linux=linux)
        cid = self.rt.CreateContainer(api.CreateContainerRequest(
            pod_sandbox_id=pod, config=container, sandbox_config=config)).container_id
        self.containers.add(cid)
        return cid

    def start(self, cid):
        self.rt.StartContainer(api.StartContainerRequest(container_id=cid))

    def run(self, pod, config, name, command, **kw):
        cid = self.create(pod, config, name, command, **kw)
        self.start(cid)
        return cid

    def status(self, cid):
        return self.rt.ContainerStatus(api.ContainerStatusRequest(container_id=cid)).status

    def wait_state(self, cid, state, seconds=10):
        deadline = time.monotonic() + seconds
        while True:
            status = self.status(cid)
            if status.state == state or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def exec(self, cid, cmd, timeout=10):
        return self.rt.ExecSync(api.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=timeout))

    def out(self, cid, cmd):
        return self.exec(cid, cmd).stdout.decode().strip()

    def log(self, pod_config, name, attempt=0):
        """The container's output from its CRI log (TIME STREAM TAG TEXT)."""
        path = os.path.join(pod_config.log_directory, "%s-%d.log" % (name, attempt))
        with open(path) as f:
            return " ".join(line.rstrip("\n").split(" ", 3)[3] for line in f)

    # What must be gone once a pod is removed

    def leftovers(self):
        """Everything of the pods made so far that is still there."""
        ids = set(self.pods) | self.containers
        left = []
        for pod in self.pods:
            if self.rt.ListPodSandbox(api.ListPodSandboxRequest(filter=api.PodSandboxFilter(id=pod))).items:
                left.append("pod listed")
            if self.rt.ListContainers(api.ListContainersRequest(filter=api.ContainerFilter(pod_sandbox_id=pod))).containers:
                left.append("containers listed")
        for state in ["runc-root/k8s.io", "state/io.containerd.runtime.v2.task/k8s.io",
                      "state/io.containerd.grpc.v1.cri/sandboxes", "root/io.containerd.grpc.v1.cri/sandboxes",
                      "root/io.containerd.grpc.v1.cri/containers"]:
            path = os.path.join(self.dir, state)
            if os.path.isdir(path):
                left += ["state %s/%s" % (state, e) for e in os.listdir(path) if e in ids]
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        left += ["mount " + m for m in mounts if any(i in m for i in ids)]
        parents = set(self.pods.values())
        for hierarchy in hierarchies():
            for parent in parents:
                if os.path.isdir(hierarchy + parent):
                    left += ["cgroup %s%s/%s" % (hierarchy, parent, e.name)
                             for e in os.scandir(hierarchy + parent) if e.is_dir()]
        left += self.processes(ids, parents)
        return left

    @staticmethod
    def processes(ids, parents):
        left = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cgroup" % pid) as f:
                    cgroups = f.read()
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(p + "/" in cgroups for p in parents) or any(i in cmdline for i in ids):
                left.append("process " + cmdline.strip())
        return left

    def report_leftovers(self):
        left = self.leftovers()
        print("left behind: " + (", ".join(sorted(set(left))) if left else "nothing"))


def ns(node, cid, kinds):
    script = "for k in %s; do readlink /proc/self/ns/$k; done" % " ".join(kinds)
    return node.out(cid, ["sh", "-c", script]).split()


def same(a, b):
    return "same" if a == b else "different"


def sc_pod(node):
    """Two containers in a pod whose pid namespace is the pod's: both must be
    in the sandbox's network, IPC, UTS and pid namespaces (joined by path),
    and see the pause process as pid 1."""
    pod, config = node.run_pod("shared", pid=api.POD)
    a = node.run(pod, config, "a", ["sleep", "1000"])
    b = node.run(pod, config, "b", ["sleep", "1000"])
    kinds = ["net", "ipc", "uts", "pid", "mnt"]
    sandbox = [os.readlink("/proc/%d/ns/%s" % (node.pod_pid(pod), k)) for k in kinds]
    host = [os.readlink("/proc/self/ns/" + k) for k in kinds]
    na, nb = ns(node, a, kinds), ns(node, b, kinds)
    for i, kind in enumerate(kinds):
        print("%s: a and b %s, a and sandbox %s, a and host %s" % (
            kind, same(na[i], nb[i]), same(na[i], sandbox[i]), same(na[i], host[i])))
    print("pid 1 in a: " + node.out(a, ["cat", "/proc/1/cmdline"]).replace("\0", " "))
    print("b's sleep seen from a: " + node.out(a, ["sh", "-c", "ps -o args | grep -c '^sleep 1000'"]))
    print("hostname a = b: " + same(node.out(a, ["hostname"]), node.out(b, ["hostname"])))
    node.exec(a, ["sh", "-c", "echo from-a > /dev/shm/x"])
    print("/dev/shm shared: " + node.out(b, ["cat", "/dev/shm/x"]))
    node.remove_pod(pod)
    node.report_leftovers()


def sc_exec(node):
    """ExecSync: stdout, stderr and the exit code apart; a timeout ends the
    command and is reported as an error, as kubelet's probes see it."""
    pod, config = node.run_pod("exec")
    c = node.run(pod, config, "c", ["sleep", "1000"])
    r = node.exec(c, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    print("stdout %r stderr %r exit %d" % (r.stdout.decode(), r.stderr.decode(), r.exit_code))
    r = node.exec(c, ["sh", "-c", "cat /proc/1/cmdline; id -u"])
    print("in the container: %r" % r.stdout.decode().replace("\0", " "))
    try:
        print("missing command: exit %d" % node.exec(c, ["nonexistent-cmd"]).exit_code)
    except grpc.RpcError as e:
        print("missing command: %s, %s" % (e.code().name, "not found in $PATH" in e.details()))
    began = time.monotonic()
    try:
        node.exec(c, ["sleep", "30"], timeout=1)
        print("timeout: no error")
    except grpc.RpcError as e:
        print("timeout: %s, in time %s" % (e.code().name, time.monotonic() - began < 10))
    print("sleep 30 left: " + node.out(c, ["sh", "-c", "ps -o args | grep -c '^sleep 30' || true"]))
    node.remove_pod(pod)
    node.report_leftovers()


def sc_status(node):
    """ContainerStatus, ListContainers and ContainerStats (read from the
    container's cgroups by the shim), as kubelet polls them."""
    pod, config = node.run_pod("status")
    c = node.create(pod, config, "c", ["sh", "-c", "echo started; exec sleep 1000"])
    print("created: " + STATE[node.status(c).state])
    node.start(c)
    s = node.status(c)
    print("started: %s exit %d image %s started_at set %s" % (
        STATE[s.state], s.exit_code, s.image.image, s.started_at > 0))
    listed = node.rt.ListContainers(api.ListContainersRequest(filter=api.ContainerFilter(pod_sandbox_id=pod))).containers
    print("listed: " + ", ".join("%s %s" % (x.metadata.name, STATE[x.state]) for x in listed))
    running = api.ContainerFilter(state=api.ContainerStateValue(state=api.CONTAINER_RUNNING), label_selector={"container": "c"})
    print("listed running with label: %d" % len([
        x for x in node.rt.ListContainers(api.ListContainersRequest(filter=running)).containers if x.pod_sandbox_id == pod]))
    node.exec(c, ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"])
    st = node.rt.ContainerStats(api.ContainerStatsRequest(container_id=c)).stats
    print("stats: name %s, cpu %s, memory working set %s, usage %s" % (
        st.attributes.metadata.name, st.cpu.usage_core_nano_seconds.value > 0,
        st.memory.working_set_bytes.value > 0, st.memory.usage_bytes.value > 0))
    print("log: " + node.log(config, "c"))
    node.remove_pod(pod)
    node.report_leftovers()


def cgroup_files(node, pod, cid):
    """Memory limit, CPU shares (v2: weight) and CFS quota (v2: max)."""
    if unified():
        files = [("", "memory.max"), ("", "cpu.weight"), ("", "cpu.max")]
    else:
        files = [("/memory", "memory.limit_in_bytes"), ("/cpu", "cpu.shares"), ("/cpu", "cpu.cfs_quota_us")]
    values = []
    for hierarchy, name in files:
        with open("%s%s%s/%s/%s" % (CGROUPS, hierarchy, node.pods[pod], cid, name)) as f:
            values.append(f.read().strip())
    return " ".join(values)


def sc_update(node):
    """Resources set at create, then changed by UpdateContainerResources;
    read back from the container's cgroup files."""
    pod, config = node.run_pod("update")
    limits = api.LinuxContainerResources(memory_limit_in_bytes=64 << 20, cpu_shares=512,
                                         cpu_period=100000, cpu_quota=50000)
    c = node.run(pod, config, "c", ["sleep", "1000"], resources=limits)
    print("created: " + cgroup_files(node, pod, c))
    node.rt.UpdateContainerResources(api.UpdateContainerResourcesRequest(
        container_id=c, linux=api.LinuxContainerResources(
            memory_limit_in_bytes=128 << 20, cpu_shares=256, cpu_period=100000, cpu_quota=25000)))
    print("updated: " + cgroup_files(node, pod, c))
    print("still running: " + STATE[node.status(c).state])
    node.remove_pod(pod)
    node.report_leftovers()


def sc_stop(node):
    """StopContainer: SIGTERM, then SIGKILL once the grace period is over. A
    shell that exits on TERM stops at once with 0; a pid 1 without a TERM
    handler (the kernel ignores it) is killed after the grace period."""
    pod, config = node.run_pod("stop")
    polite = node.run(pod, config, "polite", ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
    stubborn = node.run(pod, config, "stubborn", ["sleep", "1000"])
    time.sleep(0.3)  # the shell's trap is set
    for cid, grace in [(polite, 10), (stubborn, 2)]:
        began = time.monotonic()
        node.rt.StopContainer(api.StopContainerRequest(container_id=cid, timeout=grace))
        took = time.monotonic() - began
        s = node.status(cid)
        print("%s: %s exit %d reason %s, stopped %s" % (
            s.metadata.name, STATE[s.state], s.exit_code, s.reason,
            "at once" if took < grace - 1 else "after the grace period" if took < grace + 4 else "late"))
    node.rt.StopContainer(api.StopContainerRequest(container_id=stubborn, timeout=2))
    print("stopping again: ok")
    node.remove_pod(pod)
    node.report_leftovers()


def sc_teardown(node):
    """StopPodSandbox stops every container and the sandbox; RemovePodSandbox
    removes them: nothing may be left (containers, state, mounts, cgroups,
    processes, shims)."""
    pod, config = node.run_pod("teardown")
    cs = [node.run(pod, config, n, ["sleep", "1000"]) for n in ("a", "b")]
    print("before: pod %s, %s" % (node.pod_state(pod), " ".join(STATE[node.status(c).state] for c in cs)))
    # The check sees a live pod: what it finds now must all go.
    print("while running: " + ", ".join(sorted(set(x.split()[0] for x in node.leftovers()))))
    node.rt.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=pod))
    print("stopped: pod %s, %s" % (node.pod_state(pod), " ".join(
        "%s %d" % (STATE[s.state], s.exit_code) for s in map(node.status, cs))))
    node.rt.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=pod))
    print("stopped again: ok")
    node.rt.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=pod))
    node.report_leftovers()


def sc_restart(node):
    """A container that exits 3 reaches EXITED (kill on an exited container
    must read as runc's "not running": commit 21fdc18), is stopped and
    removed, and is created again with the next attempt, as kubelet restarts
    it; then the pod goes."""
    pod, config = node.run_pod("restart")
    for attempt in range(3):
        c = node.run(pod, config, "failing", ["sh", "-c", "echo attempt; exit 3"], attempt=attempt)
        s = node.wait_state(c, api.CONTAINER_EXITED)
        print("attempt %d: %s exit %d reason %s log %r" % (
            attempt, STATE[s.state], s.exit_code, s.reason, node.log(config, "failing", attempt)))
        node.rt.StopContainer(api.StopContainerRequest(container_id=c, timeout=2))
        node.rt.RemoveContainer(api.RemoveContainerRequest(container_id=c))
        try:
            node.status(c)
            print("removed: still there")
        except grpc.RpcError as e:
            print("removed: " + e.code().name)
    print("pod: " + node.pod_state(pod))
    node.remove_pod(pod)
    node.report_leftovers()


def sc_loop(node, count=50):
    """count pods, each with one container, made and removed one after the
    other; the start latency (RunPodSandbox through StartContainer) goes to
    stderr."""
    latencies = []
    for i in range(count):
        began = time.monotonic()
        pod, config = node.run_pod("loop-%d" % i)
        node.run(pod, config, "c", ["sleep", "1000"])
        latencies.append(time.monotonic() - began)
        node.remove_pod(pod)
    print("pods made and removed: %d" % count)
    node.report_leftovers()
    latencies.sort()
    sys.stderr.write("%s: pod start latency (RunPodSandbox to StartContainer) over %d pods: "
                     "median %.0f ms, min %.0f ms, max %.0f ms\n" % (
                         node.handler, count, 1000 * latencies[count // 2],
                         1000 * latencies[0], 1000 * latencies[-1]))


SCENARIOS = {name[3:]: f for name, f in globals().items() if name.startswith("sc_")}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        sys.exit("usage: cri.py hako|runc " + "|".join(SCENARIOS))
    node = Node(os.environ["CRI_DIR"], sys.argv[1], os.environ["CRI_CGROUP"])
    try:
        SCENARIOS[sys.argv[2]](node)
    finally:
        sys.stdout.flush()
        for pod in node.pods:   # a failed scenario leaves no pod behind
            try:
                node.remove_pod(pod)
            except grpc.RpcError:
                pass


if __name__ == "__main__":
    main()
