// NOTIFY_SOCKET (sd_notify) passthrough, as runc does it, for systemd
// Type=notify units and podman's --sdnotify=container. The host's socket
// is never shown to the container: create bind-mounts a directory of the
// state dir, `notify`, read-only at /run/notify and points the process's
// NOTIFY_SOCKET at /run/notify/notify.sock. start (and run) binds that
// socket, lets the process go, and waits for its READY=; then it tells the
// host READY=, MAINPID= and waits on BARRIER=1 (sd_notify_barrier) so the
// host has read both before hako returns. A process that exits first ends
// the wait, and nothing is sent.
import CNamespaces
import Glibc

public struct NotifySocket {
    /// The host's NOTIFY_SOCKET: a path, or "@name" for an abstract socket.
    public let host: String

    static let directory = "notify"
    static let inContainer = "/run/notify/notify.sock"

    /// nil when unset or empty (runc's test); read once per command.
    public static func fromEnvironment() -> NotifySocket? {
        guard let v = getenv("NOTIFY_SOCKET"), v.pointee != 0 else { return nil }
        return NotifySocket(host: String(cText: v))
    }

    /// create: the bind mount and the process's NOTIFY_SOCKET, which
    /// replaces any the config set (the container must reach ours).
    static func addToSpec(_ spec: inout Spec, stateDir: String) {
        spec.mounts.append(Mount(notifyDirectory: stateDir + "/" + directory))
        guard var p = spec.process else { return }
        p.env.removeAll { $0.hasBytePrefix("NOTIFY_SOCKET=") }
        p.env.append("NOTIFY_SOCKET=" + inContainer)
        spec.process = p
    }

    /// create: the directory the mount shows; delete removes it with the
    /// state directory (ContainerDir.remove).
    static func makeDirectory(in dir: ContainerDir) throws {
        try sys(mkdirat(dir.fd, directory, 0o755), "mkdir \(dir.path)/\(directory) (NOTIFY_SOCKET)")
    }

    /// start: the container's socket, bound where the mount shows it, and
    /// a connection to the host's, both before the process runs, so that
    /// no READY= is missed and a bad NOTIFY_SOCKET stops start before the
    /// process runs. `run` goes on without the host, as runc's does, warned.
    func open(in dir: ContainerDir, hostRequired: Bool, logger: Logger) throws -> NotifyRelay? {
        let own = try NotifySocket.bind(in: dir)
        let host = connectHost()
        if host >= 0 { return NotifyRelay(own: own, host: host) }
        let e = SystemError("connect to NOTIFY_SOCKET \(self.host)")
        close(own)
        if hostRequired { throw e }
        logger.warn("\(e): the container's READY=1 is not passed on")
        return nil
    }

    /// Bound through /proc/self/fd: the state dir's path may be longer
    /// than sun_path's 108 bytes. Mode 0777 as runc: any user in the
    /// container may notify.
    static func bind(in dir: ContainerDir) throws -> Int32 {
        let name = directory + "/notify.sock"
        let path = "/proc/self/fd/\(dir.fd)/" + name
        let fd = path.withCString { hk_bind_unix_dgram($0, strlen($0)) }
        if fd < 0 {
            if errno == ENOENT { throw RuntimeError("NOTIFY_SOCKET is set, but container \"\(dir.id)\" was created without it: no \(dir.path)/\(directory)") }
            throw SystemError("bind \(dir.path)/\(name) (NOTIFY_SOCKET)")
        }
        if fchmodat(dir.fd, name, 0o777, 0) != 0 {
            let e = SystemError("chmod \(dir.path)/\(name)")
            close(fd)
            throw e
        }
        return fd
    }

    /// "@name" is abstract: sun_path starts with a NUL, as systemd reads it.
    func connectHost() -> Int32 {
        var bytes = Array(host.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        return bytes.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { hk_connect_unix_dgram($0, b.count) }
        }
    }
}

/// The two sockets of one start: the container's, and the host's.
struct NotifyRelay {
    let own: Int32
    let host: Int32

    func close() {
        Glibc.close(own)
        Glibc.close(host)
    }

    /// Waits for the container's READY= while the process of `pidfd`
    /// lives, then sends READY= and MAINPID=mainPid to the host. runc
    /// forwards the first line of a datagram that starts with READY=; this
    /// takes the first line that does, wherever it is in the datagram (runc
    /// waits on past a later one). Returns false when the process exited first.
    func forwardReady(pidfd: Int32, mainPid: Int32, logger: Logger) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            var fds = [pollfd(fd: own, events: Int16(POLLIN), revents: 0), pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            try sys(retryEINTR { poll(&fds, 2, -1) }, "poll NOTIFY_SOCKET")
            if fds[0].revents != 0 {
                let n = recv(own, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n > 0, let ready = NotifyRelay.readyLine(buf[0..<n]) {
                    try send(ready)
                    try send(Array("MAINPID=\(mainPid)\n".utf8))
                    try barrier(logger: logger)
                    return true
                }
                continue
            }
            if fds[1].revents != 0 { return false }
        }
    }

    /// The first line starting with READY=, with its newline.
    static func readyLine(_ d: ArraySlice<UInt8>) -> [UInt8]? {
        for line in d.split(separator: UInt8(ascii: "\n")) where line.starts(with: "READY=".utf8) {
            return Array(line) + [UInt8(ascii: "\n")]
        }
        return nil
    }

    func send(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { Glibc.send(host, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n != bytes.count { throw SystemError("send to NOTIFY_SOCKET") }
    }

    /// sd_notify_barrier, as runc 1.2: BARRIER=1 with a pipe's write end;
    /// the host closes it once it has read what came before. A host that
    /// does not know the protocol may keep it: after 30 s, go on, warned.
    func barrier(logger: Logger) throws {
        var p: [Int32] = [0, 0]
        try sys(hk_pipe2(&p, O_CLOEXEC), "pipe (NOTIFY_SOCKET barrier)")
        defer { Glibc.close(p[0]) }
        let sent = "BARRIER=1".withCString { hk_send_fd(host, p[1], $0, 9) }
        Glibc.close(p[1])
        if sent != 0 { throw SystemError("send BARRIER=1 to NOTIFY_SOCKET") }
        var r = pollfd(fd: p[0], events: Int16(POLLIN), revents: 0)
        if retryEINTR({ poll(&r, 1, 30_000) }) == 0 {
            logger.warn("NOTIFY_SOCKET: no answer to BARRIER=1 after 30 s; going on")
            return
        }
        var byte: UInt8 = 0
        if read(p[0], &byte, 1) != 0 { throw RuntimeError("NOTIFY_SOCKET: unexpected data on the barrier pipe") }
    }
}

extension Mount {
    /// runc's mount of the notify directory: read-only, nothing to run.
    init(notifyDirectory source: String) {
        destination = "/run/notify"
        self.source = source
        type = nil
        options = ["bind", "nosuid", "noexec", "nodev", "ro"]
        uidMappings = []
        gidMappings = []
        path = "mounts (NOTIFY_SOCKET's /run/notify)"
    }
}
