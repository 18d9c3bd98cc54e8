// linux.sysctl, linux.readonlyPaths and linux.maskedPaths, applied once the
// container's root is entered, each through a handle, never a name.
//
// A container that shares this rootfs (a volume, a pod's image) can rename
// directories in it at any moment. Swap /proc with an empty directory
// (RENAME_EXCHANGE) after procfs went on it, and a mask looked up by name
// finds nothing and is skipped, while the procfs, now under another name,
// keeps /proc/sys/kernel/core_pattern writable: the host's root at its next
// crash. Later runc releases resolve these paths through a handle on the
// procfs they mounted (after CVE-2025-52881); so does hako. The procfs is
// opened as it is mounted (ProcfsHandle) and paths under /proc are resolved
// beneath it with openat2; masks and read-only binds go on by descriptor
// (move_mount), never through /proc/self/fd, which the swap would redirect
// too. A path the fresh procfs lacks (no /proc/acpi on this kernel) is
// skipped, as in runc; one it has is never skipped. Paths elsewhere are
// resolved inside the container's root.
import CNamespaces
import Glibc

/// The procfs mounted for the container, held by a descriptor of its root.
struct ProcfsHandle {
    let fd: Int32

    /// Opens what is now mounted on `name` in `parent`, right after procfs
    /// went there, and checks that it is a procfs root: a swap in between
    /// fails the create, it is never followed.
    static func open(_ name: String, in parent: Int32, destination: String) throws -> ProcfsHandle {
        let fd = try sys(openat(parent, name, HK_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open the procfs on \(destination)")
        var st = stat()
        guard hk_fs_type(fd) == HK_PROC_SUPER_MAGIC, fstat(fd, &st) == 0, UInt(st.st_ino) == HK_PROC_ROOT_INO else {
            close(fd)
            throw RuntimeError("\(destination) is no longer the procfs just mounted there: refusing to go on")
        }
        return ProcfsHandle(fd: fd)
    }

    /// `path` below /proc, relative to the handle ("." for /proc itself), or nil.
    static func relative(_ path: String) -> String? {
        if path == "/proc" { return "." }
        return path.hasBytePrefix("/proc/") ? String(path.dropFirst(6)) : nil
    }
}

/// The sysfs on /sys, the same way for /sys/firmware and the other /sys
/// paths a config masks: swapped with an empty directory, /sys would lose
/// its masks while the sysfs, under another name, kept them open. Opened
/// once the root is entered (sysfs shows the same files in every pid
/// namespace, so it need not be held from its mount on) and checked to be a
/// sysfs root; when the config mounted sysfs on /sys, anything else there
/// is refused, never looked through.
struct SysfsHandle {
    let fd: Int32

    static func open(mounted: Bool) throws -> SysfsHandle? {
        let fd = Glibc.open("/sys", HK_O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        var st = stat()
        if fd >= 0, hk_fs_type(fd) == HK_SYSFS_MAGIC, fstat(fd, &st) == 0, UInt(st.st_ino) == HK_SYSFS_ROOT_INO {
            return SysfsHandle(fd: fd)
        }
        if fd >= 0 { close(fd) }
        if mounted { throw RuntimeError("/sys is no longer the sysfs mounted there: refusing to go on") }
        return nil
    }

    /// `path` below /sys, relative to the handle, or nil.
    static func relative(_ path: String) -> String? {
        if path == "/sys" { return "." }
        return path.hasBytePrefix("/sys/") ? String(path.dropFirst(5)) : nil
    }
}

enum ProtectedPaths {
    /// Opens a container path with O_PATH: beneath the procfs handle when
    /// it is under /proc, beneath the sysfs handle when under /sys, else
    /// inside the root. nil when it does not exist.
    static func resolve(_ path: String, proc: ProcfsHandle?, sysfs: SysfsHandle? = nil, field: String) throws -> Int32? {
        let clean = cleanPath("/" + path)
        let how = UInt64(UInt32(bitPattern: HK_O_PATH | O_CLOEXEC))
        var fd: Int32
        if let proc, let rest = ProcfsHandle.relative(clean) {
            fd = hk_openat2(proc.fd, rest, how, 0, HK_RESOLVE_BENEATH | HK_RESOLVE_NO_MAGICLINKS)
        } else if let sysfs, let rest = SysfsHandle.relative(clean) {
            fd = hk_openat2(sysfs.fd, rest, how, 0, HK_RESOLVE_BENEATH | HK_RESOLVE_NO_MAGICLINKS)
        } else {
            let root = try sys(open("/", HK_O_PATH | O_DIRECTORY | O_CLOEXEC), "open /")
            fd = hk_openat2(root, clean, how, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
            let e = errno
            close(root)
            errno = e
        }
        if fd >= 0 { return fd }
        if errno == ENOENT { return nil }
        throw SpecError(field, SystemError("open \(clean) in the container").description)
    }

    /// linux.maskedPaths: /dev/null over a file, an empty read-only tmpfs over a directory.
    static func mask(_ paths: [String], proc: ProcfsHandle?, sysfs: SysfsHandle? = nil) throws {
        guard !paths.isEmpty else { return }
        let null = try openNull()
        defer { close(null) }
        for p in paths {
            guard let target = try resolve(p, proc: proc, sysfs: sysfs, field: "linux.maskedPaths") else { continue }
            defer { close(target) }
            var st = stat()
            try sys(fstat(target, &st), "stat \(p)")
            let cover = (st.st_mode & S_IFMT) == S_IFDIR ? try emptyTmpfs() : try clone(null, recursive: false, what: "/dev/null")
            try moveMount(cover, onto: target, what: "mask \(p)")
        }
    }

    /// linux.readonlyPaths: a recursive read-only bind of the path over itself.
    static func makeReadonly(_ paths: [String], proc: ProcfsHandle?, sysfs: SysfsHandle? = nil) throws {
        for p in paths {
            guard let target = try resolve(p, proc: proc, sysfs: sysfs, field: "linux.readonlyPaths") else { continue }
            defer { close(target) }
            let tree = try clone(target, recursive: true, what: p)
            if hk_mount_setattr(tree, "", HK_AT_EMPTY_PATH | HK_AT_RECURSIVE, HK_MOUNT_ATTR_RDONLY, 0, 0, -1) != 0 {
                let e = errno
                close(tree)
                throw SystemError("make \(p) read-only", errno: e)
            }
            try moveMount(tree, onto: target, what: "bind \(p) read-only")
        }
    }

    /// linux.sysctl, written beneath the procfs handle, and only to a
    /// procfs file on that very mount (CVE-2025-52881: a bind the config
    /// made over the file would take the write).
    static func writeSysctls(_ sysctl: [(String, String)], proc: ProcfsHandle?) throws {
        for (key, value) in sysctl {
            // The same reading of the key as the validation that allowed it.
            guard let c = Sysctl.components(key) else { throw SpecError("linux.sysctl.\(key)", "is not a sysctl name") }
            let path = Sysctl.file(c)
            do {
                guard let proc, let rest = ProcfsHandle.relative(path) else { try Files.writeProcfs(path, value); continue }
                let fd = hk_openat2(proc.fd, rest, UInt64(UInt32(bitPattern: O_WRONLY | O_CLOEXEC)), 0,
                                    HK_RESOLVE_BENEATH | HK_RESOLVE_NO_MAGICLINKS)
                if fd < 0 { throw SystemError("open \(path)") }
                defer { close(fd) }
                try Files.writeProcfs(fd: fd, value, path: path, procMount: Files.mountID(fd: proc.fd))
            } catch {
                throw SpecError("linux.sysctl.\(key)", "\(error)")
            }
        }
    }

    /// CVE-2025-31133: masks use /dev/null only once it is known to be the
    /// null device, never a symlink or another file the rootfs put there.
    static func openNull() throws -> Int32 {
        let null = hk_openat2(AT_FDCWD, "/dev/null", UInt64(UInt32(bitPattern: HK_O_PATH | O_CLOEXEC)), 0, RESOLVE_NO_SYMLINKS)
        if null < 0 { throw SystemError("open /dev/null to mask linux.maskedPaths") }
        var st = stat()
        guard fstat(null, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR, hk_major(st.st_rdev) == 1, hk_minor(st.st_rdev) == 3 else {
            close(null)
            throw SpecError("linux.maskedPaths", "the container's /dev/null is not the null device (1:3); refusing to mask with it")
        }
        return null
    }

    /// A detached bind of what `fd` names.
    static func clone(_ fd: Int32, recursive: Bool, what: String) throws -> Int32 {
        let flags = HK_OPEN_TREE_CLONE | HK_AT_EMPTY_PATH | UInt32(O_CLOEXEC) | (recursive ? HK_AT_RECURSIVE : 0)
        return try sys(hk_open_tree(fd, "", flags), "clone the mount of \(what)")
    }

    /// A detached, empty, read-only tmpfs.
    static func emptyTmpfs() throws -> Int32 {
        let ctx = try sys(hk_fsopen("tmpfs"), "fsopen tmpfs")
        defer { close(ctx) }
        try sys(hk_fsconfig_create(ctx), "create a tmpfs")
        return try sys(hk_fsmount_readonly(ctx), "fsmount a read-only tmpfs")
    }

    /// Attaches the detached mount `tree` on `target`, both by descriptor; closes `tree`.
    static func moveMount(_ tree: Int32, onto target: Int32, what: String) throws {
        defer { close(tree) }
        try sys(hk_move_mount(tree, "", target, "", HK_MOVE_MOUNT_F_EMPTY_PATH | HK_MOVE_MOUNT_T_EMPTY_PATH), what)
    }
}
