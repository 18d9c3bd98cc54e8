// Runs runtime-spec hooks: the container state JSON on stdin, a timeout,
// and a failure named by the hook's place in config.json.
import CNamespaces
import Glibc

struct HookRunner {
    let state: JSON
    /// Told each hook's pid before the hook may exec (create records it in
    /// the intent record). The hook then leads its own process group and
    /// dies with hako (PR_SET_PDEATHSIG), so a create killed during a hook
    /// leaves nothing the next `delete` cannot find: the hook is killed by
    /// the kernel, and what it started is in the recorded group.
    var started: ((Int32) throws -> Void)? = nil

    func run(_ hooks: [Hook], kind: String) throws {
        for (k, hook) in hooks.enumerated() {
            do { try run(hook) } catch {
                throw SpecError("hooks.\(kind)[\(k)]", "\(kind) hook \(hook.path) failed: \(error)")
            }
        }
    }

    /// poststart and poststop: runtime.md says a failure is a warning and
    /// "the remaining hooks and lifecycle continue as if the hook had
    /// succeeded", so every hook runs.
    func runAll(_ hooks: [Hook], kind: String, logger: Logger) {
        for (k, hook) in hooks.enumerated() {
            do { try run(hook) } catch {
                logger.warn("config.json: hooks.\(kind)[\(k)]: \(kind) hook \(hook.path) failed: \(error)")
            }
        }
    }

    /// One hook. Its timeout (config.md: "the number of seconds before
    /// aborting the hook") runs from the fork, so it covers the state
    /// written to its stdin as well as the hook's own work. Only the exit
    /// status decides: a hook may exit, or close its stdin, without reading
    /// the state, as runc and crun accept.
    func run(_ hook: Hook) throws {
        let deadline = hook.timeout.map { Deadline(seconds: $0) }
        var fds: [Int32] = [0, 0]
        try sys(hk_pipe2(&fds, O_CLOEXEC), "pipe")
        let argv = hook.args.isEmpty ? [hook.path] : hook.args
        var gate: [Int32] = [-1, -1]
        if started != nil, hk_pipe2(&gate, O_CLOEXEC) != 0 {
            let e = SystemError("pipe")
            close(fds[0])
            close(fds[1])
            throw e
        }
        let parent = getpid()
        let pid = fork()
        if pid < 0 {
            let e = SystemError("fork")
            for fd in fds + gate where fd >= 0 { close(fd) }
            throw e
        }
        if pid == 0 {
            if gate[0] >= 0 {
                // Waits for the record; EOF without the byte: hako died first.
                _ = setpgid(0, 0)
                _ = hk_prctl(HK_PR_SET_PDEATHSIG, UInt(SIGKILL), 0, 0, 0)
                if getppid() != parent { _exit(127) }
                close(gate[1])
                var go: UInt8 = 0
                if retryEINTR({ Int32(read(gate[0], &go, 1)) }) != 1 { _exit(127) }
            }
            dup2(fds[0], 0)
            // hako ignores SIGPIPE; the hook gets the default dispositions.
            _ = hk_unblock_all_signals()
            _ = hk_default_signal_handlers()
            if let env = hook.env { Exec.execve(hook.path, argv, env) } else { _ = execv(hook.path, argv.map { strdup($0) } + [nil]) }
            _exit(127)
        }
        close(fds[0])
        if let started {
            _ = setpgid(pid, pid)
            close(gate[0])
            do { try started(pid) } catch {
                close(gate[1])
                close(fds[1])
                kill(pid, SIGKILL)
                _ = try? Exec.wait(pid, until: nil, pidfd: -1)
                throw error
            }
            var go: UInt8 = 0x67
            _ = write(gate[1], &go, 1)
            close(gate[1])
        }
        let pidfd = hk_pidfd_open(pid, 0)
        defer { if pidfd >= 0 { close(pidfd) } }
        let fed = HookStdin(fd: fds[1], pidfd: pidfd).feed(Array(state.serialized().utf8), until: deadline)
        close(fds[1])
        var status: Int32? = nil
        switch fed {
        case .timedOut: break
        case let .failed(e):
            kill(pid, SIGKILL)
            _ = try? Exec.wait(pid, until: nil, pidfd: pidfd)
            throw e
        case .written, .closedByHook:
            status = try Exec.wait(pid, until: deadline, pidfd: pidfd)
        }
        guard let status else {
            if pidfd >= 0 { _ = hk_pidfd_send_signal(pidfd, SIGKILL) } else { kill(pid, SIGKILL) }
            _ = try? Exec.wait(pid, until: nil, pidfd: pidfd)
            throw RuntimeError("timed out after \(hook.timeout ?? 0)s")
        }
        if status != 0 { throw RuntimeError(Exec.describe(status: status)) }
    }
}

/// A point on the monotonic clock a hook must finish by.
struct Deadline {
    let micros: Int64

    init(seconds: Int) {
        // Clamped: a timeout of years is as good as none, and must not overflow.
        micros = Clock.micros() + Int64(min(seconds, 1 << 32)) * 1_000_000
    }

    /// Milliseconds left for poll: at least 0, at most what poll takes.
    var pollMilliseconds: Int32 {
        let left = (micros - Clock.micros() + 999) / 1000
        return Int32(clamping: max(0, left))
    }

    var passed: Bool { Clock.micros() >= micros }
}

/// Writes the state to a hook's stdin without ever blocking past the
/// deadline: the pipe is non-blocking, and each wait for room also watches
/// the hook's pidfd, since a hook that exits (or whose child holds the pipe
/// open) would otherwise leave a writer waiting on a reader that never comes.
struct HookStdin {
    let fd: Int32
    let pidfd: Int32

    enum Outcome {
        case written
        /// The hook closed its stdin or exited before reading it all: not an error.
        case closedByHook
        case timedOut
        case failed(SystemError)
    }

    func feed(_ bytes: [UInt8], until deadline: Deadline?) -> Outcome {
        if hk_fcntl_int(fd, F_SETFL, O_NONBLOCK) < 0 { return .failed(SystemError("make hook stdin non-blocking")) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n > 0 { off += n; continue }
            switch errno {
            case EINTR: continue
            // SIGPIPE is ignored (main.swift), so a reader that went away is EPIPE.
            case EPIPE: return .closedByHook
            case EAGAIN:
                switch waitForRoom(until: deadline) {
                case .room: continue
                case .hookDone: return .closedByHook
                case .timedOut: return .timedOut
                }
            default: return .failed(SystemError("write the state to the hook's stdin"))
            }
        }
        return .written
    }

    enum Wait { case room, hookDone, timedOut }

    func waitForRoom(until deadline: Deadline?) -> Wait {
        while true {
            var p = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                     pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            let r = poll(&p, pidfd >= 0 ? 2 : 1, deadline?.pollMilliseconds ?? -1)
            if r < 0 && errno != EINTR { return .hookDone }
            if p[1].revents != 0 { return .hookDone }
            if p[0].revents & Int16(POLLOUT) != 0 { return .room }
            // POLLERR: the read end is closed.
            if p[0].revents != 0 { return .hookDone }
            if let deadline, deadline.passed { return .timedOut }
        }
    }
}

/// execve and waitpid with Swift strings.
enum Exec {
    static func execve(_ path: String, _ args: [String], _ env: [String]) {
        var argv = args.map { strdup($0) } + [nil]
        var envp = env.map { strdup($0) } + [nil]
        Glibc.execve(path, &argv, &envp)
    }

    /// Waits for a child; nil when the timeout ran out first.
    static func wait(_ pid: pid_t, timeoutSeconds: Int?) throws -> Int32? {
        guard let timeout = timeoutSeconds else { return try wait(pid, until: nil, pidfd: -1) }
        let pidfd = hk_pidfd_open(pid, 0)
        defer { if pidfd >= 0 { close(pidfd) } }
        return try wait(pid, until: Deadline(seconds: timeout), pidfd: pidfd)
    }

    /// Waits for a child until the deadline, watching its pidfd (without
    /// one, as on kernels before 5.3, it waits as long as it takes).
    static func wait(_ pid: pid_t, until deadline: Deadline?, pidfd: Int32) throws -> Int32? {
        if let deadline, pidfd >= 0 {
            while true {
                var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, deadline.pollMilliseconds)
                if r > 0 { break }
                if r < 0 && errno != EINTR { break }
                if deadline.passed { return nil }
            }
        }
        var status: Int32 = 0
        try sys(retryEINTR { waitpid(pid, &status, 0) }, "waitpid")
        return status
    }

    /// Exit code as a shell reports it: the status, or 128 + signal.
    static func exitCode(_ status: Int32) -> Int32 {
        let sig = status & 0x7f
        return sig == 0 ? (status >> 8) & 0xff : 128 + sig
    }

    static func describe(status: Int32) -> String {
        let sig = status & 0x7f
        return sig == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(sig)"
    }
}
