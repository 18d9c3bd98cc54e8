// Device nodes in the container's /dev: the six every container gets
// (runtime-spec config-linux.md "Default Devices"), those in linux.devices,
// and the standard symlinks.
import CNamespaces
import Glibc

extension Rootfs {
    static let defaultDevices: [(path: String, major: Int64, minor: Int64)] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
        ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ]

    /// Whether the config bind-mounts the host's /dev, in which case hako
    /// leaves /dev alone as runc does.
    static func bindsDev(_ mounts: [Mount]) -> Bool {
        mounts.contains { cleanPath($0.destination) == "/dev" && ($0.type == "bind" || $0.options.contains("bind") || $0.options.contains("rbind")) }
    }

    func createDevices(_ configured: [Device]) throws {
        var devices = Rootfs.defaultDevices
            .filter { d in !configured.contains { cleanPath($0.path) == d.path } }
            .map { (path: $0.path, type: "c", major: $0.major, minor: $0.minor, mode: UInt32(0o666), uid: UInt32(0), gid: UInt32(0), index: -1) }
        for (k, d) in configured.enumerated() {
            devices.append((d.path, d.type, d.major, d.minor, (d.fileMode ?? 0o666) & 0o7777, d.uid ?? 0, d.gid ?? 0, k))
        }
        for d in devices {
            let clean = cleanPath(d.path)
            let slash = clean.lastIndex(of: "/")!
            let parent = try make(String(clean[..<slash]).isEmpty ? "/" : String(clean[..<slash]), .directory)
            defer { close(parent) }
            let name = String(clean[clean.index(after: slash)...])
            let type: mode_t = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR
            if hk_mknodat(parent, name, type | mode_t(d.mode), UInt32(truncatingIfNeeded: d.major), UInt32(truncatingIfNeeded: d.minor)) != 0 {
                if errno == EEXIST {
                    // config-linux.md: a file at path that does not match the
                    // device is an error. It is never followed if a symlink.
                    var st = stat()
                    let same = fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type
                        && (type == S_IFIFO || (UInt64(hk_major(st.st_rdev)) == UInt64(d.major) && UInt64(hk_minor(st.st_rdev)) == UInt64(d.minor)))
                    if same { continue }
                    let why = "\(clean) already exists in the rootfs and is not a \(d.type) \(d.major):\(d.minor) device"
                    throw d.index >= 0 ? SpecError("linux.devices[\(d.index)]", why) : RuntimeError(why)
                }
                if errno == EPERM, type != S_IFIFO {
                    // In a user namespace mknod is refused: the host's node
                    // is bind-mounted instead (its owner and mode stay the host's).
                    try bindHostDevice(clean, parent: parent, name: name, index: d.index)
                    continue
                }
                let e = SystemError("mknod \(clean)")
                throw d.index >= 0 ? SpecError("linux.devices[\(d.index)]", e.description) : e
            }
            try setOwnerAndMode(of: name, in: parent, clean: clean, type: type, major: d.major, minor: d.minor,
                                uid: d.uid, gid: d.gid, mode: mode_t(d.mode))
        }
    }

    /// The node just made gets its owner and mode through a descriptor of
    /// the node itself: this runs before pivot_root, and a process racing in
    /// a shared rootfs could swap the name for a symlink to a host file,
    /// which a chmod by name would follow (the attack helper made a host
    /// file 0666 that way). A name that is no longer this device is refused.
    func setOwnerAndMode(of name: String, in parent: Int32, clean: String, type: mode_t, major: Int64, minor: Int64,
                         uid: UInt32, gid: UInt32, mode: mode_t) throws {
        let fd = try sys(openat(parent, name, HK_O_PATH | O_NOFOLLOW | O_CLOEXEC), "open \(clean)")
        defer { close(fd) }
        var st = stat()
        try sys(fstat(fd, &st), "stat \(clean)")
        guard (st.st_mode & S_IFMT) == type,
              type == S_IFIFO || (Int64(hk_major(st.st_rdev)) == major && Int64(hk_minor(st.st_rdev)) == minor) else {
            throw RuntimeError("\(clean) was replaced while the device was being made (a race from inside the rootfs)")
        }
        try sys(fchownat(fd, "", uid, gid, Int32(HK_AT_EMPTY_PATH)), "chown \(clean)")
        try sys(chmod("/proc/self/fd/" + String(decimal: fd), mode), "chmod \(clean)")
    }

    func bindHostDevice(_ path: String, parent: Int32, name: String, index: Int) throws {
        do {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR || (st.st_mode & S_IFMT) == S_IFBLK else {
                throw RuntimeError("cannot create \(path) in a user namespace: mknod is not allowed there, and the host has no such device to bind")
            }
            let f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if f < 0 { throw SystemError("create \(path) for a bind mount") }
            defer { close(f) }
            // Onto the file just made, by its descriptor, not by its name: a
            // container sharing the rootfs could swap the name for a symlink
            // after the create, and before pivot_root a symlink resolves in
            // the host's root (the same race as setOwnerAndMode's).
            try sys(hk_mount(path, Rootfs.procPath(f), nil, MountFlag.bind, nil), "bind the host's \(path)")
        } catch {
            throw index >= 0 ? SpecError("linux.devices[\(index)]", "\(error)") : error
        }
    }

    func createDevSymlinks() throws {
        let dev = try make("/dev", .directory)
        defer { close(dev) }
        var links = [("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"),
                     ("/proc/self/fd/2", "stderr")]
        if Files.exists("/proc/kcore") { links.append(("/proc/kcore", "core")) }
        for (target, name) in links where symlinkat(target, dev, name) != 0 && errno != EEXIST {
            throw SystemError("symlink /dev/\(name)")
        }
        // /dev/ptmx must be the container's own devpts instance.
        unlinkat(dev, "ptmx", 0)
        try sys(symlinkat("pts/ptmx", dev, "ptmx"), "symlink /dev/ptmx")
    }
}
