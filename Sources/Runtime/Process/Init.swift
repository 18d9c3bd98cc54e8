// The container's init: the child `hako create` clones into the new
// namespaces. It runs hako's own Swift code until execve, in this order:
// join namespaces, build the rootfs, pivot_root, set up the process, report
// ready, wait for `start`, exec. Any failure before ready goes back to the
// runtime as an error message and the init exits.
import CNamespaces
import Glibc

struct ContainerInit {
    let spec: Spec
    let rootfsPath: String
    let bundle: String
    let cgroup: any CgroupDriver
    let sync: SyncChannel
    /// exec.fifo in the state directory; nil for `run`, which says start over sync.
    let fifoPath: String?
    let consoleSocket: Int32?
    /// Namespaces joined by path, opened by the runtime before clone.
    let joins: [(NamespaceType, Int32)]
    let options: CreateOptions
    /// The state hooks receive on stdin; the pid is filled in by the init.
    let hookBase: ContainerState
    /// The compiled linux.seccomp, installed just before execve.
    let seccomp: SeccompFilter?
    /// Without its file in an init's second stage (PodInit.swift).
    var logger: Logger

    func run() -> Never {
        closeInheritedDescriptors()
        // A second stage's logger has no file: its descriptor is closed.
        var me = self
        do {
            try me.setup()
        } catch {
            // Before ready the runtime is listening; after it, stderr is all there is.
            if (try? sync.send(.error("\(error)"))) == nil { me.logger.error("\(error)") }
            _exit(1)
        }
        _exit(127)
    }

    var linux: Linux? { spec.linux }

    /// The caller may have left descriptors open without CLOEXEC (Foundation's
    /// Process keeps one to notice its child's exit). The init lives on until
    /// `start`, so it must not hold them: keep stdio, the preserved and
    /// LISTEN_FDS range, and the init's own, close the rest now.
    func closeInheritedDescriptors() {
        let passed = 3 + Int32(options.preserveFds + options.listenFds)
        var own = [sync.fd] + joins.map(\.1)
        if let consoleSocket { own.append(consoleSocket) }
        if let fd = logger.fd { own.append(fd) }
        closeDescriptors(from: passed, except: own)
    }

    /// The init's steps, in order; each is one function below.
    mutating func setup() throws {
        let idmapped = try receiveIdmappedMounts()
        try logger.step("init: go")
        let fifos = try openFifos()
        try joinNamespaces()
        try logger.step("init: namespaces joined")
        try setUpNamespaces()
        // The host's /proc is still mounted here, so /proc/self names the
        // init by its pid in the runtime's namespace, which hooks expect.
        var base = hookBase
        base.pid = ContainerInit.hostPid() ?? 0
        let agent = try connectSeccompAgent()
        // Asked of the host's /sys, while it is still in view.
        let label = mountLabel
        var proc = try buildRootfs(idmapped: idmapped)
        try logger.step("init: mounts and devices done")
        try runCreateHooks(base)
        try enterRootfs()
        try logger.step("init: pivot_root done")
        let terminal = try openTerminal()
        if let pidNamespace = podPidNamespace {
            if let process = spec.process, ContainerInit.procfsTakesPidns(pidNamespace) {
                // Born as its user (PodInit.swift): all but the session here, unseen.
                try finishRootfs(proc: try mountProcfs(label: label, pidNamespace: pidNamespace))
                try joinPodPidNamespace(pidNamespace, keeping: fifos, agent: agent, terminal: terminal)
                logger = logger.withoutFile()
                let env = try entering(process, base, agent: agent).prepareBeforeBirth(extraEnv: listenEnv, terminal: terminal)
                base.pid = try cloneSecondStage()
                return try carryOn(base, fifos: fifos, agent: agent, terminal: terminal, prepared: env)
            }
            // Only the second stage, in the joined pid namespace, comes back.
            try joinPodPidNamespace(pidNamespace, keeping: fifos, agent: agent, terminal: terminal)
            logger = logger.withoutFile()
            base.pid = try cloneSecondStage()
            proc = try mountProcfs(label: label)
        }
        try finishRootfs(proc: proc)
        try carryOn(base, fifos: fifos, agent: agent, terminal: terminal)
    }

    /// From the rootfs's completion to exec. `prepared`: the environment
    /// of an init born as its user, whose first stage did the rest of
    /// `prepare` but the session and the program's lookup.
    func carryOn(_ base: ContainerState, fifos: InitFifos, agent: Int32, terminal: Terminal?,
                 prepared: [String]? = nil) throws {
        guard let process = spec.process else {
            // A container without a process can be created; `start` refuses it.
            try sync.send(.ready)
            while true { pause() }
        }
        let enter = entering(process, base, agent: agent)
        let ready: EnterContainer.Ready
        if let prepared {
            try enter.takeTerminal(terminal)
            ready = try enter.locate(prepared)
        } else {
            ready = try enter.prepare(terminal: terminal, extraEnv: listenEnv)
        }
        try logger.step("init: process settings applied; ready")
        try sync.send(.ready)
        try waitForStart(fifos.exec)
        logger.trace("init: started")
        try runStartHooks(base, under: enter, report: fifos.hooksReport)
        close(sync.fd)
        // Only stdio and the preserved descriptors cross into the container.
        let e = try enter.exec(ready, passed: options.preserveFds + options.listenFds, filtered: true)
        logger.error("exec \(ready.executable): \(SystemError.describe(e))")
        _exit(127)
    }
}

extension ContainerInit {
    /// The steps shared with exec, for the init's process; `base.pid` is
    /// what a seccomp agent is told.
    func entering(_ process: Process, _ base: ContainerState, agent: Int32) -> EnterContainer {
        EnterContainer(process: process, linux: linux, seccomp: seccomp, agent: agent, listenerPid: base.pid,
                       state: base, status: .created, ownsStdio: !options.foreground, logger: logger)
    }

    /// --listen-fds: systemd's socket activation variables, for after process.env.
    var listenEnv: [String] { options.listenFds > 0 ? ["LISTEN_FDS=\(options.listenFds)", "LISTEN_PID=1"] : [] }
}

/// exec.fifo's two ends (nil for `run`) and hooks.fifo (-1 without startContainer hooks).
typealias InitFifos = (exec: (reader: Int32, writer: Int32)?, hooksReport: Int32)

extension ContainerInit {
    /// Idmapped mounts come first, made by hako (IdmappedMounts.swift),
    /// until it says go.
    func receiveIdmappedMounts() throws -> [Int: Int32] {
        var idmapped: [Int: Int32] = [:]
        while true {
            switch try sync.receiveWithDescriptor() {
            case (.go?, _): return idmapped
            case let (.mount(k)?, fd?): idmapped[k] = fd
            case let (.error(m)?, _): throw RuntimeError(m)
            case (nil, _): throw RuntimeError("hako exited unexpectedly")
            case let (other?, _): throw RuntimeError("hako: expected go, got \(other.text)")
            }
        }
    }

    /// exec.fifo is opened first: pivot_root will hide the state directory,
    /// and in a new user namespace the switch to its root takes away host
    /// root's ownership of the (0600) fifo. hooks.fifo is held open
    /// read-write so that a report written before `start` reads it stays in
    /// the pipe; -1 without startContainer hooks.
    func openFifos() throws -> InitFifos {
        guard let fifoPath else { return (nil, -1) }
        let r = try sys(open(fifoPath, O_RDONLY | O_NONBLOCK | O_CLOEXEC), "open exec fifo")
        let w = try sys(open(fifoPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC), "open exec fifo")
        var hooksReport: Int32 = -1
        if !spec.hooks.startContainer.isEmpty {
            let path = String(fifoPath.dropLast("exec.fifo".count)) + "hooks.fifo"
            hooksReport = try sys(open(path, O_RDWR | O_CLOEXEC), "open hooks fifo")
        }
        return ((r, w), hooksReport)
    }

    /// The namespaces given by path, user first; then root of a new user namespace.
    func joinNamespaces() throws {
        for (type, fd) in joins.sorted(by: { a, _ in a.0 == .user }) where type != .pid {
            try sys(hk_setns(fd, type.cloneFlag), "join \(type.rawValue) namespace \(linux?.namespace(type)?.path ?? "")")
            close(fd)
        }
        if linux?.namespace(.user) != nil {
            // Maps are written: become root of the new user namespace.
            try sys(hk_setresgid(0, 0, 0), "setresgid 0 in user namespace")
            try sys(hk_setresuid(0, 0, 0), "setresuid 0 in user namespace")
        }
    }

    /// What the new namespaces need before the rootfs: the session keyring,
    /// the cgroup namespace, lo, the host and domain names.
    func setUpNamespaces() throws {
        if !options.noNewKeyring { try EnterContainer.joinSessionKeyring(id: hookBase.id) }
        if let ns = linux?.namespace(.cgroup), ns.path == nil {
            // After the runtime moved us into the container's cgroup, so that
            // the namespace's root is that cgroup.
            try sys(hk_unshare(NamespaceType.cgroup.cloneFlag), "unshare cgroup namespace")
        }
        // A new network namespace starts with lo down; runc and crun bring it
        // up, and programs that talk to 127.0.0.1 rely on that.
        if let ns = linux?.namespace(.network), ns.path == nil {
            try sys(hk_loopback_up(), "bring up lo in the new network namespace")
        }
        if let h = spec.hostname { try sys(hk_sethostname(h, h.utf8.count), "sethostname") }
        if let d = spec.domainname { try sys(hk_setdomainname(d, d.utf8.count), "setdomainname") }
        umask(0)
    }

    /// The seccomp agent's socket is a host path: connect while it is
    /// visible. -1 without a notifying filter.
    func connectSeccompAgent() throws -> Int32 {
        guard seccomp?.notify == true, let path = linux?.seccomp?.listenerPath else { return -1 }
        let agent = hk_connect_unix(path)
        if agent < 0 { throw SpecError("linux.seccomp.listenerPath", SystemError("connect to \(path)").description) }
        return agent
    }

    /// The mounts, devices and cwd, made under the rootfs before pivot_root.
    /// Returns the handle on the procfs mounted on /proc, if any.
    func buildRootfs(idmapped: [Int: Int32]) throws -> ProcfsHandle? {
        if linux?.namespace(.mount) != nil {
            try Rootfs.prepare(rootfsPath, propagation: linux?.rootfsPropagation)
        } else {
            // The container shares hako's mount namespace, yet its mounts
            // must still be made (config.md). They go on a bind mount of
            // the rootfs, which `delete` detaches with everything on it;
            // it also keeps a read-only root from remounting the host's.
            try sys(hk_mount(rootfsPath, rootfsPath, nil, MountFlag.bind | MountFlag.rec, nil), "bind mount rootfs \(rootfsPath)")
        }
        let rootfs = try Rootfs(path: rootfsPath, bundle: bundle)
        defer { close(rootfs.rootFD) }
        if linux?.mountLabel != nil, !SecurityLabels.selinuxEnabled {
            logger.warn("config.json: linux.mountLabel: SELinux is not enabled on this host; not applied")
        }
        let proc = try rootfs.mountAll(spec.mounts, cgroup: cgroup, cgroupNamespace: linux?.namespace(.cgroup) != nil,
                            mountLabel: mountLabel, idmapped: idmapped,
                            sysfsByBind: linux?.namespace(.user) != nil && linux?.namespace(.network) == nil,
                            skipProc: podPidNamespace != nil)
        if !Rootfs.bindsDev(spec.mounts) {
            try rootfs.createDevices(linux?.devices ?? [])
            try rootfs.createDevSymlinks()
        }
        if let cwd = spec.process?.cwd {
            do { close(try rootfs.make(cwd, .directory)) } catch { throw SpecError("process.cwd", "\(error)") }
        }
        return proc
    }

    /// linux.mountLabel, when SELinux can apply it.
    var mountLabel: String? { SecurityLabels.selinuxEnabled ? linux?.mountLabel : nil }

    /// prestart and createRuntime run in hako, createContainer here.
    func runCreateHooks(_ base: ContainerState) throws {
        if !spec.hooks.prestart.isEmpty || !spec.hooks.createRuntime.isEmpty {
            try sync.send(.hooks)
            try sync.expect(.ok, from: "hako")
        }
        guard !spec.hooks.createContainer.isEmpty else { return }
        // In the rootfs, as runc's: hooks rely on it (runc's own tests
        // `touch ./lib/...` there). enterRootfs leaves it for the new root.
        try sys(chdir(rootfsPath), "chdir \(rootfsPath)")
        try HookRunner(state: base.ociJSON(status: .creating)).run(spec.hooks.createContainer, kind: "createContainer")
    }

    /// pivot_root into the rootfs, or chroot without a mount namespace.
    func enterRootfs() throws {
        if linux?.namespace(.mount) != nil {
            try Rootfs.pivot(rootfsPath, noPivot: options.noPivot)
            if let p = linux?.rootfsPropagation { try Rootfs.setPropagation(p) }
        } else {
            try sys(chroot(rootfsPath), "chroot \(rootfsPath)")
            try sys(chdir("/"), "chdir /")
        }
    }

    /// process.terminal: a pty from the container's devpts, its master sent
    /// over the console socket.
    func openTerminal() throws -> Terminal? {
        var terminal: Terminal? = nil
        if let process = spec.process, process.terminal {
            guard let consoleSocket else { throw RuntimeError("process.terminal is true but no --console-socket was given") }
            terminal = try Terminal.setup(consoleSocket: consoleSocket, size: process.consoleSize)
        }
        if let consoleSocket { close(consoleSocket) }
        return terminal
    }

    /// What is done in the container's root once it is entered.
    func finishRootfs(proc: ProcfsHandle?) throws {
        defer { if let proc { close(proc.fd) } }
        try Rootfs.makeDevReadonly(spec.mounts)
        try ProtectedPaths.writeSysctls(linux?.sysctl ?? [], proc: proc)
        let protected = (linux?.readonlyPaths ?? []) + (linux?.maskedPaths ?? [])
        let sysfs = protected.contains { SysfsHandle.relative(cleanPath("/" + $0)) != nil }
            ? try SysfsHandle.open(mounted: spec.mounts.last { cleanPath("/" + $0.destination) == "/sys" }?.type == "sysfs") : nil
        defer { if let sysfs { close(sysfs.fd) } }
        try ProtectedPaths.makeReadonly(linux?.readonlyPaths ?? [], proc: proc, sysfs: sysfs)
        try ProtectedPaths.mask(linux?.maskedPaths ?? [], proc: proc, sysfs: sysfs)
        if spec.root?.readonly == true { try Rootfs.makeRootReadonly() }
    }

    /// Until `start`: a byte on exec.fifo, or start over the sync channel for `run`.
    func waitForStart(_ fifo: (reader: Int32, writer: Int32)?) throws {
        guard let fifo else { return try sync.expect(.start, from: "hako") }
        // A created container dies of SIGHUP, SIGINT, SIGTERM and SIGQUIT
        // as runc's does (its Go runtime exits on them). Without a
        // handler the kernel drops them for a pid namespace's init, and
        // `kill ID TERM` would leave it created for ever. The handlers go
        // before exec (hk_default_signal_handlers).
        for s in [SIGHUP, SIGINT, SIGTERM, SIGQUIT] { signal(s) { _exit(128 + $0) } }
        // Blocks until `hako start` writes a byte; we hold a writer so
        // that the read waits instead of returning end-of-file.
        _ = hk_fcntl_int(fifo.reader, F_SETFL, 0)
        var byte: UInt8 = 0
        let n = retryEINTR { Int32(read(fifo.reader, &byte, 1)) }
        if n != 1 { throw SystemError("read exec fifo") }
        close(fifo.reader)
        close(fifo.writer)
    }

    /// startContainer hooks, under the container's seccomp filter as
    /// runc's are (installLast); `start` reads their outcome, or the
    /// filter's failure, on hooks.fifo.
    func runStartHooks(_ base: ContainerState, under enter: EnterContainer, report: Int32) throws {
        do {
            try enter.installLast()
            try HookRunner(state: base.ociJSON(status: .created)).run(spec.hooks.startContainer, kind: "startContainer")
        } catch {
            if report >= 0 { try? Files.writeAll(report, Array("E\(error)".utf8), "hooks fifo") }
            throw error
        }
        if report >= 0 {
            try? Files.writeAll(report, [0x30], "hooks fifo")
            close(report)
        }
    }

    static func hostPid() -> Int32? {
        var buf = [CChar](repeating: 0, count: 32)
        let n = readlink("/proc/self", &buf, buf.count - 1)
        return n > 0 ? Int32(String(cText: buf)) : nil
    }
}

extension Exec {
    /// execvp's search, done before `start` so a missing program fails `create`.
    /// The words are runc's (Go's exec.LookPath): engines read them to
    /// report 127 (not found) or 126 (cannot be run), docker in
    /// daemon/errors.go translateContainerdStartErr, podman in
    /// libpod/oci_util.go getOCIRuntimeError.
    static func find(_ name: String, env: [String]) throws -> String {
        if name.isEmpty { throw SpecError("process.args", "must not be empty") }
        if name.contains("/") {
            if let why = notRunnable(name, stat: { stat($0, &$1) }) { throw SpecError("process.args[0]", why) }
            return name
        }
        let path = env.last(where: { $0.hasBytePrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if notRunnable(candidate, stat: { stat($0, &$1) }) == nil { return candidate }
        }
        throw SpecError("process.args[0]", Exec.notFoundInPath(name))
    }

    static func notFoundInPath(_ name: String) -> String { "exec: \"\(name)\": executable file not found in $PATH" }

    /// Why `path` cannot be executed, in runc's words, or nil: a regular
    /// file with an execute bit. A directory or a file without one is
    /// "permission denied", as execve would say.
    static func notRunnable(_ path: String, stat statFn: (String, inout stat) -> Int32) -> String? {
        var st = stat()
        if statFn(path, &st) != 0 {
            let e = SystemError.describe(errno == 0 ? ENOENT : errno)
            return "exec: \"\(path)\": stat \(path): \(e.prefix(1).lowercased() + e.dropFirst())"
        }
        if (st.st_mode & S_IFMT) == S_IFDIR || (st.st_mode & 0o111) == 0 { return "exec: \"\(path)\": permission denied" }
        return nil
    }
}
