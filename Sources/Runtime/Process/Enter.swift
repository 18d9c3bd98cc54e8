// Entering the container process: the steps the init (Init.swift) and an
// exec'd process (ExecProcess.swift) share once they stand in the
// container's namespaces and root, written once and in one order, so that
// exec cannot drift from create (it once skipped personality and the memory
// policy). runc spells them twice, in standard_init_linux.go and
// setns_init_linux.go.
//
// Before the process reports ready (`prepare`):
//   1. rlimits, personality, memory policy (`limit`), oom_score_adj
//   2. scheduler and I/O priority (ProcessSettings.applyScheduling)
//   3. a new session, the terminal as its controlling one (`takeTerminal`)
//   4. seccomp, when it cannot wait for the user switch (seccompOrder)
//   5. stdio to the user, cwd, user and groups, capabilities, no_new_privs,
//      umask, cwd again
//   6. the environment and the program's path, so a missing one fails here
// After ready (and, for the init, `start`): `exec`
//   7. descriptors: only stdio and the passed ones cross execve
//   8. default signal handlers, the final CPU affinity, the LSM exec labels
//   9. seccomp, then the one capset that drops a held CAP_SYS_ADMIN
//      (the init's before its startContainer hooks: installLast)
//  10. signals unblocked, execve
// An exec'd process, and the init of a pod, are born after step 5
// (`prepareBeforeBirth`, CloneInside, PodInit): a helper does 1 and 4-5
// unseen by the container, hako does 2 and oom_score_adj by pid, the
// process does 3, 6 and the rest.
// So neither stands in a pid namespace others see holding more than it
// will exec with.
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
    /// What the seccomp agent is told: the process's pid (nil: the
    /// installer's own, as getpid() gives it) and the container's state.
    let listenerPid: Int32?
    let state: ContainerState
    let status: Status
    /// Whether stdio 0-2 become the process's user's (giveStdio): only
    /// when detached. In the foreground runc puts pipes between its caller
    /// and the process, so the caller's files stay the caller's; hako
    /// hands them on as they are, and leaves them so too.
    var ownsStdio = true
    let logger: Logger

    /// When the filter goes on. Installing one without no_new_privs needs
    /// CAP_SYS_ADMIN, which the configured capabilities seldom keep. So,
    /// as runc does, the filter goes on before the user switch then, and
    /// with no_new_privs last, just before execve, so that few of the
    /// runtime's own syscalls are subject to it. Holding CAP_SYS_ADMIN
    /// across the switch instead, to install it last, would leave a window
    /// in which a container holding CAP_SYS_PTRACE could take it by ptrace
    /// (the capability window, Tests/security/README.md), and would run
    /// startContainer hooks outside the filter, which runc runs inside.
    /// Only a notifying filter is still installed last, holding
    /// CAP_SYS_ADMIN across the switch: its agent is told the pid of the
    /// process that installs it, which must be the process itself.
    enum SeccompOrder: Equatable {
        case none, first, last(holdSysAdmin: Bool)
    }

    var seccompOrder: SeccompOrder {
        guard seccomp != nil else { return .none }
        if process.noNewPrivileges { return .last(holdSysAdmin: false) }
        guard let caps = process.capabilities else { return process.user.uid != 0 ? .first : .last(holdSysAdmin: false) }
        let hold = !caps.effective.contains(Int(HK_CAP_SYS_ADMIN))
        if hold, seccomp?.notify == false { return .first }
        return .last(holdSysAdmin: hold)
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
        try limit()
        if let o = process.oomScoreAdj { try Credentials.setOOMScoreAdj(o) }
        try ProcessSettings.applyScheduling(process)
        try takeTerminal(terminal)
        return try locate(try becomeUser(extraEnv: extraEnv, terminal: terminal))
    }

    /// Steps 1, 4 and 5, before the clone of a process born as its user;
    /// returns the environment. hako sets step 2 and oom_score_adj by pid
    /// (ProcessSettings.applyByPid); the process does 3 and `locate`.
    func prepareBeforeBirth(extraEnv: [String] = [], terminal: Terminal? = nil) throws -> [String] {
        try limit()
        return try becomeUser(extraEnv: extraEnv, terminal: terminal)
    }

    /// Step 1, but oom_score_adj: what the process sets on itself and its children inherit.
    func limit() throws {
        try Credentials.applyRlimits(process.rlimits)
        try ProcessSettings.applyOwn(process, linux: linux)
    }

    /// Step 3: a session of its own, led from the terminal if it has one.
    func takeTerminal(_ terminal: Terminal?) throws {
        _ = setsid()
        try terminal?.attach()
    }

    /// Step 6: the program in `env`'s PATH, found as the process sees its
    /// root (/proc/self included), so a missing one fails before ready.
    func locate(_ env: [String]) throws -> Ready {
        Ready(executable: try Exec.find(process.args.first ?? "", env: env), env: env)
    }

    /// Steps 4 and 5, and the environment.
    func becomeUser(extraEnv: [String], terminal: Terminal?) throws -> [String] {
        try giveStdio(terminal: terminal)
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
        return env + extraEnv
    }

    /// runc's fixStdioPermissions: the process's stdio and its terminal
    /// become its user's (the uid only: the gid stays the mount's, tty's),
    /// so that a non-root process can reopen its own tty or /dev/stdout.
    /// /dev/null and what is the user's already are left; like runc, an
    /// owner the user namespace does not map (EINVAL, EPERM) or a
    /// read-only /dev (EROFS) leaves the descriptor as it is.
    func giveStdio(terminal: Terminal?) throws {
        let uid = process.user.uid
        // With a terminal, stdio will be the terminal (exec's, made later
        // by the process as its user, is the user's already); until then
        // 0-2 may still be hako's caller's, the engine's or a user's tty.
        let fds: [Int32] = process.terminal ? (terminal.map { [$0.slave] } ?? []) : ownsStdio ? [0, 1, 2] : []
        if fds.isEmpty { return }
        var null = stat()
        let hasNull = stat("/dev/null", &null) == 0
        for fd in fds {
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_uid != uid, !(hasNull && st.st_rdev == null.st_rdev) else { continue }
            if fchown(fd, uid, st.st_gid) != 0, ![EINVAL, EPERM, EROFS].contains(errno) {
                throw SpecError("process.user.uid", SystemError("chown the process's descriptor \(fd)").description)
            }
        }
    }

    /// Steps 7-10. `passed`: the descriptors from 3 on that the program
    /// gets. Returns only if execve fails, with its errno.
    /// `filtered`: the init installed a last filter already (installLast),
    /// before its startContainer hooks.
    func exec(_ ready: Ready, passed: Int, filtered: Bool = false) throws -> Int32 {
        let keep = 3 + Int32(passed)
        for fd in 3..<keep { _ = hk_fcntl_int(fd, F_SETFD, 0) }
        _ = hk_close_range(UInt32(keep), UInt32.max, HK_CLOSE_RANGE_CLOEXEC)
        _ = hk_default_signal_handlers()
        try ProcessSettings.setAffinity(process.execCPUAffinity?.final, field: "final")
        try SecurityLabels.setExecLabels(process)
        if !filtered { try installLast() }
        _ = hk_unblock_all_signals()
        logger.trace("execve \(ready.executable)")
        Exec.execve(ready.executable, process.args, ready.env)
        return errno
    }

    /// Step 9: a filter that goes on last, then the one capset that drops
    /// a held CAP_SYS_ADMIN. The init does it before its startContainer
    /// hooks instead (Init.swift), since runc 1.1 runs them under the
    /// filter with or without no_new_privs (it installs it before waiting
    /// on exec.fifo); an exec'd process has no hooks and does it in `exec`.
    func installLast() throws {
        guard case let .last(hold) = seccompOrder, let seccomp else { return }
        try install(seccomp)
        if hold, let caps = process.capabilities { try Credentials.setCapabilities(caps) }
    }

    func install(_ filter: SeccompFilter) throws {
        let payload = SeccompListener.message(pid: listenerPid ?? getpid(), metadata: linux?.seccomp?.listenerMetadata,
                                              state: state.ociJSON(status: status))
        try SeccompListener(agent: agent, payload: payload).install(filter)
    }
}
