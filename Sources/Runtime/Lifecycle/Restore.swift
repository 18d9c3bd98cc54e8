// The restore operation (runc's; runtime.md has none): criu starts the
// processes a checkpoint dumped again, in a new container made for them.
// hako makes what criu does not restore itself, as runc 1.1's Restore does:
// the state directory and intent record, the cgroup with its limits (criu
// itself goes into it, so the restored processes land there), the
// mountpoints in the rootfs; and it tells criu where the rootfs and the
// host's mounts are now. criu rebuilds the namespaces, the mounts and the
// processes from the images; the restored init is hako's child
// (rst_sibling), and its pid comes back in criu's answer. The exchange is
// Checkpoint/CriuRPC.swift.
import CNamespaces
import Glibc

public struct RestoreOptions {
    /// runc's default: `checkpoint` in the current directory.
    public var imagePath = "checkpoint"
    public var workPath: String?
    public var bundle = "."
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    public var tcpEstablished = false
    public var extUnixSk = false
    public var shellJob = false
    public var fileLocks = false
    public var autoDedup = false
    public var lazyPages = false
    /// Taken as runc takes it: criu builds the mount tree itself, with no
    /// pivot_root of hako's to avoid.
    public var noPivot = false
    public var manageCgroupsMode: String?
    public var emptyNamespaces: [String] = []
    public var lsmProfile: String?
    public var lsmMountContext: String?
    public var systemdCgroup = false
    /// The criu binary: a path, or a name on PATH (the global --criu).
    public var criu = "criu"

    public init() {}

    /// Refused by name, never dropped: an engine that asked for a terminal
    /// and got none would not know.
    func refuseUnsupported() throws {
        if !detach { throw RuntimeError("restore: only --detach is supported yet (hako does not wait for a restored container in the foreground)") }
        if consoleSocket != nil { throw RuntimeError("restore: --console-socket is not supported yet (criu's orphan-pts-master handoff is not implemented)") }
        if lazyPages { throw RuntimeError("restore: --lazy-pages is not supported by hako yet") }
        if systemdCgroup { throw RuntimeError("restore: --systemd-cgroup is not supported yet (the cgroupfs driver makes the cgroup)") }
    }
}

extension Runtime {
    public func restore(id: String, options o: RestoreOptions) throws {
        try o.refuseUnsupported()
        try StateStore.validate(id: id)
        let bundle = absolutePath(o.bundle)
        let (spec, config, rootfs) = try restoreSpec(bundle)
        // Everything criu is told that cannot fail on the host is worked out
        // before anything is made.
        var opts = try Runtime.restoreOptions(o)
        let images = try sys(open(o.imagePath, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open image directory \(o.imagePath)")
        defer { close(images) }
        let work = try o.workPath.map { try Runtime.openImageDirectory($0, what: "work") }
        defer { work.map { _ = close($0) } }
        opts.imagesDirFd = images
        opts.workDirFd = work
        opts.inheritFds = try Runtime.savedPipes(images, path: o.imagePath)
        let namespaces = try Runtime.openExternalNamespaces(spec)
        defer { for n in namespaces { close(n.fd) } }
        opts.inheritFds += namespaces
        let inherit = [images] + (work.map { [$0] } ?? []) + namespaces.map(\.fd)
        let log = (o.workPath ?? o.imagePath) + "/restore.log"

        let dir = try store.createLocked(id: id)
        var undo = Undo()
        undo.add { dir.remove() }
        do {
            try dir.keepConfig(config)
            let s = try restoreInto(dir, id: id, spec: spec, bundle: bundle, rootfs: rootfs, opts: opts,
                                    criu: (o.criu, inherit, log), undo: &undo)
            if let pidFile = o.pidFile {
                try Files.writeAtomically(absolutePath(pidFile), String(decimal: s.pid), mode: 0o644)
            }
            dir.unlock()
        } catch {
            undo.run()
            throw error
        }
    }

    /// The bundle's config, as runc's restore reads it (the copy beside the
    /// images is the checkpointed container's, kept for engines), with what
    /// this slice cannot do refused.
    func restoreSpec(_ bundle: String) throws -> (Spec, [UInt8], String) {
        let configPath = bundle + "/config.json"
        let bytes: [UInt8]
        do { bytes = try Files.read(configPath) } catch {
            throw RuntimeError("cannot read \(configPath): \(error)")
        }
        let spec = try Spec.parse(bytes)
        var create = CreateOptions()
        create.bundle = bundle
        let rootfs = try Runtime.validate(spec, bundle: bundle, options: create, logger: logger)
        // criu restores into a mount namespace it makes; without one the
        // container's mounts would be the host's.
        guard spec.linux?.namespace(.mount) != nil else { throw SpecError("linux.namespaces", "restore needs a mount namespace") }
        if !spec.hooks.prestart.isEmpty || !spec.hooks.createRuntime.isEmpty {
            throw SpecError("hooks", "prestart and createRuntime hooks are not yet run by restore (runc runs them at criu's setup-namespaces)")
        }
        return (spec, bytes, rootfs)
    }

    /// The request's fixed part: runc's choices and the caller's flags.
    static func restoreOptions(_ o: RestoreOptions) throws -> CriuOpts {
        var opts = CriuOpts()
        // criu's most detailed log, beside dump.log, for whoever reads a failure.
        opts.logLevel = 4
        opts.logFile = "restore.log"
        // Device nodes are made by number: the host's paths mean nothing
        // in the restored mount tree.
        opts.evasiveDevices = true
        opts.rstSibling = true
        opts.notifyScripts = true
        opts.manageCgroups = true
        opts.manageCgroupsMode = try CheckpointOptions.cgroupMode(o.manageCgroupsMode)
        opts.emptyNamespaces = try CheckpointOptions.emptyNamespaceMask(o.emptyNamespaces)
        opts.orphanPtsMaster = true
        opts.shellJob = o.shellJob
        opts.extUnixSk = o.extUnixSk
        opts.tcpEstablished = o.tcpEstablished
        opts.fileLocks = o.fileLocks
        opts.autoDedup = o.autoDedup
        opts.lsmProfile = o.lsmProfile
        opts.lsmMountContext = o.lsmMountContext
        return opts
    }

    /// The state directory is made: the intent, the cgroup, the processes,
    /// state.json. What is made is added to `undo`.
    func restoreInto(_ dir: ContainerDir, id: String, spec: Spec, bundle: String, rootfs: String, opts: CriuOpts,
                     criu: (path: String, inherit: [Int32], log: String), undo: inout Undo) throws -> ContainerState {
        let linux = spec.linux
        var cgroup = CgroupDrivers.forCreate(cgroupsPath: linux?.cgroupsPath, id: id)
        // As checkpoint: the v1 hierarchies hako binds are not named to criu.
        guard cgroup.isUnified else { throw RuntimeError("restore needs a cgroup v2 host, as checkpoint does") }
        var intent = try recordIntent(id: id, linux: linux, bundle: bundle, rootfsPath: rootfs, cgroup: cgroup, dir: dir, undo: &undo)
        try makeCgroup(&cgroup, linux: linux, undo: &undo)
        guard cgroup.exists else { throw RuntimeError("restore needs a cgroup of the container's own, which could not be made") }
        try Runtime.makeMountpoints(spec, rootfs: rootfs, bundle: bundle)
        var opts = opts
        opts.extMounts = Runtime.restoreMounts(spec, bundle: bundle, cgroup: cgroup)
        // The images name cgroups below the one checkpoint gave as root:
        // they go below this container's.
        opts.cgroupRoots = [CgroupRoot(path: cgroup.path)]
        let root = absolutePath(store.root) + "/@criu-root-" + id
        let pid = try Runtime.withCriuRoot(root, rootfs: rootfs) { root in
            opts.root = root
            return try runRestore(CriuRequest(type: .restore, opts: opts), criu: criu, cgroup: cgroup)
        }
        undo.add { [cgroup] in Runtime.killRestored(pid, cgroup: cgroup) }
        intent.initPid = pid
        intent.initStartTime = ProcessInfo(pid: pid)?.startTime ?? 0
        try dir.appendIntent(intent.initLine)
        let s = ContainerState(
            id: id, pid: pid, bundle: bundle, rootfs: rootfs, annotations: spec.annotations, pidStartTime: intent.initStartTime,
            cgroups: cgroup.directories, cgroupPath: cgroup.path, ownPidNamespace: intent.ownPidNamespace,
            poststop: spec.json["hooks"]?["poststop"] ?? .array([]), freezer: cgroup.freezerFile,
            hasProcess: spec.process != nil, poststart: .array([]), rootfsBind: nil, created: intent.created, owner: intent.owner)
        try dir.write(s)
        try logger.step("state written")
        return s
    }

    /// criu runs in the container's cgroup (runc's criuApplyCgroups), so
    /// that what it restores starts there and is bound by its limits from
    /// the first page. criu is reaped before this returns: on failure the
    /// cgroup is then empty for the undo to remove.
    func runRestore(_ request: CriuRequest, criu: (path: String, inherit: [Int32], log: String), cgroup: any CgroupDriver) throws -> Int32 {
        let swrk = try CriuSwrk.start(criu: criu.path, inherit: criu.inherit)
        defer {
            _ = swrk.finish()
            // Restored processes criu killed on failure were our children (rst_sibling).
            while waitpid(-1, nil, WNOHANG) > 0 {}
        }
        try cgroup.add(pid: swrk.pid)
        let resp = try swrk.exchange(request, log: criu.log) { logger.debug("criu: \($0)") }
        guard let pid = resp.restoredPid, pid > 0 else { throw CriuError("criu answered the restore without the restored pid; see the log \(criu.log)") }
        return pid
    }

    /// criu wants a root that is a mount point whose parent is not
    /// overmounted (runc's reasoning): a bind of the rootfs, removed once
    /// criu is done (the restored mount namespace holds its own copy). It
    /// is beside the state directories ("@" starts no id), not in one:
    /// removing a state directory must never reach into a rootfs.
    static func withCriuRoot<T>(_ root: String, rootfs: String, _ body: (String) throws -> T) throws -> T {
        try sys(mkdir(root, 0o700), "mkdir \(root)")
        defer { _ = rmdir(root) }
        try sys(hk_mount(rootfs, root, nil, UInt(MountFlag.bind | MountFlag.rec), nil), "bind \(rootfs) on \(root)")
        defer { _ = hk_umount2(root, HK_MNT_DETACH) }
        return try body(root)
    }

    /// Undo after criu succeeded: the restored processes go, the init
    /// (hako's child) is reaped, so the cgroup can be removed.
    static func killRestored(_ pid: Int32, cgroup: any CgroupDriver) {
        Glibc.kill(pid, SIGKILL)
        cgroup.signalAll(SIGKILL)
        var status: Int32 = 0
        _ = retryEINTR { waitpid(pid, &status, 0) }
        for _ in 0..<200 where !cgroup.pids().isEmpty { usleep(5000) }
    }

    /// runc's prepareCriuRestoreMounts, without its temporary binds: criu
    /// mounts on the destinations the images name, which must exist in the
    /// rootfs; not under a tmpfs (criu restores its contents) nor for the
    /// cgroup mount (its mountpoint comes with /sys).
    static func makeMountpoints(_ spec: Spec, rootfs: String, bundle: String) throws {
        let tmpfs = spec.mounts.filter { $0.type == "tmpfs" }.map { cleanPath($0.destination) }
        let root = try Rootfs(path: rootfs, bundle: bundle)
        defer { close(root.rootFD) }
        for m in spec.mounts where m.type != "cgroup" && m.type != "cgroup2" {
            let dest = cleanPath(m.destination)
            if tmpfs.contains(where: { dest.hasBytePrefix($0 == "/" ? "/" : $0 + "/") }) { continue }
            close(try root.make(dest, isBindMount(m) && !Files.isDirectory(bindSource(m, bundle: bundle)) ? .file : .directory))
        }
    }

    static func isBindMount(_ m: Mount) -> Bool {
        m.type == "bind" || m.options.contains("bind") || m.options.contains("rbind")
    }

    static func bindSource(_ m: Mount, bundle: String) -> String {
        let source = m.source ?? ""
        return source.hasBytePrefix("/") ? source : joinPath(bundle, source)
    }

    /// Where the mounts checkpoint named external (externalMounts) are now.
    /// criu records a dumped mount under the *value* checkpoint gave it, and
    /// looks that up among the keys on restore: the destination for binds
    /// and the cgroup bind, "/dev/null" for every masked file (runc's one
    /// /dev/null entry, for the same reason). A key no image asks for is
    /// never looked at.
    static func restoreMounts(_ spec: Spec, bundle: String, cgroup: any CgroupDriver) -> [ExtMountMap] {
        let cgroupNamespace = spec.linux?.namespace(.cgroup) != nil
        var out: [ExtMountMap] = []
        for m in spec.mounts {
            let dest = cleanPath(m.destination)
            if m.type == "cgroup" || m.type == "cgroup2" {
                if !cgroupNamespace, let own = cgroup.directories.first { out.append(ExtMountMap(key: dest, value: own)) }
            } else if isBindMount(m) {
                out.append(ExtMountMap(key: dest, value: bindSource(m, bundle: bundle)))
            }
        }
        if spec.linux?.maskedPaths.isEmpty == false { out.append(ExtMountMap(key: "/dev/null", value: "/dev/null")) }
        return out
    }

    /// The init's stdio that were pipes at the dump (descriptors.json, as
    /// runc's): criu connects them to hako's own 0, 1 and 2, which it
    /// inherits, as runc hands it the restoring process's stdio.
    static func savedPipes(_ images: Int32, path: String) throws -> [InheritFd] {
        let bytes: [UInt8]
        do { bytes = try Files.read("descriptors.json", at: images) } catch {
            throw RuntimeError("\(path) is not a checkpoint of hako's or runc's: no descriptors.json (\(error))")
        }
        guard case let .array(items) = try JSON.parse(bytes) else {
            throw RuntimeError("\(path)/descriptors.json is not a JSON array")
        }
        return items.prefix(3).enumerated().compactMap { i, item in
            guard case let .string(s) = item, s.hasBytePrefix("pipe:") else { return nil }
            return InheritFd(key: s, fd: Int32(i))
        }
    }

    /// A network or pid namespace joined by path: checkpoint left it out of
    /// the images under these keys; criu puts the container back into it.
    static func openExternalNamespaces(_ spec: Spec) throws -> [InheritFd] {
        let keys: [(NamespaceType, String)] = [(.network, "extRootNetNS"), (.pid, "extRootPidNS")]
        var out: [InheritFd] = []
        do {
            for (t, key) in keys {
                guard let path = spec.linux?.namespace(t)?.path else { continue }
                let fd = try sys(open(path, O_RDONLY | O_CLOEXEC), "open \(path) (linux.namespaces \(t.rawValue))")
                out.append(InheritFd(key: key, fd: fd))
            }
        } catch {
            for n in out { close(n.fd) }
            throw error
        }
        return out
    }
}
