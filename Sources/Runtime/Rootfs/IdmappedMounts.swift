// Idmapped bind mounts: config.md's "idmap" and "ridmap" options and a
// mount's own uidMappings/gidMappings. Files appear with their owners
// shifted by a user namespace's mapping: the mount's own mappings if it has
// them, else the container's.
//
// The kernel sets MOUNT_ATTR_IDMAP only for a caller privileged over the
// filesystem, which means the host's user namespace, and only on a mount not
// yet attached anywhere. The container's init, already in its own user
// namespace, can do neither; so hako prepares each such mount before the init
// goes on (open_tree clones the source, mount_setattr maps it) and passes the
// descriptor over the sync socket. The init moves it into place.
import CNamespaces
import Glibc

enum IdmappedMounts {
    static let openTreeClone = HK_OPEN_TREE_CLONE, atRecursive = HK_AT_RECURSIVE, atEmptyPath = HK_AT_EMPTY_PATH
    static let attrIdmap = HK_MOUNT_ATTR_IDMAP

    /// Sends the init one detached, idmapped mount per idmap/ridmap entry
    /// of `mounts`, tagged with the entry's index.
    ///
    /// `hostBinds`: every other bind too, cloned here, by the host's root.
    /// A container with its own user namespace is root only over its own
    /// files: its init cannot reach a source under a root-only (0700)
    /// directory, which runc's init can bind because runc opens the sources
    /// before the init enters the user namespace.
    static func send(_ mounts: [Mount], bundle: String, initPid: Int32, hostBinds: Bool = false, over sync: SyncChannel) throws {
        for (k, m) in mounts.enumerated() where m.isIdmapped || hostBinds {
            let opts = try MountOptions(m.options, path: m.path + ".options")
            guard let idmap = opts.idmap else {
                guard hostBinds, opts.isBind || m.type == "bind" else { continue }
                let tree = try clone(m, recursiveBind: opts.isRecursive, bundle: bundle)
                defer { close(tree) }
                try sync.send(.mount(k), passing: tree)
                continue
            }
            let tree = try prepare(m, recursiveBind: opts.isRecursive, idmap: idmap, bundle: bundle, initPid: initPid)
            defer { close(tree) }
            try sync.send(.mount(k), passing: tree)
        }
    }

    /// A detached copy of a bind mount's source, as the host sees it.
    static func clone(_ m: Mount, recursiveBind: Bool, bundle: String) throws -> Int32 {
        guard let raw = m.source else { throw SpecError(m.path + ".source", "is required for a bind mount") }
        let source = raw.hasBytePrefix("/") ? raw : joinPath(bundle, raw)
        let tree = hk_open_tree(AT_FDCWD, source, openTreeClone | UInt32(O_CLOEXEC) | (recursiveBind ? atRecursive : 0))
        if tree < 0 { throw SpecError(m.path, SystemError("bind source \(source)").description) }
        return tree
    }

    static func prepare(_ m: Mount, recursiveBind: Bool, idmap: MountOptions.Idmap, bundle: String, initPid: Int32) throws -> Int32 {
        guard let raw = m.source else { throw SpecError(m.path + ".source", "is required for a bind mount") }
        let source = raw.hasBytePrefix("/") ? raw : joinPath(bundle, raw)
        let userns = m.uidMappings.isEmpty
            ? open("/proc/\(initPid)/ns/user", O_RDONLY | O_CLOEXEC)
            : try userNamespace(uid: m.uidMappings, gid: m.gidMappings, field: m.path)
        if userns < 0 { throw SpecError(m.path, SystemError("open the container's user namespace").description) }
        defer { close(userns) }
        let tree = hk_open_tree(AT_FDCWD, source, openTreeClone | UInt32(O_CLOEXEC) | (recursiveBind ? atRecursive : 0))
        if tree < 0 { throw SpecError(m.path, SystemError("open_tree \(source)").description) }
        let flags = atEmptyPath | (idmap == .recursive ? atRecursive : 0)
        if hk_mount_setattr(tree, "", flags, attrIdmap, 0, 0, userns) < 0 {
            let e = errno
            close(tree)
            var why = SystemError("idmap \(source)", errno: e).description
            if e == EINVAL { why += " (its filesystem may not support idmapped mounts)" }
            if e == EPERM, geteuid() != 0 { why += " (idmapped mounts need root on the host)" }
            throw SpecError(m.path, why)
        }
        return tree
    }

    /// A user namespace with the given maps, held by a child that waits
    /// until its pipe closes: the returned descriptor keeps it alive.
    static func userNamespace(uid: [IDMapping], gid: [IDMapping], field: String) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        try sys(hk_pipe2(&fds, O_CLOEXEC), "pipe")
        let pid = hk_clone(UInt(UInt32(bitPattern: NamespaceType.user.cloneFlag)))
        if pid == 0 {
            close(fds[1])
            var b: UInt8 = 0
            _ = read(fds[0], &b, 1)
            _exit(0)
        }
        close(fds[0])
        defer {
            close(fds[1])
            if pid > 0 { _ = try? Exec.wait(pid, timeoutSeconds: nil) }
        }
        if pid < 0 { throw SystemError("clone a user namespace for \(field)") }
        do {
            try Files.writeProcfs("/proc/\(pid)/uid_map", UserNamespace.text(uid))
            try Files.writeProcfs("/proc/\(pid)/gid_map", UserNamespace.text(gid))
        } catch {
            throw SpecError(field + ".uidMappings", "\(error)")
        }
        return open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
    }
}
