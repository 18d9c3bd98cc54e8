// The container lifecycle (runtime.md "Lifecycle" and "Operations"), as the
// runc command line exposes it: create, start, state, kill, delete, and run,
// which is create + start + wait + delete.
import CNamespaces
import Glibc

public struct CreateOptions {
    public var bundle: String = "."
    public var pidFile: String?
    public var consoleSocket: String?
    public var preserveFds = 0
    /// Descriptors passed by socket activation (LISTEN_FDS), kept after preserveFds.
    public var listenFds = 0
    public var noPivot = false
    public var noNewKeyring = false
    /// `run` in the foreground: start is said over the sync channel, not exec.fifo.
    var foreground = false
    /// PR_SET_CHILD_SUBREAPER, as runc (off with run's --no-subreaper): the
    /// container's orphans come back to hako, which reaps them, instead of
    /// staying zombies in its cgroup while the host's init takes its time.
    public var subreaper = true
    public init() {}
}

public struct Runtime {
    public let store: StateStore
    public let logger: Logger

    public init(root: String, logger: Logger) {
        store = StateStore(root: root)
        self.logger = logger
    }

    // MARK: create

    /// A container whose init waits for start; `sync` stays open for `run`.
    struct Created {
        let pid: Int32
        let sync: SyncChannel
        let state: ContainerState
        /// process.terminal in the foreground without --console-socket:
        /// the master comes to hako (Terminal/Foreground.swift).
        var terminal: ForegroundTerminal? = nil
    }

    public func create(id: String, options: CreateOptions) throws {
        let c = try create(id: id, options: options, keepSync: false)
        close(c.sync.fd)
    }

    func create(id: String, options: CreateOptions, keepSync: Bool) throws -> Created {
        try StateStore.validate(id: id)
        let bundle = absolutePath(options.bundle)
        let configPath = bundle + "/config.json"
        let bytes: [UInt8]
        do { bytes = try Files.read(configPath) } catch {
            throw RuntimeError("cannot read \(configPath): \(error)")
        }
        try logger.step("config.json read")
        let spec = try Spec.parse(bytes)
        try logger.step("config parsed")
        let rootfsPath = try Runtime.validate(spec, bundle: bundle, options: options, logger: logger)
        if options.subreaper { _ = hk_prctl(HK_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }

        let dir = try store.createLocked(id: id)
        var undo = Undo()
        undo.add { dir.remove() }
        do {
            try logger.step("state directory locked")
            try dir.keepConfig(bytes)
            let created = try spawn(id: id, spec: spec, bundle: bundle, rootfsPath: rootfsPath, dir: dir,
                                    options: options, undo: &undo)
            if !keepSync { close(created.sync.fd) }
            dir.unlock()
            return created
        } catch {
            undo.run()
            throw error
        }
    }

    /// Checks what must hold before anything is made; returns the rootfs
    /// path. The root comes last: `hako check` cuts out each value that
    /// stops this and runs it again, and a missing root stops it for good,
    /// so whatever is checked after the root was never reported with it.
    static func validate(_ spec: Spec, bundle: String, options: CreateOptions, logger: Logger = .silent) throws -> String {
        if let p = spec.process { try validateProcess(p, options: options, logger: logger) }
        try validateLinux(spec)
        guard let root = spec.root else { throw SpecError("root", "is required") }
        let rootfs = root.path.hasBytePrefix("/") ? cleanPath(root.path) : joinPath(bundle, root.path)
        if !Files.isDirectory(rootfs) { throw SpecError("root.path", "\(rootfs) is not a directory") }
        return rootfs
    }

    static func validateProcess(_ p: Process, options: CreateOptions, logger: Logger) throws {
        try SecurityLabels.validate(p, logger: logger)
        if p.args.isEmpty { throw SpecError("process.args", "must have at least one entry") }
        if p.terminal, options.consoleSocket == nil {
            // runc's rule and words: a detached container's terminal
            // must go to someone; in the foreground hako relays it, to
            // a terminal that must exist before anything is made.
            guard options.foreground else {
                throw SpecError("process.terminal", "cannot allocate tty if hako will detach without setting console socket (--console-socket)")
            }
            try HostConsole.find(field: "config.json: process.terminal").close()
        }
    }

    static func validateLinux(_ spec: Spec) throws {
        let linux = spec.linux
        // A joined uts namespace may be named too, as runc allows: the
        // config then sets the hostname of the namespace it shares.
        if spec.hostname != nil, linux?.namespace(.uts) == nil {
            throw SpecError("hostname", "needs a uts namespace in linux.namespaces")
        }
        if spec.domainname != nil, linux?.namespace(.uts) == nil {
            throw SpecError("domainname", "needs a uts namespace in linux.namespaces")
        }
        if let l = linux, !l.netDevices.isEmpty {
            throw SpecError("linux.netDevices", "moving host network devices into the container is not supported yet")
        }
        if linux?.intelRdt != nil { throw SpecError("linux.intelRdt", "Intel RDT (resctrl) is not supported") }
        if let l = linux, !l.timeOffsets.isEmpty, l.namespace(.time) == nil || l.namespace(.time)?.path != nil {
            throw SpecError("linux.timeOffsets", "needs a new time namespace in linux.namespaces")
        }
        // runc's rule and words: an unprivileged caller cannot make the
        // other namespaces (clone would fail with EPERM) without a user one.
        if geteuid() != 0, linux?.namespace(.user) == nil {
            throw SpecError("linux.namespaces", "rootless container requires user namespaces (hako runs as uid \(geteuid()))")
        }
        if let user = linux?.namespace(.user), user.path == nil, linux?.uidMappings.isEmpty != false {
            throw SpecError("linux.uidMappings", "are required for a new user namespace")
        }
        for m in spec.mounts where m.isIdmapped && m.uidMappings.isEmpty {
            // idmap without mappings of its own takes the container's.
            if linux?.namespace(.user) == nil || linux?.namespace(.user)?.path != nil {
                throw SpecError(m.path + ".options", "idmap without the mount's own uidMappings needs a new user namespace (linux.namespaces, linux.uidMappings)")
            }
        }
        try Sysctl.validate(spec)
        try ContainerInit.validatePodMounts(spec)
        try UserNamespace.validateIDs(spec)
    }

    /// create's steps, from the state directory to an init waiting for start.
    func spawn(id: String, spec: Spec, bundle: String, rootfsPath: String, dir: ContainerDir,
               options: CreateOptions, undo: inout Undo) throws -> Created {
        let linux = spec.linux
        var cgroup = CgroupDrivers.forCreate(cgroupsPath: linux?.cgroupsPath, id: id)
        var intent = try recordIntent(id: id, linux: linux, bundle: bundle, rootfsPath: rootfsPath,
                                      cgroup: cgroup, dir: dir, undo: &undo)
        try makeCgroup(&cgroup, linux: linux, undo: &undo)
        let seccomp = try compileSeccomp(spec)
        let fifoPath = try makeFifos(spec, dir: dir, options: options)
        let (consoleFD, foregroundTerminal) = try openConsole(spec, options: options, undo: &undo)
        defer { if let consoleFD { close(consoleFD) } }
        let (joins, flags) = try openNamespaces(linux)
        defer { for (_, fd) in joins { close(fd) } }
        let (parentEnd, childEnd) = try socketPair()
        let sync = SyncChannel(fd: parentEnd)
        var base = ContainerState(
            id: id, pid: 0, bundle: bundle, rootfs: rootfsPath, annotations: spec.annotations, pidStartTime: 0,
            cgroups: cgroup.directories, cgroupPath: cgroup.path, ownPidNamespace: linux?.namespace(.pid)?.path == nil && linux?.namespace(.pid) != nil,
            poststop: spec.json["hooks"]?["poststop"] ?? .array([]), freezer: cgroup.freezerFile,
            hasProcess: spec.process != nil, poststart: spec.json["hooks"]?["poststart"] ?? .array([]),
            rootfsMountBelow: intent.rootfsMountBelow, created: intent.created, owner: intent.owner)
        base.noNewKeyring = options.noNewKeyring
        let (cloned, joinedAtClone) = try cloneInit(spec, cgroup: cgroup, flags: flags, joins: joins, parentEnd: parentEnd,
                                                    childEnd: childEnd, dir: dir, undo: &undo) {
            ContainerInit(spec: spec, rootfsPath: rootfsPath, bundle: bundle, cgroup: cgroup, sync: SyncChannel(fd: childEnd), fifoPath: fifoPath,
                          // A user namespace is joined by cloneInit's helper, never by the init.
                          consoleSocket: consoleFD, joins: joins.filter { $0.0 != .user }, options: options, hookBase: base,
                          seccomp: seccomp, logger: logger).run()
        }
        try logger.step("init cloned")
        var state = try startInit(cloned, spec: spec, bundle: bundle, base: base, intent: &intent, cgroup: cgroup,
                                  joinedAtClone: joinedAtClone, dir: dir, sync: sync)
        let pid = try awaitReady(cloned, spec: spec, state: state, intent: &intent, dir: dir, sync: sync, undo: &undo)
        try logger.step("init ready")
        state.pid = pid
        state.pidStartTime = intent.initStartTime
        try dir.write(state)
        try logger.step("state written")
        if let pidFile = options.pidFile {
            try Files.writeAtomically(absolutePath(pidFile), String(decimal: pid), mode: 0o644)
        }
        return Created(pid: pid, sync: sync, state: state, terminal: foregroundTerminal)
    }

    /// Written before anything is made: whatever point a SIGKILL stops
    /// create at, delete finds all it may have made (Intent.swift).
    func recordIntent(id: String, linux: Linux?, bundle: String, rootfsPath: String, cgroup: any CgroupDriver,
                      dir: ContainerDir, undo: inout Undo) throws -> CreateIntent {
        var rootfsMount: Int? = nil
        if linux?.namespace(.mount) == nil {
            // The init mounts on a bind of the rootfs in our namespace
            // (Init.swift); only that bind is ever detached, never a mount
            // the rootfs already was.
            guard let below = Files.mountID(rootfsPath) else { throw SystemError("find the mount of \(rootfsPath)") }
            rootfsMount = below
            undo.add { Runtime.detachRootfsBind(rootfsPath, below: below) }
        }
        var intent = CreateIntent(id: id)
        intent.bootID = CreateIntent.currentBootID()
        intent.creator = (getpid(), ProcessInfo(pid: getpid())?.startTime ?? 0)
        intent.bundle = bundle
        intent.rootfs = rootfsPath
        intent.created = Clock.rfc3339Now()
        intent.owner = ContainerState.userName(getuid())
        intent.cgroupPath = cgroup.path
        intent.cgroups = cgroup.directories
        intent.made = cgroup.plannedDirectories()
        intent.freezer = cgroup.freezerFile
        intent.rootfsMountBelow = rootfsMount
        intent.ownPidNamespace = linux?.namespace(.pid)?.path == nil && linux?.namespace(.pid) != nil
        try dir.writeIntent(intent)
        try logger.step("intent recorded")
        return intent
    }

    /// The container's cgroup, made and limited; none for rootless hako
    /// that may make none.
    func makeCgroup(_ cgroup: inout any CgroupDriver, linux: Linux?, undo: inout Undo) throws {
        var madeCgroups: [String] = []
        do {
            madeCgroups = try cgroup.create()
        } catch let e as SystemError where Rootless.active && [EACCES, EPERM, EROFS].contains(e.errno) {
            // Rootless without a delegated cgroup: the container runs in
            // the caller's cgroup, as with crun; limits cannot be kept.
            if linux?.resources?.hasLimits == true {
                logger.warn("linux.resources ignored: no cgroup can be created without root on the host (\(e))")
            } else {
                logger.debug("rootless: no cgroup (\(e))")
            }
            cgroup = CgroupDrivers.none(path: cgroup.path)
        }
        undo.add { [cgroup, madeCgroups] in cgroup.removeMade(madeCgroups) }
        // An existing cgroup may be frozen: the init would stop at its first
        // step and create would never return. runc refuses it the same way.
        if let state = cgroup.freezerState, state != .thawed, let f = cgroup.freezerFile {
            throw SpecError("linux.cgroupsPath", "container's cgroup unexpectedly frozen (\(f)); thaw it first")
        }
        try logger.step("cgroup created")
        if cgroup.exists {
            try cgroup.apply(linux?.resources, prefix: "linux.resources", logger: logger)
        }
        try logger.step("cgroup resources written")
    }

    /// Compiled (or taken from the cache) here, before clone: the init
    /// only installs the bytes.
    func compileSeccomp(_ spec: Spec) throws -> SeccompFilter? {
        guard let s = spec.linux?.seccomp, let profile = spec.json["linux"]?["seccomp"] else { return nil }
        let seccomp = try SeccompFilter(s, profile: profile, cacheDir: store.seccompCache, logger: logger)
        try logger.step("seccomp filter ready")
        return seccomp
    }

    /// exec.fifo, which `start` writes, and hooks.fifo for startContainer's
    /// outcome; none for `run` in the foreground. Returns exec.fifo's path.
    func makeFifos(_ spec: Spec, dir: ContainerDir, options: CreateOptions) throws -> String? {
        if options.foreground { return nil }
        try sys(mkfifoat(dir.fd, "exec.fifo", 0o600), "mkfifo exec.fifo")
        if !spec.hooks.startContainer.isEmpty {
            try sys(mkfifoat(dir.fd, "hooks.fifo", 0o600), "mkfifo hooks.fifo")
        }
        return dir.fifoPath
    }

    /// The console socket, or a terminal hako relays in the foreground.
    func openConsole(_ spec: Spec, options: CreateOptions, undo: inout Undo) throws -> (Int32?, ForegroundTerminal?) {
        if let sock = options.consoleSocket {
            let fd = hk_connect_unix(sock)
            if fd < 0 { throw SystemError("connect to console socket \(sock)") }
            return (fd, nil)
        } else if options.foreground, spec.process?.terminal == true {
            let t = try ForegroundTerminal.open()
            undo.add { t.close() }
            return (try t.theirsCopy(), t)
        }
        return (nil, nil)
    }

    /// The namespaces to join, opened and checked, and the clone flags of the new ones.
    func openNamespaces(_ linux: Linux?) throws -> ([(NamespaceType, Int32)], Int32) {
        var joins: [(NamespaceType, Int32)] = []
        var flags: Int32 = 0
        do {
            for (k, ns) in (linux?.namespaces ?? []).enumerated() {
                if let path = ns.path {
                    let fd = open(path, O_RDONLY | O_CLOEXEC)
                    if fd < 0 { throw SpecError("linux.namespaces[\(k)].path", SystemError("open \(path)").description) }
                    joins.append((ns.type, fd))
                    // config-linux.md: an error if path is not a namespace of this type.
                    if hk_ns_type(fd) != ns.type.cloneFlag {
                        throw SpecError("linux.namespaces[\(k)].path", "\(path) is not a \(ns.type.rawValue) namespace")
                    }
                } else if ns.type != .cgroup && ns.type != .time {
                    // cgroup: unshared by the init once it is in its cgroup;
                    // time: clone cannot take it (see TimeNamespace).
                    flags |= ns.type.cloneFlag
                }
            }
        } catch {
            for (_, fd) in joins { close(fd) }
            throw error
        }
        return (joins, flags)
    }

    /// Clones the init, which runs `child`, in the new namespaces (and, on
    /// cgroup v2, in its cgroup); returns its pid and whether it was born there.
    func cloneInit(_ spec: Spec, cgroup: any CgroupDriver, flags: Int32, joins: [(NamespaceType, Int32)], parentEnd: Int32,
                   childEnd: Int32, dir: ContainerDir, undo: inout Undo, child: () -> Never) throws -> (Int32, Bool) {
        let linux = spec.linux
        // Joining a pid namespace only affects children: enter it for the
        // clone and step back out, so that hooks still run in ours.
        let pidJoin = joins.first { $0.0 == .pid }?.1
        // Joining a user namespace: the new namespaces are made from inside
        // it, by a helper that also joins the pid namespace (JoinedUserNamespace).
        let userJoin = joins.first { $0.0 == .user }?.1
        var ownPid: Int32 = -1
        // An init born in two stages joins it itself, once it holds nothing of the host's.
        if let pidJoin, userJoin == nil, !ContainerInit.bornInTwoStages(linux) {
            ownPid = try sys(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC), "open /proc/self/ns/pid")
            try sys(hk_setns(pidJoin, NamespaceType.pid.cloneFlag), "join pid namespace")
        }
        let time = linux?.namespace(.time).flatMap { $0.path == nil ? $0 : nil } == nil ? nil
            : try TimeNamespace.prepareForChildren(offsets: linux?.timeOffsets ?? [])
        try ProcessSettings.setAffinity(spec.process?.execCPUAffinity?.initial, field: "initial")
        // CVE-2019-5736: an init in a pid namespace that others share is
        // visible to them until its execve; see ExecProcess for the reason,
        // which holds for an init joining another container's user
        // namespace as much as for one without a user namespace. Without a
        // user namespace the container's root is the host's, and a process
        // exec'd into a created container would reach the waiting init's
        // descriptors (the --log file, the caller's stdio) through
        // /proc/1/fd; non-dumpable, they are closed to it. An init joining
        // another's user namespace is the host's root until its setresuid,
        // open to that container's CAP_SYS_PTRACE as an exec is. (With a new
        // user namespace the init must stay dumpable to write its own
        // /proc/self files as the container's root, and those descriptors
        // are the host root's files, which that root cannot open.)
        // A new user namespace whose root is the host's root (uid 0 mapped
        // to 0) is no barrier either: setresuid changes nothing, so the init
        // would stay dumpable and its host descriptors open to the
        // container's CAP_SYS_PTRACE (the cold attack's finding B); its own
        // /proc/self files stay the container root's, who is the host's.
        let user = linux?.namespace(.user)
        let rootIsHostRoot = linux?.uidMappings.contains { $0.containerID == 0 && $0.hostID == 0 && $0.size > 0 } ?? false
        if user == nil || user?.path != nil || rootIsHostRoot || linux?.namespace(.pid).map({ $0.path != nil }) ?? true {
            _ = hk_prctl(HK_PR_SET_DUMPABLE, 0, 0, 0, 0)
        }
        // On cgroup v2 the init starts inside its cgroup (clone3 with
        // CLONE_INTO_CGROUP): it is never, even briefly, in ours.
        var joinedAtClone = false
        var pid: Int32 = -1
        func initBody() -> Never {
            close(parentEnd)
            // The lock's descriptor was copied by clone; holding it would
            // block `start` until exec.
            dir.unlock()
            child()
        }
        var cgfd: Int32 = -1
        if let dir = cgroup.cloneTarget {
            // Older kernels lack clone3 or CLONE_INTO_CGROUP: plain clone then.
            cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        var cloneError: Error? = nil
        if let userJoin {
            do {
                (pid, joinedAtClone) = try CloneInside.clone(flags: flags, cgroupFD: cgfd >= 0 ? cgfd : nil,
                                                             enter: { _ in try JoinedUserNamespace.enter(user: userJoin, pidNamespace: pidJoin) },
                                                             body: initBody)
            } catch { cloneError = error }
        } else {
            if cgfd >= 0 {
                pid = hk_clone3(UInt64(UInt32(bitPattern: flags)), cgfd)
                joinedAtClone = pid >= 0
            }
            if pid < 0 { pid = hk_clone(UInt(UInt32(bitPattern: flags))) }
            if pid == 0 { initBody() }
        }
        let cloneErrno = errno
        if cgfd >= 0 { close(cgfd) }
        logger.trace("cloned init \(pid)")
        // Hooks run by us from now on stay in our own time namespace.
        time?.restore()
        close(childEnd)
        if ownPid >= 0 {
            _ = hk_setns(ownPid, NamespaceType.pid.cloneFlag)
            close(ownPid)
        }
        if pid < 0 {
            close(parentEnd)
            throw cloneError ?? SystemError("clone", errno: cloneErrno)
        }
        undo.add {
            close(parentEnd)
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = retryEINTR { waitpid(pid, &status, 0) }
        }
        return (pid, joinedAtClone)
    }

    /// Records the init, writes its id maps, moves it into its cgroup,
    /// sends the idmapped mounts and tells it to go on. Returns the state
    /// hooks are given.
    func startInit(_ pid: Int32, spec: Spec, bundle: String, base: ContainerState, intent: inout CreateIntent,
                   cgroup: any CgroupDriver, joinedAtClone: Bool, dir: ContainerDir, sync: SyncChannel) throws -> ContainerState {
        let linux = spec.linux
        // Before the init is told to go on: an init hako dies before
        // recording exits by itself when its sync channel closes.
        intent.initPid = pid
        intent.initStartTime = ProcessInfo(pid: pid)?.startTime ?? 0
        try dir.appendIntent(intent.initLine)
        try logger.step("init recorded")

        if let linux, linux.namespace(.user) != nil, linux.namespace(.user)?.path == nil {
            try UserNamespace.writeMaps(pid: pid, uid: linux.uidMappings, gid: linux.gidMappings, logger: logger)
        }
        if !joinedAtClone { try cgroup.add(pid: pid) }
        // Binds cloned by hako need the host's root, which rootless hako is not.
        let hostBinds = linux?.namespace(.user) != nil && geteuid() == 0 && !Rootless.inUserNamespace()
        try IdmappedMounts.send(spec.mounts, bundle: bundle, initPid: pid, hostBinds: hostBinds, over: sync)
        var state = base
        state.pid = pid
        if spec.hooks.runDuringCreate {
            // A hook may ask `hako state` about this container (readers take
            // no lock): it must find it, "creating", while create runs.
            state.pidStartTime = intent.initStartTime
            state.creating = true
            try dir.write(state)
            state.creating = false
        }
        try sync.send(.go)
        try logger.step("id maps and cgroup done; init goes on")
        return state
    }

    /// Until the init is ready, running prestart and createRuntime when it
    /// asks. Returns the init's pid: an init born in two stages sends it.
    func awaitReady(_ pid: Int32, spec: Spec, state: ContainerState, intent: inout CreateIntent,
                    dir: ContainerDir, sync: SyncChannel, undo: inout Undo) throws -> Int32 {
        var pid = pid
        // The hook recorder below captures it, which an inout cannot be.
        var working = intent
        defer { intent = working }
        while true {
            switch try sync.receive() {
            case let .pid(second)?:
                pid = try adoptSecondStage(second, first: pid, intent: &working, dir: dir, undo: &undo)
                continue
            case .hooks?:
                // prestart predates the creating state (runtime-spec 1.0 ran it
                // right before start); crun and the validation suite give it
                // "created". createRuntime is part of create: "creating".
                // Each hook is recorded before it runs: a create killed in a
                // hook leaves a group that delete finds and kills.
                let record: (Int32) throws -> Void = { hookPid in
                    working.hook = (hookPid, ProcessInfo(pid: hookPid)?.startTime ?? 0)
                    try dir.appendIntent(working.hookLine)
                }
                try HookRunner(state: state.ociJSON(status: .created), started: record).run(spec.hooks.prestart, kind: "prestart")
                try HookRunner(state: state.ociJSON(status: .creating), started: record).run(spec.hooks.createRuntime, kind: "createRuntime")
                if working.hook.pid > 0 {
                    working.hook = (0, 0)
                    try dir.appendIntent(working.hookLine)
                }
                try logger.step("prestart and createRuntime hooks done")
                try sync.send(.ok)
                continue
            case .ready?: break
            case let .error(m)?: throw RuntimeError(m)
            case nil: throw RuntimeError("container init exited during setup: \(Runtime.reap(pid))")
            case let other?: throw RuntimeError("unexpected message from init: \(other.text)")
            }
            break
        }
        return pid
    }

    /// The real init, cloned by the first stage as our child (PodInit.swift):
    /// the first stage is reaped, the init recorded and killed on failure.
    func adoptSecondStage(_ pid: Int32, first: Int32, intent: inout CreateIntent, dir: ContainerDir,
                          undo: inout Undo) throws -> Int32 {
        guard pid > 0, pid != first else { throw RuntimeError("the init's first stage sent pid \(pid)") }
        undo.add {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = retryEINTR { waitpid(pid, &status, 0) }
        }
        var status: Int32 = 0
        _ = retryEINTR { waitpid(first, &status, 0) }
        intent.initPid = pid
        intent.initStartTime = ProcessInfo(pid: pid)?.startTime ?? 0
        try dir.appendIntent(intent.initLine)
        try logger.step("second stage recorded")
        return pid
    }

    /// Detaches the bind mount the init put on the rootfs, with all the
    /// container's mounts on it, if it is still there.
    static func detachRootfsBind(_ rootfs: String, below: Int) {
        guard let now = Files.mountID(rootfs), now != below else { return }
        _ = hk_umount2(rootfs, HK_MNT_DETACH)
    }

    static func reap(_ pid: Int32) -> String {
        var status: Int32 = 0
        return retryEINTR({ waitpid(pid, &status, 0) }) == pid ? Exec.describe(status: status) : "unknown status"
    }

    // MARK: state

    public func status(of state: ContainerState, in dir: ContainerDir) -> Status {
        guard let info = ProcessInfo(pid: state.pid), info.isAlive, info.startTime == state.pidStartTime else {
            return .stopped
        }
        if state.creating { return .creating }
        if faccessat(dir.fd, "exec.fifo", F_OK, 0) == 0 { return .created }
        if state.cgroup.freezerState == .frozen { return .paused }
        return .running
    }

    /// What a state directory says, whatever shape it is in: state.json;
    /// or, when a create was interrupted or state.json is damaged, what the
    /// intent record can stand in for. An interrupted create is "creating"
    /// while its hako lives and "stopped" after; with a damaged state.json
    /// the recorded init says whether the container runs.
    func inspect(_ dir: ContainerDir) throws -> (ContainerState, Status) {
        let stateError: Error
        do {
            let s = try dir.read()
            return (s, status(of: s, in: dir))
        } catch { stateError = error }
        let intent = dir.readIntent()
        if dir.hasState {
            guard let intent else { throw stateError }
            logger.warn("\(stateError); using the intent record")
            let s = intent.standIn()
            return (s, status(of: s, in: dir))
        }
        var s = intent?.standIn() ?? CreateIntent(id: dir.id).standIn()
        let creating = intent?.creatorAlive ?? false
        if !creating { s.pid = 0 }
        return (s, creating ? .creating : .stopped)
    }

    public func state(id: String) throws -> JSON {
        let dir = try store.openForReading(id: id)
        defer { dir.unlock() }
        let (s, st) = try inspect(dir)
        return s.ociJSON(status: st)
    }

    public func list() -> [JSON] {
        store.ids().compactMap { id in
            guard let dir = try? store.openForReading(id: id) else { return nil }
            defer { dir.unlock() }
            guard let (s, st) = try? inspect(dir) else {
                // Nothing readable: still a container, which only delete removes.
                return CreateIntent(id: id).standIn().ociJSON(status: .stopped)
            }
            return s.ociJSON(status: st)
        }
    }

    // MARK: start

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

    // MARK: kill

    public func kill(id: String, signal: Int32, all: Bool) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        // runc's words: containerd's shim (pkg/process checkKillError) maps
        // "container not running" to NotFound, which its CRI ignores when it
        // stops a pod whose process has exited. With --all runc signals
        // whatever is left in the cgroup and succeeds.
        if st == .stopped, !all { throw RuntimeError("container not running") }
        let cgroup = s.cgroup
        if all, cgroup.exists {
            cgroup.signalAll(signal)
            // Signal 0 only asks whether they are alive: a paused container stays paused.
            if st == .paused, signal != 0 { cgroup.thaw() }
        } else {
            try Runtime.signal(s, signal)
        }
    }

    /// Signals the init through a pidfd, so a recycled pid is never hit.
    static func signal(_ s: ContainerState, _ sig: Int32) throws {
        let pidfd = hk_pidfd_open(s.pid, 0)
        if pidfd < 0 { throw SystemError("pidfd_open \(s.pid)") }
        defer { close(pidfd) }
        guard ProcessInfo(pid: s.pid)?.startTime == s.pidStartTime else { throw RuntimeError("container not running") }
        try sys(hk_pidfd_send_signal(pidfd, sig), "kill \(s.pid)")
    }

    // MARK: delete

    public func delete(id: String, force: Bool) throws {
        if force { stopCreator(id: id) }
        let dir: ContainerDir
        do { dir = try store.openLocked(id: id) } catch {
            // containerd's shim deletes with --force after delete: not an error.
            if force, !Files.isDirectory(store.root + "/" + id) {
                try StateStore.validate(id: id)
                return
            }
            throw error
        }
        let (s, st): (ContainerState, Status)
        do { (s, st) = try inspect(dir) } catch {
            // Damaged, and no intent record to say what to kill: runc's answer.
            dir.unlock()
            throw RuntimeError("\(error): cannot tell which processes and cgroups are the container's; state kept")
        }
        let complete = (try? dir.read()) != nil
        if st != .stopped, !force {
            dir.unlock()
            throw RuntimeError("cannot delete container \"\(id)\" that is not stopped: \(st.rawValue)")
        }
        // Only what lies in the recorded cgroup's bounds (CgroupBounds.swift).
        // One look at the host's hierarchies serves both (each is a directory list and a statfs per mount).
        let layout = CgroupLayout.detect()
        let failures = tearDown(s.confined(layout), intent: dir.readIntent()?.confined(layout), complete: complete)
        if !failures.isEmpty {
            dir.unlock()
            throw RuntimeError("cannot delete container \"\(id)\": \(failures.joined(by: "; ")); state kept for another delete --force")
        }
        if complete, let hooks = try? Field(s.poststop, path: "hooks.poststop").array().map(Hook.init) {
            HookRunner(state: s.ociJSON(status: .stopped)).runAll(hooks, kind: "poststop", logger: logger)
        } else if dir.hasState {
            // The hooks were only in the damaged file: say so, not silently skip them.
            logger.warn("container \"\(id)\": removed from its intent record; state.json is damaged, so its poststop hooks (if any) were not run")
        }
        dir.remove()
    }

    /// delete --force of a container still being created: its create holds
    /// the lock, and may sit in a hook for as long as the hook likes. The
    /// creator is killed (through a pidfd, once its start time is checked),
    /// so the lock comes free at once, and tearDown kills what is left of
    /// the hook's group. runc and crun answer at once too.
    func stopCreator(id: String) {
        guard (try? StateStore.validate(id: id)) != nil,
              let dir = try? ContainerDir(path: store.root + "/" + id, id: id, lock: false) else { return }
        defer { dir.unlock() }
        // Most deletes follow a create whose hako is long gone: the record
        // says so before state.json need be read.
        guard let intent = dir.readIntent(), intent.creatorAlive, intent.creator.pid != getpid(),
              let (_, st) = try? inspect(dir), st == .creating else { return }
        let pidfd = hk_pidfd_open(intent.creator.pid, 0)
        guard pidfd >= 0 else { return }
        defer { close(pidfd) }
        guard CreateIntent.alive(intent.creator.pid, intent.creator.startTime) else { return }
        _ = hk_pidfd_send_signal(pidfd, SIGKILL)
        var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        _ = retryEINTR { poll(&p, 1, 5_000) }
    }

    /// Removes what the container made, from state.json or, for a create
    /// that never finished or a damaged state.json, from the intent record:
    /// kills its processes, waits for its cgroups to empty, detaches the
    /// rootfs bind, removes its cgroups. Returns what could not be done.
    func tearDown(_ s: ContainerState, intent: CreateIntent?, complete: Bool) -> [String] {
        var failures: [String] = []
        // Recorded before a reboot: what it names died with that kernel, and
        // a cgroup or pid of the same name now is someone else's.
        if let intent, !intent.thisBoot { return [] }
        // Every process is killed in a cgroup that is the container's own:
        // one its create made. A cgroup that existed before (one the bundle
        // merely named) is shared with whoever was there, pid namespace or
        // not, and those are not the container's to kill (the cold attack's
        // finding A: a host sleep died and its cgroups went).
        var killable: [String] = []
        if let intent { killable = intent.ownCgroups }
        let initPid = s.pid
        let pidfd = initPid > 0 ? hk_pidfd_open(initPid, 0) : -1
        defer { if pidfd >= 0 { close(pidfd) } }
        let sameInit = pidfd >= 0 && CreateIntent.alive(initPid, s.pidStartTime)
        // Most deletes follow a process that has exited: its cgroups are
        // empty then and go at the first rmdir, without reading who is in
        // each hierarchy (rmdir refuses a cgroup with processes or children).
        let cgroup = s.cgroup
        let gone = sameInit ? [] : cgroup.removeIfEmpty()
        killable.removeAll { gone.contains($0) }
        if sameInit { _ = hk_pidfd_send_signal(pidfd, SIGKILL) }
        cgroup.killAll(in: killable)
        if let intent, !intent.creatorAlive { failures += Runtime.killHook(intent) }
        cgroup.thaw()
        if sameInit {
            var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            if retryEINTR({ poll(&p, 1, 10_000) }) != 1 { failures.append("init \(initPid) did not exit after SIGKILL") }
        }
        if let below = s.rootfsMountBelow, !s.rootfs.isEmpty {
            // Each detach takes off one bind (with all mounts on it).
            var tries = 0
            while let now = Files.mountID(s.rootfs), now != below, tries < 16 {
                _ = hk_umount2(s.rootfs, HK_MNT_DETACH)
                tries += 1
            }
            if let now = Files.mountID(s.rootfs), now != below { failures.append("\(s.rootfs) is still mounted") }
        }
        // Removed, child cgroups first, once empty (CgroupDriver.destroy).
        failures += cgroup.destroy(own: killable, gone: gone, made: intent?.made ?? [])
        return failures
    }

    /// Kills what is left of a hook the dead creator was running (the
    /// kernel killed the hook itself with its parent; its children live
    /// on in its process group) and waits for them, bounded: 5 s.
    static func killHook(_ intent: CreateIntent) -> [String] {
        var left = intent.hookProcesses
        var rounds = 0
        while !left.isEmpty, rounds < 1000 {
            for pid in left { Glibc.kill(pid, SIGKILL) }
            while waitpid(-1, nil, WNOHANG) > 0 {}
            usleep(5000)
            rounds += 1
            left = intent.hookProcesses
        }
        return left.isEmpty ? [] : ["hook processes \(left.map { String(decimal: $0) }.joined(by: " ")) did not exit after SIGKILL"]
    }

    // MARK: run

    /// create + start; in the foreground, waits and returns the exit code
    /// (128+N for a signal), forwarding signals to the container.
    /// `keep`: the stopped container stays, for `state` and a later `delete` (runc's --keep).
    public func run(id: String, options: CreateOptions, detach: Bool, keep: Bool = false) throws -> Int32 {
        if detach {
            try create(id: id, options: options)
            try start(id: id)
            return 0
        }
        var opts = options
        opts.foreground = true
        // Blocked before clone so no signal is lost; the init unblocks before exec.
        _ = hk_block_all_signals()
        let c = try create(id: id, options: opts, keepSync: true)
        defer { c.terminal?.close() }
        var relay: Relay? = nil
        do {
            relay = try c.terminal?.attach(field: "config.json: process.terminal")
            try c.sync.send(.start)
        } catch {
            relay?.end()
            close(c.sync.fd)
            try? delete(id: id, force: true)
            throw error
        }
        close(c.sync.fd)
        runPoststart(c.state)
        // Reap everything: hooks are our children too.
        let exited: () -> Int32? = {
            while true {
                var st: Int32 = 0
                let r = waitpid(-1, &st, WNOHANG)
                if r <= 0 { return nil }
                if r == c.pid { return st }
            }
        }
        let status: Int32
        if let relay {
            status = relay.run(forwardingTo: c.pid, exited: exited)
            relay.end()
        } else {
            status = Relay.waitForExit(c.pid, exited)
        }
        if !keep { try? delete(id: id, force: true) }
        return Exec.exitCode(status)
    }
}

/// Steps to undo a half-made container, run newest first.
struct Undo {
    private var steps: [() -> Void] = []
    mutating func add(_ step: @escaping () -> Void) { steps.append(step) }
    func run() { for step in steps.reversed() { step() } }
}
