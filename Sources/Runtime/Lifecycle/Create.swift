// The create operation (runtime.md "Create"): the container's namespaces,
// cgroup, rootfs and init, which waits for `start`; everything it makes is
// recorded before it is made (State/Intent.swift) and undone if it fails.
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
    /// --systemd-cgroup: systemd keeps the container's cgroup, a transient
    /// scope (SystemdCgroup); linux.cgroupsPath is "slice:prefix:name".
    public var systemdCgroup = false
    /// The host's NOTIFY_SOCKET: the container gets a socket of its own
    /// (NotifySocket.swift).
    public var notifySocket: NotifySocket?
    public init() {}
}

extension Runtime {
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
        var spec = try Spec.parse(bytes)
        try logger.step("config parsed")
        if options.notifySocket != nil { NotifySocket.addToSpec(&spec, stateDir: absolutePath(store.root) + "/" + id) }
        let rootfsPath = try Runtime.validate(spec, bundle: bundle, options: options, logger: logger)
        if options.subreaper { _ = hk_prctl(HK_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }

        let dir = try store.createLocked(id: id)
        var undo = Undo()
        undo.add { dir.remove() }
        do {
            try logger.step("state directory locked")
            try dir.keepConfig(bytes)
            if options.notifySocket != nil { try NotifySocket.makeDirectory(in: dir) }
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
        try ContainerInit.validatePodNamespaces(linux)
        try ContainerInit.validatePodMounts(spec)
        try UserNamespace.validateIDs(spec)
    }

    /// create's steps, from the state directory to an init waiting for start.
    func spawn(id: String, spec: Spec, bundle: String, rootfsPath: String, dir: ContainerDir,
               options: CreateOptions, undo: inout Undo) throws -> Created {
        let linux = spec.linux
        var cgroup = options.systemdCgroup ? try CgroupDrivers.forSystemd(cgroupsPath: linux?.cgroupsPath, id: id, resources: linux?.resources,
                                                                                annotations: spec.annotations)
            : CgroupDrivers.forCreate(cgroupsPath: linux?.cgroupsPath, id: id)
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
            rootfsBind: intent.rootfsBind, created: intent.created, owner: intent.owner)
        base.systemdUnit = intent.systemdUnit
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
        var rootfsBind: RootfsBind? = nil
        if linux?.namespace(.mount) == nil {
            // The init mounts on a bind of the rootfs in our namespace
            // (Init.swift); only that bind is ever detached, never a mount
            // the rootfs already was.
            let bind = try RootfsBind.record(rootfsPath)
            rootfsBind = bind
            undo.add { _ = bind.detach(at: rootfsPath) }
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
        intent.systemdUnit = (cgroup as? SystemdCgroup)?.unit
        intent.rootfsBind = rootfsBind
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
        if cgroup.exists, !cgroup.startsWithPid {
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
                   childEnd: Int32, dir: ContainerDir, undo: inout Undo, child: @escaping () -> Never) throws -> (Int32, Bool) {
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
                                                             enter: { try JoinedUserNamespace.enter(user: userJoin, pidNamespace: pidJoin) },
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
        if cgroup.startsWithPid {
            // Its cgroup exists now; the init has not gone on yet.
            try cgroup.apply(linux?.resources, prefix: "linux.resources", logger: logger)
        }
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
        let first = pid
        var pid = pid
        // The hook recorder below captures it, which an inout cannot be.
        var working = intent
        defer { intent = working }
        // Each is said once: a pod's init holds this channel where a pod
        // holding CAP_SYS_PTRACE can take it, and say them again.
        var hooksRun = false
        while true {
            switch try sync.receive() {
            case let .pid(second)? where pid == first && ContainerInit.bornInTwoStages(spec.linux):
                pid = try adoptSecondStage(second, first: pid, spec: spec, intent: &working, dir: dir, undo: &undo)
                continue
            case .hooks? where !hooksRun:
                hooksRun = true
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
    func adoptSecondStage(_ pid: Int32, first: Int32, spec: Spec, intent: inout CreateIntent, dir: ContainerDir,
                          undo: inout Undo) throws -> Int32 {
        guard pid > 0, pid != first, Runtime.isSecondStage(pid, joining: spec.linux?.namespace(.pid)?.path) else {
            throw RuntimeError("the init's first stage sent pid \(pid), which is not its clone in the joined pid namespace")
        }
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
        // Born as its user, the init may no longer be able to (PodInit.swift).
        if let process = spec.process { try ProcessSettings.applyByPid(process, pid: pid) }
        try logger.step("second stage recorded")
        return pid
    }

    /// Whether `pid` is what a first stage clones: our own child (CLONE_PARENT)
    /// in the joined pid namespace. The second stage holds the sync channel,
    /// and a pod holding CAP_SYS_PTRACE that takes it (pidfd_getfd) could
    /// name any pid, a host process's, for hako to record, signal and exec
    /// into (the cold attack of 2026-12-07).
    static func isSecondStage(_ pid: Int32, joining path: String?) -> Bool {
        guard ProcessInfo(pid: pid)?.parentPid == getpid(), let path else { return false }
        var theirs = stat(), joined = stat()
        guard stat("/proc/\(pid)/ns/pid", &theirs) == 0, stat(path, &joined) == 0 else { return false }
        return theirs.st_ino == joined.st_ino && theirs.st_dev == joined.st_dev
    }

    static func reap(_ pid: Int32) -> String {
        var status: Int32 = 0
        return retryEINTR({ waitpid(pid, &status, 0) }) == pid ? Exec.describe(status: status) : "unknown status"
    }
}

/// Steps to undo a half-made container, run newest first.
struct Undo {
    private var steps: [() -> Void] = []
    mutating func add(_ step: @escaping () -> Void) { steps.append(step) }
    func run() { for step in steps.reversed() { step() } }
}
