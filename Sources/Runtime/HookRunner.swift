// Runs runtime-spec hooks: the container state JSON on stdin, a timeout,
// and a failure named by the hook's place in config.json.
import CNamespaces
import Glibc

struct HookRunner {
    let state: JSON

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

    func run(_ hook: Hook) throws {
        var fds: [Int32] = [0, 0]
        try sys(hk_pipe2(&fds, O_CLOEXEC), "pipe")
        let argv = hook.args.isEmpty ? [hook.path] : hook.args
        let pid = fork()
        if pid < 0 { throw SystemError("fork") }
        if pid == 0 {
            dup2(fds[0], 0)
            _ = hk_unblock_all_signals()
            _ = hk_default_signal_handlers()
            if let env = hook.env { Exec.execve(hook.path, argv, env) } else { _ = execv(hook.path, argv.map { strdup($0) } + [nil]) }
            _exit(127)
        }
        close(fds[0])
        // A hook that does not read its stdin must not block us: the state is
        // small enough for the pipe buffer, and EPIPE is ignored.
        let bytes = Array(state.serialized().utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let status = try Exec.wait(pid, timeoutSeconds: hook.timeout)
        guard let status else {
            kill(pid, SIGKILL)
            _ = try? Exec.wait(pid, timeoutSeconds: nil)
            throw RuntimeError("timed out after \(hook.timeout ?? 0)s")
        }
        if status != 0 { throw RuntimeError(Exec.describe(status: status)) }
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
        var status: Int32 = 0
        guard let timeout = timeoutSeconds else {
            try sys(retryEINTR { waitpid(pid, &status, 0) }, "waitpid")
            return status
        }
        let pidfd = hk_pidfd_open(pid, 0)
        if pidfd >= 0 {
            defer { close(pidfd) }
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let r = retryEINTR { poll(&p, 1, Int32(timeout * 1000)) }
            if r == 0 { return nil }
        }
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
