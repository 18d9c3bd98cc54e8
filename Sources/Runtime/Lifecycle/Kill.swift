// The kill operation (runtime.md "Kill"): a signal to the init, or with
// --all (runc's) to every process in the container's cgroup.
import CNamespaces
import Glibc

extension Runtime {
    public func kill(id: String, signal: Int32, all: Bool) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        // runc's words: containerd's shim (pkg/process checkKillError) maps
        // "container not running" to NotFound, which its CRI ignores when it
        // stops a pod whose process has exited. With --all runc signals
        // whatever is left in the cgroup and succeeds.
        if st == .stopped, !all { throw RuntimeError("container not running") }
        let cgroup = s.cgroup
        if all, cgroup.exists {
            cgroup.signalAll(signal)
            // Signal 0 only asks whether they are alive: a paused container stays paused.
            if st == .paused, signal != 0 { cgroup.thaw() }
        } else {
            try Runtime.signal(s, signal)
        }
    }

    /// Signals the init through a pidfd, so a recycled pid is never hit.
    static func signal(_ s: ContainerState, _ sig: Int32) throws {
        let pidfd = hk_pidfd_open(s.pid, 0)
        if pidfd < 0 { throw SystemError("pidfd_open \(s.pid)") }
        defer { close(pidfd) }
        guard ProcessInfo(pid: s.pid)?.startTime == s.pidStartTime else { throw RuntimeError("container not running") }
        try sys(hk_pidfd_send_signal(pidfd, sig), "kill \(s.pid)")
    }
}
