// Building the container's root filesystem inside its mount namespace:
// propagation, the config's mounts, devices, pivot_root, then the paths that
// are masked or made read-only.
//
// Destinations are resolved inside the rootfs with openat2(RESOLVE_IN_ROOT)
// and mounted through /proc/self/fd/N, so a symlink in the rootfs, even one
// swapped in during setup, cannot send a mount outside it (CVE-2021-30465).
import CNamespaces
import Glibc

let RESOLVE_NO_MAGICLINKS = HK_RESOLVE_NO_MAGICLINKS
let RESOLVE_IN_ROOT = HK_RESOLVE_IN_ROOT
let RESOLVE_NO_SYMLINKS = HK_RESOLVE_NO_SYMLINKS

public struct Rootfs {
    public let path: String
    public let bundle: String
    let rootFD: Int32

    init(path: String, bundle: String) throws {
        self.path = path
        self.bundle = bundle
        rootFD = try sys(Glibc.open(path, HK_O_PATH | O_DIRECTORY | O_CLOEXEC), "open rootfs \(path)")
    }

    // MARK: resolving paths inside the root

    /// Opens `dest` (a container path) inside the root, or returns -1/errno.
    func open(_ dest: String, _ flags: Int32 = HK_O_PATH) -> Int32 {
        hk_openat2(rootFD, dest, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
    }

    enum Kind { case directory, file }

    /// Opens `dest` inside the root, creating it and its parents when missing.
    /// A dangling symlink on the way is followed inside the root and its
    /// target created, as runc does (securejoin): images ship such links,
    /// /var/run -> /run with no /run for one. `followLinks: false` refuses
    /// it with ELOOP instead, for proc and sysfs.
    func make(_ dest: String, _ kind: Kind, mode: mode_t = 0o755, followLinks: Bool = true, depth: Int = 0) throws -> Int32 {
        let clean = cleanPath("/" + dest)
        let fd = open(clean)
        if fd >= 0 { return fd }
        if errno != ENOENT || clean == "/" { throw SystemError("open \(clean) in rootfs") }
        let slash = clean.lastIndex(of: "/")!
        let parentPath = slash == clean.startIndex ? "/" : String(clean[..<slash])
        let name = String(clean[clean.index(after: slash)...])
        let parent = try make(parentPath, .directory, followLinks: followLinks, depth: depth)
        defer { close(parent) }
        if let link = danglingLink(parent, name) {
            // 40 links, the kernel's own limit before ELOOP.
            guard followLinks, depth < 40 else { throw SystemError("open \(clean) in rootfs", errno: ELOOP) }
            let target = link.hasBytePrefix("/") ? link : parentPath + "/" + link
            return try make(target, kind, mode: mode, followLinks: followLinks, depth: depth + 1)
        }
        switch kind {
        case .directory:
            if mkdirat(parent, name, mode) != 0, errno != EEXIST { throw SystemError("mkdir \(clean) in rootfs") }
        case .file:
            let f = openat(parent, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o644)
            if f < 0, errno != EEXIST { throw SystemError("create \(clean) in rootfs") }
            if f >= 0 { close(f) }
        }
        return try sys(open(clean), "open \(clean) in rootfs")
    }

    /// The target of `name` in `parent` when it is a symlink (which, `open`
    /// having failed with ENOENT, dangles).
    func danglingLink(_ parent: Int32, _ name: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(parent, name, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(cText: buf)
    }

    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// Runs `body` with a /proc/self/fd path naming `dest` as it resolves now.
    func at<T>(_ dest: String, _ body: (String) throws -> T) throws -> T {
        let fd = open(cleanPath("/" + dest))
        if fd < 0 { throw SystemError("open \(dest) in rootfs") }
        defer { close(fd) }
        return try body(Rootfs.procPath(fd))
    }

    // MARK: preparing the namespace

    /// Stops mount events from reaching the host and makes the rootfs a
    /// mount point, which pivot_root needs. Must precede opening the rootfs:
    /// a descriptor from before the bind mount (or from the runtime's mount
    /// namespace) names a mount that mount(2) refuses to mount on.
    static func prepare(_ path: String, propagation: String?) throws {
        // A shared root is applied only after pivot_root: while the host's
        // mounts are still visible it would leak the container's mounts out.
        var flags = MountFlag.slave | MountFlag.rec
        if let p = propagation, let f = MountOptions.propagation[p], f & MountFlag.private != 0 { flags = f }
        try sys(hk_mount(nil, "/", nil, flags, nil), "make / \(propagation ?? "rslave")")
        try sys(hk_mount(path, path, nil, MountFlag.bind | MountFlag.rec, nil), "bind mount rootfs \(path)")
    }

    // MARK: the config's mounts

    /// `mountLabel`: linux.mountLabel when SELinux is enabled, given to
    /// every mount that is not a bind as its context.
    /// `sysfsByBind`: a user namespace without its own network namespace
    /// may not mount sysfs (the kernel ties it to the network namespace's
    /// owner), so the host's /sys is bind-mounted there instead, as runc does.
    /// `idmapped`: detached idmapped mounts hako prepared, by index in `mounts`.
    /// `skipProc`: procfs is left to a process in the container's pid
    /// namespace, whose pids it shows (PodInit.swift).
    /// Returns a handle on the procfs mounted on /proc, if one was (ProtectedPaths.swift).
    @discardableResult
    func mountAll(_ mounts: [Mount], cgroup: any CgroupDriver, cgroupNamespace: Bool, mountLabel: String? = nil,
                  idmapped: [Int: Int32] = [:], sysfsByBind: Bool = false, skipProc: Bool = false) throws -> ProcfsHandle? {
        var proc: ProcfsHandle? = nil
        for (k, m) in mounts.enumerated() where !(skipProc && m.type == "proc") {
            var opts = try MountOptions(m.options, path: m.path + ".options")
            if let label = mountLabel, !opts.isBind, m.type != "bind" { opts.data.append("context=\"\(label)\"") }
            let type = m.type ?? ""
            do {
                if type == "cgroup" || type == "cgroup2" {
                    try mountCgroup(m, opts, cgroup: cgroup, namespace: cgroupNamespace)
                } else if type == "sysfs", sysfsByBind {
                    try bindMount(m, opts, fromHost: "/sys")
                } else if let tree = idmapped[k] {
                    try attach(tree, m, opts)
                } else if opts.isBind || type == "bind" {
                    try bindMount(m, opts)
                } else {
                    let inherited = type == "tmpfs" ? modeToInherit(m, opts) : nil
                    // The chmod and tmpcopyup below write to the tmpfs, so a
                    // read-only one is mounted writable and made read-only
                    // after, as runc does (mountPropagate, finalizeRootfs):
                    // the mount is read-only, the filesystem not, as there.
                    let readOnlyAfter = type == "tmpfs" ? opts.flags & MountFlag.rdonly : 0
                    let target = type == "proc" || type == "sysfs" ? try makeOrdinary(m) : try make(m.destination, .directory)
                    defer { close(target) }
                    // tmpcopyup copies what the tmpfs is about to cover.
                    let covered = opts.tmpcopyup ? try sys(openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC),
                                                           "open \(m.destination) for tmpcopyup") : -1
                    defer { if covered >= 0 { close(covered) } }
                    try sys(hk_mount(m.source ?? type, Rootfs.procPath(target), type, opts.flags & ~readOnlyAfter,
                                     opts.data.isEmpty ? nil : opts.data.joined(by: ",")),
                            "mount \(type) on \(m.destination)")
                    if type == "proc", cleanPath("/" + m.destination) == "/proc" {
                        if let old = proc { close(old.fd) }
                        proc = try ProcfsHandle.open("proc", in: rootFD, destination: m.destination)
                    }
                    if covered >= 0 {
                        let top = try sys(open(cleanPath("/" + m.destination), O_RDONLY | O_DIRECTORY), "open \(m.destination)")
                        defer { close(top) }
                        try CopyUp.copy(from: covered, to: top, what: m.destination)
                    }
                    if let mode = inherited {
                        _ = try at(m.destination) { try sys(chmod($0, mode), "chmod the tmpfs on \(m.destination) to its mount point's mode") }
                    }
                    // /dev's devices, symlinks and pts go in first: finishRootfs.
                    if readOnlyAfter != 0, !Rootfs.isDev(m) { try remountReadOnly(m.destination, opts) }
                }
                try applyAfterMount(m.destination, opts)
            } catch let e as SystemError {
                if let proc { close(proc.fd) }
                throw SpecError(m.path, e.description)
            } catch {
                if let proc { close(proc.fd) }
                throw error
            }
        }
        return proc
    }

    /// A tmpfs without a mode= option on an existing directory takes that
    /// directory's mode, as on runc: an image's /tmp (1777) or a service's
    /// 0700 state directory keeps its permissions under a tmpfs. A mode=
    /// option wins (runc 1.1 overrides even that: docs/runc-parity.md).
    func modeToInherit(_ m: Mount, _ opts: MountOptions) -> mode_t? {
        if opts.data.contains(where: { $0.hasBytePrefix("mode=") }) { return nil }
        let fd = open(cleanPath("/" + m.destination))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return st.st_mode & 0o7777
    }

    /// Makes a mount read-only in place. MS_BIND with MS_REMOUNT changes
    /// only the mount's flags, not the filesystem's, and keeps the others
    /// given (nosuid, nodev, ...), which a user namespace may not drop.
    func remountReadOnly(_ dest: String, _ opts: MountOptions) throws {
        let flags = (opts.flags & ~MountFlag.rec) | MountFlag.remount | MountFlag.bind | MountFlag.rdonly
        _ = try at(dest) { try sys(hk_mount(nil, $0, nil, flags, nil), "remount \(dest) read-only") }
    }

    static func isDev(_ m: Mount) -> Bool { cleanPath("/" + m.destination) == "/dev" }

    /// A read-only tmpfs on /dev, made read-only once the container's root
    /// is entered and its devices, symlinks and console are in, as runc's
    /// finalizeRootfs does: read-only from the start, /dev could not be
    /// populated. The last mount on /dev is the one in view.
    static func makeDevReadonly(_ mounts: [Mount]) throws {
        guard let m = mounts.last(where: isDev), m.type == "tmpfs" else { return }
        let opts = try MountOptions(m.options, path: m.path + ".options")
        guard opts.flags & MountFlag.rdonly != 0 else { return }
        let flags = (opts.flags & ~MountFlag.rec) | MountFlag.remount | MountFlag.bind | MountFlag.rdonly
        do { try sys(hk_mount(nil, "/dev", nil, flags, nil), "remount /dev read-only") } catch let e as SystemError {
            throw SpecError(m.path, e.description)
        }
    }

    /// proc and sysfs go on an ordinary directory, never through a symlink
    /// (CVE-2019-19921, CVE-2023-27561): were /proc a symlink the image or a
    /// racing container controls, procfs would land elsewhere, and the
    /// masking and read-only paths meant for it would reach other files.
    /// The descriptor mounted on is the one checked.
    func makeOrdinary(_ m: Mount) throws -> Int32 {
        do { close(try make(m.destination, .directory, followLinks: false)) } catch let e as SystemError where e.errno == ELOOP {
            throw SpecError(m.path + ".destination", "\(m.type ?? "") must be mounted on an ordinary directory: \(m.destination) is or passes through a symlink")
        }
        let fd = hk_openat2(rootFD, cleanPath("/" + m.destination), UInt64(UInt32(bitPattern: HK_O_PATH | O_DIRECTORY | O_CLOEXEC)), 0,
                            RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)
        if fd < 0, errno == ELOOP {
            throw SpecError(m.path + ".destination", "\(m.type ?? "") must be mounted on an ordinary directory: \(m.destination) is or passes through a symlink")
        }
        return try sys(fd, "open \(m.destination) in rootfs")
    }

    func bindMount(_ m: Mount, _ opts: MountOptions) throws {
        guard let rawSource = m.source else { throw SpecError(m.path + ".source", "is required for a bind mount") }
        let source = rawSource.hasBytePrefix("/") ? rawSource : joinPath(bundle, rawSource)
        var st = stat()
        try sys(stat(source, &st), "stat bind source \(source)")
        let target = try make(m.destination, (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .file)
        defer { close(target) }
        try sys(hk_mount(source, Rootfs.procPath(target), nil, MountFlag.bind | (opts.flags & MountFlag.rec), nil),
                "bind mount \(source) on \(m.destination)")
        // Flags of a bind mount only take effect through a remount.
        let extra = opts.flags & ~(MountFlag.bind | MountFlag.rec | MountFlag.remount)
        if extra != 0 {
            try at(m.destination) {
                try remount($0, extra | MountFlag.bind, what: m.destination)
            }
        }
    }

    /// A filesystem the container may not mount itself, recursively bound
    /// from the host's `source` instead, with the entry's options.
    func bindMount(_ m: Mount, _ opts: MountOptions, fromHost source: String) throws {
        var bind = m, o = opts
        bind.source = source
        o.flags |= MountFlag.bind | MountFlag.rec
        try bindMount(bind, o)
    }

    /// Moves a detached mount (an idmapped bind) onto its destination.
    func attach(_ tree: Int32, _ m: Mount, _ opts: MountOptions) throws {
        defer { close(tree) }
        var st = stat()
        try sys(fstat(tree, &st), "stat the idmapped mount of \(m.destination)")
        let target = try make(m.destination, (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .file)
        defer { close(target) }
        // By descriptor on both sides: move_mount refuses a /proc/self/fd path as its target.
        try sys(hk_move_mount(tree, "", target, "", HK_MOVE_MOUNT_F_EMPTY_PATH | HK_MOVE_MOUNT_T_EMPTY_PATH),
                "move the idmapped mount onto \(m.destination)")
        let extra = opts.flags & ~(MountFlag.bind | MountFlag.rec | MountFlag.remount)
        if extra != 0 {
            try at(m.destination) { try remount($0, extra | MountFlag.bind, what: m.destination) }
        }
    }

    /// Remounts with `flags` plus the flags the mount already has that an
    /// unprivileged remount may not drop (nosuid, nodev, noexec, atime).
    func remount(_ procPath: String, _ flags: UInt, what: String) throws {
        var s = statvfs()
        var locked: UInt = 0
        if statvfs(procPath, &s) == 0 {
            let f = UInt(s.f_flag)
            // ST_* values equal MS_* values for these bits.
            locked = f & (MountFlag.nosuid | MountFlag.nodev | MountFlag.noexec | MountFlag.noatime | MountFlag.nodiratime | MountFlag.relatime)
        }
        try sys(hk_mount(nil, procPath, nil, flags | locked | MountFlag.remount, nil), "remount \(what)")
    }

    func applyAfterMount(_ dest: String, _ opts: MountOptions) throws {
        for p in opts.propagation {
            _ = try at(dest) { try sys(hk_mount(nil, $0, nil, p, nil), "set propagation of \(dest)") }
        }
        if opts.attrSet != 0 || opts.attrClear != 0 {
            let fd = try sys(open(cleanPath("/" + dest)), "open \(dest) in rootfs")
            defer { close(fd) }
            try sys(hk_mount_setattr(fd, "", HK_AT_EMPTY_PATH | HK_AT_RECURSIVE, opts.attrSet, opts.attrClear, 0, -1),
                    "set recursive attributes of \(dest)")
        }
    }

    /// /sys/fs/cgroup inside the container shows the container's own cgroup.
    func mountCgroup(_ m: Mount, _ opts: MountOptions, cgroup: any CgroupDriver, namespace: Bool) throws {
        let flags = opts.flags & ~(MountFlag.bind | MountFlag.rec)
        let dest = m.destination
        switch cgroup.layout {
        case .none:
            // No cgroup of its own (rootless, without delegation): the
            // host's hierarchies, read-only as asked, as crun does then.
            guard !Files.list("/sys/fs/cgroup").isEmpty else {
                throw RuntimeError("a cgroup mount was asked for but the host has no cgroup filesystem")
            }
            try bindMount(m, opts, fromHost: "/sys/fs/cgroup")
        case .unified:
            let target = try make(dest, .directory)
            defer { close(target) }
            if namespace {
                try sys(hk_mount("cgroup2", Rootfs.procPath(target), "cgroup2", flags, nil), "mount cgroup2 on \(dest)")
            } else {
                try sys(hk_mount(cgroup.directories[0], Rootfs.procPath(target), nil, MountFlag.bind, nil), "bind cgroup on \(dest)")
                try at(dest) { try remount($0, flags | MountFlag.bind, what: dest) }
            }
        case .legacy, .hybrid:
            // v1: a tmpfs holding one bind mount per hierarchy, as runc does.
            let target = try make(dest, .directory)
            try sys(hk_mount("tmpfs", Rootfs.procPath(target), "tmpfs", flags & ~MountFlag.rdonly, "mode=755"),
                    "mount tmpfs on \(dest)")
            close(target)
            for (root, dir) in zip(cgroup.layout.roots, cgroup.directories) {
                let name = String(root[root.index(after: root.lastIndex(of: "/")!)...])
                let sub = dest + "/" + name
                let t = try make(sub, .directory)
                defer { close(t) }
                try sys(hk_mount(dir, Rootfs.procPath(t), nil, MountFlag.bind, nil), "bind cgroup \(dir) on \(sub)")
                try at(sub) { try remount($0, flags | MountFlag.bind, what: sub) }
            }
            if flags & MountFlag.rdonly != 0 {
                _ = try at(dest) { try sys(hk_mount(nil, $0, nil, flags | MountFlag.remount, nil), "remount \(dest) read-only") }
            }
        }
    }

    // MARK: pivot_root

    /// Makes the rootfs the root. The old root is stacked under the new one
    /// with pivot_root(".", ".") and detached, which needs no directory in
    /// the rootfs to put it in.
    static func pivot(_ path: String, noPivot: Bool) throws {
        if noPivot {
            try sys(chdir(path), "chdir \(path)")
            try sys(hk_mount(path, "/", nil, MountFlag.move, nil), "move rootfs to /")
            try sys(chroot("."), "chroot")
            try sys(chdir("/"), "chdir /")
            return
        }
        let oldRoot = try sys(Glibc.open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC), "open /")
        defer { close(oldRoot) }
        let newRoot = try sys(Glibc.open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC), "open rootfs")
        defer { close(newRoot) }
        try sys(fchdir(newRoot), "chdir rootfs")
        try sys(hk_pivot_root(".", "."), "pivot_root")
        try sys(fchdir(oldRoot), "chdir old root")
        // Unmounting must not propagate to the host's copies of these mounts.
        try sys(hk_mount(nil, ".", nil, MountFlag.slave | MountFlag.rec, nil), "make old root rslave")
        try sys(hk_umount2(".", HK_MNT_DETACH), "unmount old root")
        try sys(chdir("/"), "chdir /")
    }

    // MARK: after pivot_root: paths are the container's own

    /// chdir to process.cwd, resolved inside the container's root without
    /// magic links: a cwd of /proc/self/fd/N would otherwise follow a
    /// descriptor of ours out of the container (CVE-2024-21626).
    /// Enters the cwd while still privileged, as runc does, so that a
    /// user who cannot search its parents still starts in it. Returns false
    /// when permission was refused: then the caller tries again as the user
    /// (a directory only the container's user may enter).
    static func changeDirectoryBeforeUser(_ cwd: String) throws -> Bool {
        let e = try enter(cwd)
        if e == EACCES || e == EPERM { return false }
        if e != 0 { throw SpecError("process.cwd", SystemError("open \(cwd) in the container", errno: e).description) }
        return true
    }

    static func changeDirectory(_ cwd: String) throws {
        let e = try enter(cwd)
        if e != 0 { throw SpecError("process.cwd", SystemError("open \(cwd) in the container", errno: e).description) }
    }

    /// fchdir into cwd resolved inside the root; 0 or the errno of the open.
    private static func enter(_ cwd: String) throws -> Int32 {
        let root = try sys(Glibc.open("/", HK_O_PATH | O_DIRECTORY | O_CLOEXEC), "open /")
        defer { close(root) }
        let fd = hk_openat2(root, cwd, UInt64(UInt32(bitPattern: HK_O_PATH | O_DIRECTORY | O_CLOEXEC)), 0,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
        if fd < 0 { return errno }
        defer { close(fd) }
        if fchdir(fd) != 0 { throw SpecError("process.cwd", SystemError("chdir \(cwd)").description) }
        return 0
    }

    static func setPropagation(_ name: String) throws {
        guard let flag = MountOptions.propagation[name] else { return }
        try sys(hk_mount(nil, "/", nil, flag, nil), "set rootfs propagation \(name)")
    }

    static func makeRootReadonly() throws {
        var s = statvfs()
        var locked: UInt = 0
        if statvfs("/", &s) == 0 { locked = UInt(s.f_flag) & (MountFlag.nosuid | MountFlag.nodev | MountFlag.noexec) }
        try sys(hk_mount(nil, "/", nil, MountFlag.bind | MountFlag.remount | MountFlag.rdonly | locked, nil),
                "make rootfs read-only")
    }
}

extension String {
    func replacingOccurrences(_ a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
