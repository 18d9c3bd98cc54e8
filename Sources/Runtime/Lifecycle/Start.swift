// The start operation (runtime.md "Start"): the waiting init is told to
// run the user's program, through exec.fifo; then the poststart hooks.
import CNamespaces
import Glibc

extension Runtime {
    public func start(id: String) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        switch status(of: s, in: dir) {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        case let other: throw RuntimeError("cannot start an already \(other.rawValue) container")
        }
        if !s.hasProcess { throw RuntimeError("cannot start container \"\(id)\": config.json has no process") }
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
