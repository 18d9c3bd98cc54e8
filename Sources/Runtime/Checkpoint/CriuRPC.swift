// The exchange with `criu swrk 3`, as runc's criuSwrk does it: criu runs as
// hako's child with one end of a SOCK_SEQPACKET pair as fd 3, reads one
// criu_req per packet and answers with criu_resp packets. On the way it may
// send NOTIFY responses (with notify_scripts set): it waits for an answer
// to each, so every one is acknowledged.
import Glibc

public struct CriuError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

public struct CriuSwrk {
    let pid: pid_t
    let socket: Int32

    /// Starts `criu swrk 3`. `criu` is a path or a name looked up on PATH
    /// (hako's global --criu). `inherit` are descriptors criu must have at
    /// the same numbers: criu opens images_dir_fd and work_dir_fd as
    /// /proc/<peer>/fd/N of hako, the socket's peer, and inherit_fd's in
    /// its own table, so the numbers are the same on both sides.
    public static func start(criu: String, inherit: [Int32] = []) throws -> CriuSwrk {
        let (mine, theirs) = try socketPair()
        defer { close(theirs) }
        do {
            let pid = try spawn(criu: criu, socket: theirs, inherit: inherit)
            return CriuSwrk(pid: pid, socket: mine)
        } catch {
            close(mine)
            throw error
        }
    }

    static func spawn(criu: String, socket: Int32, inherit: [Int32]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attr)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attr)
        }
        // dup2 onto 3 clears close-on-exec there, unless the socket already
        // is 3 (dup2 of a descriptor onto itself changes nothing): then a
        // copy above it goes to 3.
        let source = socket == 3 ? fcntl(socket, F_DUPFD_CLOEXEC, 4) : socket
        if source < 0 { throw SystemError("dup of the criu socket") }
        defer { if source != socket { close(source) } }
        posix_spawn_file_actions_adddup2(&actions, source, 3)
        // hako ignores SIGPIPE (main.swift); ignored signals survive exec,
        // and criu is not to inherit that.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF))
        // The inherited ones keep their numbers: close-on-exec off for the
        // spawn (hako is single-threaded: nothing else execs meanwhile).
        for fd in inherit { _ = fcntl(fd, F_SETFD, 0) }
        defer { for fd in inherit { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(criu), strdup("swrk"), strdup("3"), nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = criu.contains("/") ? posix_spawn(&pid, criu, &actions, &attr, argv, environ)
                                    : posix_spawnp(&pid, criu, &actions, &attr, argv, environ)
        if rc != 0 { throw SystemError("spawn \(criu) swrk (use the global --criu PATH)", errno: rc) }
        return pid
    }

    /// Sends the request and reads responses until criu answers it,
    /// acknowledging each NOTIFY on the way. A failed answer throws, with
    /// criu's errno and message and where criu's log is.
    public func exchange(_ request: CriuRequest, log: String, notified: (String) -> Void = { _ in }) throws -> CriuResponse {
        try send(request)
        while true {
            let resp = try receive()
            guard resp.success else { throw failure(resp, log: log) }
            if resp.type == .notify {
                notified(resp.notify?.script ?? "")
                try send(CriuRequest(type: .notify, notifySuccess: true))
                continue
            }
            guard resp.type == request.type else {
                throw CriuError("criu answered a \(request.type) request with \(resp.type)")
            }
            return resp
        }
    }

    func failure(_ resp: CriuResponse, log: String) -> CriuError {
        var s = "criu failed: type \(resp.type)"
        if let e = resp.crErrno, e != 0 { s += " errno \(e) (\(String(cString: strerror(e))))" }
        // criu's message is a log line, newline and all: the hint follows on the same line.
        if let m = resp.crErrmsg, !m.isEmpty { s += ": " + String(decoding: m.utf8.reversed().drop { $0 == 10 }.reversed(), as: UTF8.self) }
        return CriuError(s + "; see the log \(log)")
    }

    func send(_ request: CriuRequest) throws {
        let bytes = request.encoded()
        let n = retryEINTR { Int32(Glibc.send(socket, bytes, bytes.count, Int32(MSG_NOSIGNAL))) }
        if n < 0 { throw SystemError("send to criu") }
        if Int(n) != bytes.count { throw CriuError("short send to criu: \(n) of \(bytes.count) bytes") }
    }

    /// One packet is one message. A packet larger than the buffer would be
    /// cut (MSG_TRUNC says so): refused rather than read half.
    func receive() throws -> CriuResponse {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let n = retryEINTR { Int32(recv(socket, &buffer, buffer.count, Int32(MSG_TRUNC))) }
        if n < 0 { throw SystemError("receive from criu") }
        if n == 0 { throw CriuError("criu closed the connection without answering (did it crash? see its log)") }
        if Int(n) > buffer.count { throw CriuError("criu sent a \(n)-byte message, larger than hako reads") }
        do { return try CriuResponse.decode(Array(buffer[..<Int(n)])) } catch {
            throw CriuError("unreadable answer from criu: \(error)")
        }
    }

    /// Closes the socket, which ends swrk, and reaps criu.
    public func finish() -> Int32? {
        close(socket)
        var status: Int32 = 0
        return retryEINTR { waitpid(pid, &status, 0) } == pid ? status : nil
    }
}
