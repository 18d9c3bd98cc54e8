// exec: runs another process in a live container (runc's `exec`; engines
// call it for every `podman exec` and `ctr task exec`). The new process
// joins every namespace and the cgroup of the container's init and gets the
// process settings of config.md: from --process FILE, or from the
// container's own config.json (the copy create kept) with runc's flags applied.
import CNamespaces
import Glibc

public struct ExecOptions {
    public var processFile: String?
    public var args: [String] = []
    public var tty = false
    public var detach = false
    public var consoleSocket: String?
    public var pidFile: String?
    public var cwd: String?
    public var env: [String] = []
    /// "UID[:GID]"
    public var user: String?
    public var additionalGids: [String] = []
    public var capabilities: [String] = []
    public var noNewPrivileges = false
    public var apparmorProfile: String?
    public var processLabel: String?
    public var preserveFds = 0
    /// --cgroup [CONTROLLERS:]PATH, below the container's cgroup.
    public var cgroups: [String] = []
    /// --ignore-paused: exec into a paused container; the process runs once it is resumed.
    public var ignorePaused = false
    public init() {}
}

extension Runtime {
    /// Starts the process; returns its exit code, or 0 with --detach once it runs.
    public func exec(id: String, options: ExecOptions) throws -> Int32 {
        let (s, spec) = try execTarget(id: id, options: options)
        let process = try Runtime.execProcess(options, base: spec.process)
        let cgroupDirs = try s.cgroup.execTargets(options.cgroups)
        try SecurityLabels.validate(process, logger: logger)
        let ttyField = try Runtime.checkExecTerminal(process, options: options)
        var seccomp: SeccompFilter? = nil
        if let sc = spec.linux?.seccomp, let profile = spec.json["linux"]?["seccomp"] {
            seccomp = try SeccompFilter(sc, profile: profile, cacheDir: store.seccompCache, logger: logger)
        }
        let joins = try Runtime.openInitNamespaces(s)
        defer { for (_, fd) in joins { close(fd) } }
        var console: Int32? = nil
        var foreground: ForegroundTerminal? = nil
        defer { foreground?.close() }
        if let sock = options.consoleSocket {
            console = try sys(hk_connect_unix(sock), "connect to console socket \(sock)")
        } else if process.terminal {
            foreground = try ForegroundTerminal.open()
            console = try foreground?.theirsCopy()
        }
        defer { if let console { close(console) } }
        var agent: Int32 = -1
        if seccomp?.notify == true, let path = spec.linux?.seccomp?.listenerPath {
            agent = try sys(hk_connect_unix(path), "connect to linux.seccomp.listenerPath \(path)")
        }
        defer { if agent >= 0 { close(agent) } }

        // Foreground: signals are forwarded, so none may be lost before that starts.
        if !options.detach { _ = hk_block_all_signals() }
        let (parentEnd, childEnd) = try socketPair()
        defer { close(parentEnd) }
        let child = ExecChild(process: process, joins: joins, sync: SyncChannel(fd: childEnd), console: console,
                              agent: agent, seccomp: seccomp, state: s, spec: spec,
                              preserveFds: options.preserveFds, processFile: options.processFile, detached: options.detach,
                              logger: logger.withoutFile())
        // The helper's `enter` closes parentEnd with the other descriptors.
        let pid = try cloneExec(process, childEnd: childEnd, enter: child.enter) { child.run() }
        try Runtime.startExecChild(pid, sync: SyncChannel(fd: parentEnd), cgroupDirs: cgroupDirs, state: s) {
            try child.inProcessFile { try ProcessSettings.applyByPid(process, pid: pid) }
        }
        if let f = options.pidFile { try Files.writeAtomically(absolutePath(f), String(decimal: pid), mode: 0o644) }
        if options.detach { return 0 }
        return try Runtime.waitForExec(pid, foreground: foreground, ttyField: ttyField)
    }

    /// The container, which must be running or created (or paused with
    /// --ignore-paused), and the config it was created with.
    func execTarget(id: String, options: ExecOptions) throws -> (ContainerState, Spec) {
        let (s, config): (ContainerState, [UInt8]) = try withState(id) { s, dir in
            switch status(of: s, in: dir) {
            case .running, .created: break
            case .paused where options.ignorePaused: break
            case .paused: throw RuntimeError("cannot exec in a paused container \"\(id)\"; resume it first (or use --ignore-paused)")
            case let other: throw RuntimeError("cannot exec in a \(other.rawValue) container \"\(id)\"")
            }
            return (s, try dir.createdConfig(bundle: s.bundle))
        }
        return (s, try Spec.parse(config))
    }

    /// Without --console-socket the terminal is relayed by hako in the
    /// foreground (Terminal/Foreground.swift); detached, runc refuses it.
    /// Returns the field errors about the terminal name.
    static func checkExecTerminal(_ process: Process, options: ExecOptions) throws -> String {
        let ttyField = options.processFile.map { "\($0): terminal" } ?? "exec --tty"
        if process.terminal, options.consoleSocket == nil {
            if options.detach { throw RuntimeError("\(ttyField): cannot allocate tty if hako will detach without setting console socket (--console-socket)") }
            try HostConsole.find(field: ttyField).close()
        }
        return ttyField
    }

    /// The init's namespaces that differ from ours, of every type hako
    /// knows (a new type is joined without a list to update here), user
    /// first: joining it gives the capabilities the others' owners ask for.
    /// Opened before the clone; the init is re-checked after, so that a
    /// recycled pid is never joined.
    static func openInitNamespaces(_ s: ContainerState) throws -> [(NamespaceType, Int32)] {
        var joins: [(NamespaceType, Int32)] = []
        do {
            for type in NamespaceType.joinOrder {
                let theirs = "/proc/\(s.pid)/ns/\(type.procName)"
                var a = stat(), b = stat()
                guard stat(theirs, &a) == 0 else { continue }
                if stat("/proc/self/ns/\(type.procName)", &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev { continue }
                joins.append((type, try sys(open(theirs, O_RDONLY | O_CLOEXEC), "open \(theirs)")))
            }
            guard ProcessInfo(pid: s.pid)?.startTime == s.pidStartTime else { throw RuntimeError("container \"\(s.id)\" has stopped") }
        } catch {
            for (_, fd) in joins { close(fd) }
            throw error
        }
        return joins
    }

    /// Clones the process that runs `child` from inside the container
    /// (CloneInside): born in its pid namespace, it already stands in its
    /// other namespaces and root, and holds none of the host's descriptors.
    func cloneExec(_ process: Process, childEnd: Int32, enter: @escaping () throws -> Void, child: @escaping () -> Never) throws -> Int32 {
        defer { close(childEnd) }
        // CVE-2019-5736: the process is this binary until its execve,
        // visible to the container's processes. Non-dumpable, its
        // /proc/PID/exe, mem and fd are closed to them, and so is ptrace,
        // unless they hold CAP_SYS_PTRACE in its user namespace. That is
        // why it must hold nothing of the host's when it is born: with a
        // user namespace it is the host's uid 0 until its setresuid, and
        // without one a container may well hold CAP_SYS_PTRACE in the
        // host's (`--cap-add SYS_PTRACE`).
        _ = hk_prctl(HK_PR_SET_DUMPABLE, 0, 0, 0, 0)
        // Born on the initial CPUs, before the move into the container's cgroup.
        try ProcessSettings.setAffinity(process.execCPUAffinity?.initial, field: "initial")
        return try CloneInside.clone(flags: 0, cgroupFD: nil, enter: enter, body: child).pid
    }

    /// Moves the process into the container's cgroup, sets what only hako
    /// can set on it (`beforeGo`), lets it go on, and waits until it has
    /// exec'd; kills it if any of that fails.
    static func startExecChild(_ pid: Int32, sync: SyncChannel, cgroupDirs: [String], state s: ContainerState,
                               beforeGo: () throws -> Void) throws {
        do {
            try s.cgroup.add(pid: pid, toExec: cgroupDirs, initPid: s.pid)
            try beforeGo()
            try sync.send(.go)
            // ready, then end-of-file when execve closes the channel.
            try sync.expect(.ready, from: "exec'd process")
            if case let .error(m)? = try sync.receive() { throw RuntimeError(m) }
        } catch {
            Glibc.kill(pid, SIGKILL)
            var st: Int32 = 0
            _ = retryEINTR { waitpid(pid, &st, 0) }
            throw error
        }
    }

    /// The exit code, relaying the foreground terminal if there is one.
    static func waitForExec(_ pid: Int32, foreground: ForegroundTerminal?, ttyField: String) throws -> Int32 {
        let exited: () -> Int32? = {
            var st: Int32 = 0
            return waitpid(pid, &st, WNOHANG) == pid ? st : nil
        }
        guard let foreground else { return Exec.exitCode(Relay.waitForExit(pid, exited)) }
        let relay: Relay
        do { relay = try foreground.attach(field: ttyField) } catch {
            Glibc.kill(pid, SIGKILL)
            var st: Int32 = 0
            _ = retryEINTR { waitpid(pid, &st, 0) }
            throw error
        }
        defer { relay.end() }
        return Exec.exitCode(relay.run(forwardingTo: pid, exited: exited))
    }


    /// The process to run: --process FILE as given, or the container's
    /// process with the command line's arguments and flags applied.
    static func execProcess(_ o: ExecOptions, base: Process?) throws -> Process {
        var p: Process
        if let file = o.processFile {
            let json = try JSON.parse(try Files.read(file))
            do { p = try Process(Field(json, path: ""), userDefaultsToRoot: true) } catch let e as SpecError {
                throw SpecError(e.path, e.reason, document: file)
            }
        } else {
            guard var b = base else { throw RuntimeError("config.json has no process to base exec on; use --process") }
            guard !o.args.isEmpty else { throw RuntimeError("exec needs a command, or --process FILE") }
            b.args = o.args
            b.terminal = o.tty
            p = b
        }
        if o.processFile != nil, o.tty { p.terminal = true }
        p.env += o.env
        if let cwd = o.cwd { p.cwd = cwd }
        if let u = o.user {
            let parts = u.split(separator: ":", omittingEmptySubsequences: false)
            guard let uid = UInt32(parts[0]), parts.count <= 2, let gid = parts.count == 2 ? UInt32(parts[1]) : 0,
                  uid != Process.User.noID, gid != Process.User.noID else {
                throw RuntimeError("invalid --user \"\(u)\": expected UID[:GID]")
            }
            p.user.uid = uid
            p.user.gid = gid
        }
        for g in o.additionalGids {
            guard let gid = UInt32(g), gid != Process.User.noID else { throw RuntimeError("invalid --additional-gids \"\(g)\"") }
            p.user.additionalGids.append(gid)
        }
        if !o.capabilities.isEmpty {
            var caps = p.capabilities ?? Process.Capabilities(bounding: .init(), effective: .init(), inheritable: .init(),
                                                               permitted: .init(), ambient: .init())
            for name in o.capabilities {
                guard let n = CapabilitySet.number(of: name) else { throw RuntimeError("unknown capability \"\(name)\"") }
                for set in [\Process.Capabilities.bounding, \.effective, \.permitted] { caps[keyPath: set].bits |= 1 << UInt64(n) }
            }
            p.capabilities = caps
        }
        if o.noNewPrivileges { p.noNewPrivileges = true }
        if let a = o.apparmorProfile { p.apparmorProfile = a }
        if let l = o.processLabel { p.selinuxLabel = l }
        return p
    }
}

/// The exec'd process before its execve, in two stages: `enter`, in a
/// helper of hako's, stands in the container's namespaces and root and
/// becomes the configured user there; the process cloned from there (`run`)
/// does the rest. It is born holding only what it will exec with: a
/// container with CAP_SYS_PTRACE can see and trace it from its birth.
struct ExecChild {
    let process: Process
    let joins: [(NamespaceType, Int32)]
    let sync: SyncChannel
    let console: Int32?
    let agent: Int32
    let seccomp: SeccompFilter?
    let state: ContainerState
    let spec: Spec
    let preserveFds: Int
    /// --process FILE, which errors about the process name instead of config.json.
    let processFile: String?
    /// exec -d: the process's stdio become its user's (EnterContainer.ownsStdio).
    let detached: Bool
    let logger: Logger
    /// The environment the helper made before the clone; the process is
    /// a fork of the helper's memory.
    let found = Found()

    final class Found { var env: [String]? }

    var entering: EnterContainer {
        EnterContainer(process: process, linux: spec.linux, seccomp: seccomp, agent: agent, listenerPid: nil,
                       state: state, status: .running, ownsStdio: detached, logger: logger)
    }

    /// In CloneInside's helper, before the clone, in hako's own pid
    /// namespace where the container cannot see it: enters the container
    /// and becomes the process's user.
    func enter() throws {
        // What hako's caller left open must not reach the container
        // (CVE-2024-21626): neither the program nor its `#!` interpreter
        // may be found through /proc/self/fd/N. Nor may hako's own, the
        // --log file above all, be held by a process the container sees.
        var own = [sync.fd] + joins.map(\.1) + (agent >= 0 ? [agent] : [])
        if let console { own.append(console) }
        closeDescriptors(from: 3 + Int32(preserveFds), except: own)
        // The pid namespace first, while still the host's root: it is the clone's.
        for (type, fd) in joins where type == .pid {
            try sys(hk_setns(fd, type.cloneFlag), "join the container's pid namespace")
            close(fd)
        }
        try standInContainer()
        // The init's keyring, as runc's exec joins it; the permissions are the init's to set.
        if !state.noNewKeyring { try EnterContainer.joinSessionKeyring(id: state.id, setSearch: false) }
        found.env = try inProcessFile { try entering.prepareBeforeBirth() }
    }

    /// The container's other namespaces (user first), its root user, and
    /// its root: joining the mount namespace put us at its root; without
    /// one, the container's root is the init's.
    func standInContainer() throws {
        for (type, fd) in joins where type != .pid {
            try sys(hk_setns(fd, type.cloneFlag), "join the container's \(type.rawValue) namespace")
            close(fd)
        }
        if joins.contains(where: { $0.0 == .user }) {
            try sys(hk_setresgid(0, 0, 0), "setresgid 0 in the container's user namespace")
            try sys(hk_setresuid(0, 0, 0), "setresuid 0 in the container's user namespace")
        }
        if !joins.contains(where: { $0.0 == .mount }) {
            try sys(chroot("/proc/\(state.pid)/root"), "chroot into the container")
            try sys(chdir("/"), "chdir /")
        }
    }

    /// Cloned inside the container: waits for its cgroup and scheduling,
    /// takes its terminal, reports ready, installs seccomp last and execs.
    func run() -> Never {
        do { try setup() } catch {
            if (try? sync.send(.error("\(error)"))) == nil { logger.error("\(error)") }
            _exit(1)
        }
        _exit(127)
    }

    func setup() throws {
        try sync.expect(.go, from: "hako")
        guard let env = found.env else { throw RuntimeError("exec: the process was cloned before it was prepared") }
        var terminal: Terminal? = nil
        // Opened as the process's user, the pty is that user's, as runc's
        // fixStdioPermissions makes it.
        if process.terminal, let console {
            terminal = try Terminal.setup(consoleSocket: console, size: process.consoleSize, console: false)
        }
        if let console { close(console) }
        let enter = entering
        try enter.takeTerminal(terminal)
        let ready = try inProcessFile { try enter.locate(env) }
        try sync.send(.ready)
        let e = try enter.exec(ready, passed: preserveFds)
        throw SystemError("exec \(ready.executable)", errno: e)
    }

    /// A process from --process FILE is that file's: an error about one of
    /// its fields ("process.args[0]") names the file and the field there,
    /// as a parse error of the file does ("FILE: args[0]: ...").
    func inProcessFile<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as SpecError where processFile != nil && e.document == "config.json" && e.path.hasBytePrefix("process.") {
            throw SpecError(String(e.path.dropFirst("process.".count)), e.reason, document: processFile!)
        }
    }
}

extension Runtime {
    /// The container's processes, as host pids (runc's `ps --format json`).
    public func processes(id: String) throws -> [Int32] {
        try withState(id, reading: true) { s, dir in
            if status(of: s, in: dir) == .stopped { return [] }
            return s.cgroup.pids().sorted()
        }
    }
}
