// The start operation (runtime.md "Start"): the waiting init is told to
// run the user's program, through exec.fifo; then the poststart hooks.
import CNamespaces
import Glibc

extension Runtime {
    /// With NOTIFY_SOCKET, returns once the process said READY= (or
    /// exited), after the container's lock is let go: waiting may take
    /// long, and kill or delete must not wait with it.
    public func start(id: String, notifySocket: NotifySocket? = nil) throws {
        guard let notify = try start(id: id, notifySocket: notifySocket, hostRequired: true) else { return }
        defer { notify.relay.close(); close(notify.pidfd) }
        _ = try notify.relay.forwardReady(pidfd: notify.pidfd, mainPid: notify.pid, logger: logger)
    }

    /// The start; what waits for READY= when NOTIFY_SOCKET is set: the
    /// relay, and the init's pid and pidfd, opened while it surely lives.
    func start(id: String, notifySocket: NotifySocket?, hostRequired: Bool) throws -> (relay: NotifyRelay, pid: Int32, pidfd: Int32)? {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        switch status(of: s, in: dir) {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        case let other: throw RuntimeError("cannot start an already \(other.rawValue) container")
        }
        if !s.hasProcess { throw RuntimeError("cannot start container \"\(id)\": config.json has no process") }
        var notify: (relay: NotifyRelay, pid: Int32, pidfd: Int32)? = nil
        if let relay = try notifySocket?.open(in: dir, hostRequired: hostRequired, logger: logger) {
            let pidfd = hk_pidfd_open(s.pid, 0)
            if pidfd < 0 {
                relay.close()
                throw SystemError("pidfd_open \(s.pid) (the container init)")
            }
            notify = (relay, s.pid, pidfd)
        }
        do {
            try go(dir, s)
        } catch {
            if let notify { notify.relay.close(); close(notify.pidfd) }
            throw error
        }
        return notify
    }

    /// The init is told to go; startContainer's outcome; poststart.
    func go(_ dir: ContainerDir, _ s: ContainerState) throws {
        // With startContainer hooks, the init reports on hooks.fifo whether
        // they passed (runtime.md: a failing one MUST make start an error).
        // The reader is opened before the go, so the report cannot be missed.
        var hooksReport: Int32 = -1
        if faccessat(dir.fd, "hooks.fifo", F_OK, 0) == 0 {
            hooksReport = open(dir.hooksFifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        }
        defer { if hooksReport >= 0 { close(hooksReport) } }
        let fd = open(dir.fifoPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw SystemError("open exec fifo (the container init is not waiting)") }
        var byte: UInt8 = 0x30
        let n = write(fd, &byte, 1)
        close(fd)
        if n != 1 { throw SystemError("write exec fifo") }
        unlinkat(dir.fd, "exec.fifo", 0)
        if hooksReport >= 0 {
            unlinkat(dir.fd, "hooks.fifo", 0)
            _ = hk_fcntl_int(hooksReport, F_SETFL, 0)
            var buf = [UInt8](repeating: 0, count: 4096)
            let got = retryEINTR { Int32(read(hooksReport, &buf, buf.count)) }
            if got <= 0 { throw RuntimeError("the container init exited before its startContainer hooks ran") }
            if buf[0] != 0x30 { throw RuntimeError(String(decoding: buf[1..<Int(got)], as: UTF8.self)) }
        }
        runPoststart(s)
    }

    func runPoststart(_ s: ContainerState) {
        // runtime.md: a failing poststart hook is logged and the lifecycle goes on.
        if let hooks = try? Field(s.poststart, path: "hooks.poststart").array().map(Hook.init) {
            HookRunner(state: s.ociJSON(status: .running)).runAll(hooks, kind: "poststart", logger: logger)
        }
    }
}
