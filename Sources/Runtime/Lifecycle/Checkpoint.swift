// The checkpoint operation (runc's; runtime.md has none): criu dumps the
// container's processes into image files, from which restore
// (Restore.swift) starts them again. hako tells criu what it cannot
// find out itself: the init, the rootfs, the mounts that come from the
// host (bind mounts and masked paths, which criu cannot dump and restore
// leaves to the runtime), the cgroup and the namespaces joined by path.
// The exchange itself is Checkpoint/CriuRPC.swift.
import Glibc

public struct CheckpointOptions {
    /// runc's default: `checkpoint` in the current directory.
    public var imagePath = "checkpoint"
    public var workPath: String?
    public var parentPath: String?
    public var leaveRunning = false
    public var tcpEstablished = false
    public var extUnixSk = false
    public var shellJob = false
    public var fileLocks = false
    public var preDump = false
    public var autoDedup = false
    public var lazyPages = false
    public var statusFd: Int = -1
    public var pageServer: String?
    public var manageCgroupsMode: String?
    public var emptyNamespaces: [String] = []
    /// The criu binary: a path, or a name on PATH (the global --criu).
    public var criu = "criu"

    public init() {}

    /// What hako does not do yet is refused, never silently dropped: an
    /// engine that asked for lazy pages and got a full dump would not know.
    func refuseUnsupported() throws {
        if lazyPages { throw RuntimeError("checkpoint: --lazy-pages is not supported by hako yet (it needs criu's lazy-pages daemon and the --status-fd handshake)") }
        if statusFd != -1 { throw RuntimeError("checkpoint: --status-fd is only for --lazy-pages, which hako does not support yet") }
        if pageServer != nil { throw RuntimeError("checkpoint: --page-server is not supported by hako yet") }
    }

    func cgroupMode() throws -> CriuCgroupMode? { try CheckpointOptions.cgroupMode(manageCgroupsMode) }

    /// runc 1.1 takes soft, full and strict (criu's default is soft); restore too.
    static func cgroupMode(_ manageCgroupsMode: String?) throws -> CriuCgroupMode? {
        switch manageCgroupsMode {
        case nil: return nil
        case "soft": return .soft
        case "full": return .full
        case "strict": return .strict
        case let m?: throw RuntimeError("invalid manage cgroups mode \"\(m)\": soft, full or strict")
        }
    }

    /// The namespaces criu makes empty on restore. The network one always
    /// is, as runc's: hako does not configure network devices, so criu
    /// neither dumps nor restores them (that is the engine's CNI's).
    func emptyNamespaceMask() throws -> UInt32 { try CheckpointOptions.emptyNamespaceMask(emptyNamespaces) }

    /// restore sends the same mask, as runc's restore does.
    static func emptyNamespaceMask(_ emptyNamespaces: [String]) throws -> UInt32 {
        var mask = UInt32(bitPattern: NamespaceType.network.cloneFlag)
        for name in emptyNamespaces {
            guard let t = NamespaceType(rawValue: name), t != .time else { throw RuntimeError("namespace \"\(name)\" is not supported by --empty-ns") }
            mask |= UInt32(bitPattern: t.cloneFlag)
        }
        return mask
    }
}

extension Runtime {
    public func checkpoint(id: String, options o: CheckpointOptions) throws {
        try o.refuseUnsupported()
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        guard st == .running || st == .paused else { throw RuntimeError("cannot checkpoint container \"\(id)\": it is \(st.rawValue), not running") }
        let config = try dir.createdConfig(bundle: s.bundle)
        // What criu cannot be told is refused before anything is written.
        var opts = try criuOptions(s, try Spec.parse(config), o)
        let images = try Runtime.openImageDirectory(o.imagePath, what: "image")
        defer { close(images) }
        let work = try o.workPath.map { try Runtime.openImageDirectory($0, what: "work") }
        defer { work.map { _ = close($0) } }
        // restore reads the config the container was made with, and the
        // init's stdio, from beside the images (runc's descriptors.json).
        try Files.writeAtomically("config.json", config, at: images)
        try Files.writeAtomically("descriptors.json", Runtime.descriptors(of: s.pid).serialized(), at: images)
        opts.imagesDirFd = images
        opts.workDirFd = work
        let log = (o.workPath ?? o.imagePath) + "/" + opts.logFile!
        try Runtime.runCriu(o.criu, CriuRequest(type: o.preDump ? .preDump : .dump, opts: opts),
                            inherit: [images] + (work.map { [$0] } ?? []), log: log, logger: logger)
    }

    /// Everything but the descriptors, which the caller opens.
    func criuOptions(_ s: ContainerState, _ spec: Spec, _ o: CheckpointOptions) throws -> CriuOpts {
        var opts = CriuOpts()
        opts.pid = s.pid
        opts.root = s.rootfs
        // runc's: criu's most detailed log, in the work directory (or the
        // image directory without one), for whoever has to read a failure.
        opts.logLevel = 4
        opts.logFile = "dump.log"
        opts.leaveRunning = o.leaveRunning || o.preDump
        opts.tcpEstablished = o.tcpEstablished
        opts.extUnixSk = o.extUnixSk
        opts.shellJob = o.shellJob
        opts.fileLocks = o.fileLocks
        opts.autoDedup = o.autoDedup
        // A terminal's master is the engine's, outside the container: criu
        // dumps the slave side alone and restore hands a new master back.
        opts.orphanPtsMaster = true
        opts.notifyScripts = true
        opts.manageCgroups = true
        opts.manageCgroupsMode = try o.cgroupMode()
        opts.emptyNamespaces = try o.emptyNamespaceMask()
        // Pre-dumps and the dumps after them copy only the pages changed
        // since the parent's images (a path relative to the image directory).
        opts.trackMemory = o.preDump || o.parentPath != nil
        opts.parentImage = o.parentPath
        opts.extMounts = try Runtime.externalMounts(spec, s)
        opts.external = try Runtime.externalNamespaces(spec)
        addCgroup(s, to: &opts)
        return opts
    }

    /// criu freezes the processes with the container's freezer, not with
    /// ptrace, so none runs between being dumped and the others; and it
    /// dumps the cgroups below the container's own (criu(8) --cgroup-root),
    /// not the host's above it.
    func addCgroup(_ s: ContainerState, to opts: inout CriuOpts) {
        let cgroup = s.cgroup
        guard cgroup.exists else { return }
        if let file = cgroup.freezerFile, let slash = file.lastIndex(of: "/") {
            opts.freezeCgroup = String(file[..<slash])
        }
        opts.cgroupRoots = [CgroupRoot(path: s.cgroupPath)]
    }

    /// Mounts criu must not dump but name in the images for restore to
    /// supply, keyed by their place in the container as runc's
    /// criuAddExternalMount does: every bind mount from the host; the
    /// cgroup hierarchy when it is a bind (no cgroup namespace on v2); and
    /// /dev/null on each masked file.
    static func externalMounts(_ spec: Spec, _ s: ContainerState) throws -> [ExtMountMap] {
        var out: [ExtMountMap] = []
        let cgroupNamespace = spec.linux?.namespace(.cgroup) != nil
        for m in spec.mounts {
            let dest = cleanPath(m.destination)
            if m.type == "cgroup" || m.type == "cgroup2" {
                guard s.cgroup.isUnified else {
                    throw RuntimeError("checkpoint: \(dest): the cgroup v1 hierarchies hako binds are not yet named to criu; checkpoint needs a cgroup v2 host")
                }
                if !cgroupNamespace { out.append(ExtMountMap(key: dest, value: dest)) }
            } else if m.type == "bind" || m.options.contains("bind") || m.options.contains("rbind") {
                out.append(ExtMountMap(key: dest, value: dest))
            }
        }
        return out + maskedFiles(spec, pid: s.pid)
    }

    /// Masked directories are a read-only tmpfs, which criu dumps itself;
    /// masked files are binds of the host's /dev/null, which it cannot.
    static func maskedFiles(_ spec: Spec, pid: Int32) -> [ExtMountMap] {
        (spec.linux?.maskedPaths ?? []).compactMap { path in
            var st = stat()
            guard stat("/proc/\(pid)/root\(path)", &st) == 0, st.st_mode & S_IFMT != S_IFDIR else { return nil }
            return ExtMountMap(key: path, value: "/dev/null")
        }
    }

    /// A network or pid namespace joined by path is the engine's (a pod's):
    /// criu leaves it out of the images, as crun and runc tell it, under the
    /// keys restore will use to put the container back into one.
    static func externalNamespaces(_ spec: Spec) throws -> [String] {
        let keys: [(NamespaceType, String)] = [(.network, "extRootNetNS"), (.pid, "extRootPidNS")]
        return try keys.compactMap { t, key in
            guard let path = spec.linux?.namespace(t)?.path else { return nil }
            var st = stat()
            try sys(stat(path, &st), "stat \(path) (linux.namespaces \(t.rawValue))")
            return "\(t.procName)[\(st.st_ino)]:\(key)"
        }
    }

    /// Makes the directory if need be (0700: images hold the processes'
    /// memory) and opens it for criu.
    static func openImageDirectory(_ path: String, what: String) throws -> Int32 {
        _ = try Files.makeDirectories(path, mode: 0o700)
        return try sys(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open \(what) directory \(path)")
    }

    /// What the init's stdin, stdout and stderr are, as restore will need
    /// to reconnect them; "" for one that is not open.
    static func descriptors(of pid: Int32) -> JSON {
        .array((0..<3).map { fd in
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink("/proc/\(pid)/fd/\(fd)", &buf, buf.count - 1)
            return .string(n < 0 ? "" : String(cText: buf))
        })
    }

    static func runCriu(_ criu: String, _ request: CriuRequest, inherit: [Int32], log: String, logger: Logger) throws {
        let swrk = try CriuSwrk.start(criu: criu, inherit: inherit)
        defer { _ = swrk.finish() }
        _ = try swrk.exchange(request, log: log) { logger.debug("criu: \($0)") }
    }
}
