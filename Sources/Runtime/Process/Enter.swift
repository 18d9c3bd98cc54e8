// Entering the container process: the steps the init (Init.swift) and an
// exec'd process (ExecProcess.swift) share once they stand in the
// container's namespaces and root, written once and in one order, so that
// exec cannot drift from create (it once skipped personality and the memory
// policy). runc spells them twice, in standard_init_linux.go and
// setns_init_linux.go.
//
// Before the process reports ready (`prepare`):
//   1. rlimits, oom_score_adj
//   2. personality, scheduler, I/O priority, memory policy (ProcessSettings)
//   3. a new session, the terminal as its controlling one
//   4. seccomp, when it cannot wait for the user switch (seccompOrder)
//   5. cwd, user and groups, capabilities, no_new_privs, umask, cwd again
//   6. the environment and the program's path, so a missing one fails here
// After ready (and, for the init, `start`): `exec`
//   7. descriptors: only stdio and the passed ones cross execve
//   8. default signal handlers, the final CPU affinity, the LSM exec labels
//   9. seccomp, then the one capset that drops a held CAP_SYS_ADMIN
//  10. signals unblocked, execve
// The session keyring is joined earlier by each caller (joinSessionKeyring):
// the init before it builds the rootfs, so that its hooks share it.
import CNamespaces
import Glibc

struct EnterContainer {
    let process: Process
    /// linux.personality, linux.memoryPolicy, linux.seccomp.listenerMetadata.
    let linux: Linux?
    /// The compiled linux.seccomp.
    let seccomp: SeccompFilter?
    /// A socket connected to linux.seccomp.listenerPath, or -1.
    let agent: Int32
    /// What the seccomp agent is told: the process's pid and the container's state.
    let listenerPid: Int32
    let state: ContainerState
    let status: Status
    let logger: Logger

    /// When the filter goes on. Installing one without no_new_privs needs
    /// CAP_SYS_ADMIN. It goes on last, just before execve, so the runtime's
    /// own syscalls are not subject to it; for that CAP_SYS_ADMIN is held
    /// across the user switch and dropped by the one capset that follows
    /// the install. Only a non-root user with no capability sets cannot
    /// hold it across the switch: then the filter goes on first.
    enum SeccompOrder: Equatable {
        case none, first, last(holdSysAdmin: Bool)
    }

    var seccompOrder: SeccompOrder {
        guard seccomp != nil else { return .none }
        if process.noNewPrivileges { return .last(holdSysAdmin: false) }
        guard let caps = process.capabilities else { return process.user.uid != 0 ? .first : .last(holdSysAdmin: false) }
        return .last(holdSysAdmin: !caps.effective.contains(Int(HK_CAP_SYS_ADMIN)))
    }

    /// What `prepare` found: the program and its environment.
    struct Ready {
        let executable: String
        let env: [String]
    }

    /// Like runc, a container's processes get a session keyring named
    /// "_ses.<id>" (Keyring.swift); an exec'd process joins the init's.
    static func joinSessionKeyring(id: String, setSearch: Bool = true) throws {
        try SessionKeyring.join(name: "_ses." + id, setSearch: setSearch)
    }

    /// Steps 1-6; `extraEnv` comes after process.env (the init's LISTEN_FDS).
    func prepare(terminal: Terminal?, extraEnv: [String] = []) throws -> Ready {
        try Credentials.applyRlimits(process.rlimits)
        if let o = process.oomScoreAdj { try Credentials.setOOMScoreAdj(o) }
        try ProcessSettings.apply(process, linux: linux)
        _ = setsid()
        try terminal?.attach()
        let order = seccompOrder
        if order == .first, let seccomp { try install(seccomp) }
        // The cwd is entered before the user and capabilities change (runc's
        // finalizeNamespace), and again after only if that was refused.
        let inCwd = try Rootfs.changeDirectoryBeforeUser(process.cwd)
        var holdSysAdmin = false
        if case let .last(hold) = order { holdSysAdmin = hold }
        try Credentials.apply(user: process.user, capabilities: process.capabilities,
                              noNewPrivileges: process.noNewPrivileges, holdSysAdmin: holdSysAdmin, logger: logger)
        umask(mode_t(process.user.umask ?? 0o022))
        if !inCwd { try Rootfs.changeDirectory(process.cwd) }
        var env = process.env
        if !env.contains(where: { $0.hasBytePrefix("HOME=") }) {
            do { env.append("HOME=" + (try Credentials.home(of: process.user.uid))) } catch {
                throw RuntimeError("HOME of process.user.uid \(process.user.uid), which process.env does not set: \(error)")
            }
        }
        env += extraEnv
        return Ready(executable: try Exec.find(process.args.first ?? "", env: env), env: env)
    }

    /// Steps 7-10. `passed`: the descriptors from 3 on that the program
    /// gets. Returns only if execve fails, with its errno.
    func exec(_ ready: Ready, passed: Int) throws -> Int32 {
        let keep = 3 + Int32(passed)
        for fd in 3..<keep { _ = hk_fcntl_int(fd, F_SETFD, 0) }
        _ = hk_close_range(UInt32(keep), UInt32.max, HK_CLOSE_RANGE_CLOEXEC)
        _ = hk_default_signal_handlers()
        try ProcessSettings.setAffinity(process.execCPUAffinity?.final, field: "final")
        try SecurityLabels.setExecLabels(process)
        if case let .last(hold) = seccompOrder, let seccomp {
            try install(seccomp)
            if hold, let caps = process.capabilities { try Credentials.setCapabilities(caps) }
        }
        _ = hk_unblock_all_signals()
        logger.trace("execve \(ready.executable)")
        Exec.execve(ready.executable, process.args, ready.env)
        return errno
    }

    func install(_ filter: SeccompFilter) throws {
        let payload = SeccompListener.message(pid: listenerPid, metadata: linux?.seccomp?.listenerMetadata,
                                              state: state.ociJSON(status: status))
        try SeccompListener(agent: agent, payload: payload).install(filter)
    }
}
