// The executable seal, against CVE-2019-5736. Every process hako puts into
// a container runs hako's own code until its execve, and that execve can be
// made to load hako again: a program `#!/proc/self/exe`, or args[0]
// /proc/self/exe, has the kernel run the executable of the calling process.
// The container then holds a process whose /proc/PID/exe is hako's binary;
// it opens that link, waits for the process to exit (the kernel refuses
// writes to a running executable) and reopens the descriptor for writing.
// If that reaches the file on the host, the next `hako` anyone runs is the
// attacker's.
//
// So `create`, `run` and `exec`, the commands whose children enter a
// container, first make sure that hako runs from a file no one can write,
// and if it does not, execute themselves again from one. The cheap way is a
// private overlayfs whose layers are the binary's directory and an empty
// one: without an upper layer the filesystem itself is read-only and cannot
// be remounted writable; it shares the binary's page cache, so nothing is
// copied; and it is detached, so it goes away with the last process that
// runs from it. Where overlayfs cannot be mounted (no CAP_SYS_ADMIN, an old
// kernel) the fallback is a copy of the binary in a memfd, sealed against
// writes, which costs a copy of the whole binary per command. A binary that
// already lies on a read-only mount, or is such a sealed memfd, needs
// neither. (overlayfs without an upper layer wants two lower ones; the
// second is an empty directory, /run/hako-seal, the same for every state
// root, so that no --root ever holds anything but containers. overlayfs
// refuses layers inside one another, so a binary under /run/hako-seal, or a
// host where root cannot make it, means the memfd copy.)
import CNamespaces
import Glibc

public enum ExecutableSeal {
    /// The seals that make a memfd immutable: no writes, no resizing, no unsealing.
    static let memfdSeals = HK_F_SEAL_SEAL | HK_F_SEAL_SHRINK | HK_F_SEAL_GROW | HK_F_SEAL_WRITE
    /// The overlayfs' second, empty layer; /run is a tmpfs, gone at boot.
    static let emptyLayer = "/run/hako-seal"

    /// Returns if hako already runs from a sealed file; otherwise executes
    /// hako again, with the same arguments and environment, from a sealed
    /// one, and does not return.
    public static func ensure(logger: Logger) throws {
        let exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        if exe < 0 { throw SystemError("open /proc/self/exe to seal hako's binary (CVE-2019-5736)") }
        defer { close(exe) }
        if isSealed(exe) { return }
        var failures: [String] = []
        var sealed: Int32 = -1
        do {
            // HAKO_SEAL=memfd takes the fallback, for its tests and bench/seal.sh.
            if let m = getenv("HAKO_SEAL"), String(cText: m) == "memfd" { throw RuntimeError("not tried (HAKO_SEAL=memfd)") }
            sealed = try overlay(emptyLayer: emptyLayer)
            logger.trace("seal: hako re-executes from a read-only overlayfs")
        } catch {
            failures.append("overlayfs: \(error)")
            do {
                sealed = try memfdCopy(of: exe)
                logger.trace("seal: hako re-executes from a sealed memfd copy")
            } catch { failures.append("memfd: \(error)") }
        }
        if sealed >= 0, !isSealed(sealed) {
            failures.append("the sealed copy is not read-only")
            close(sealed)
            sealed = -1
        }
        if sealed < 0 {
            throw RuntimeError("cannot run hako from a sealed copy of its binary, which protects it from the container (CVE-2019-5736): " + failures.joined(separator: "; "))
        }
        if !failures.isEmpty { logger.debug("seal: \(failures.joined(separator: "; "))") }
        _ = hk_execveat(sealed, hk_argv())
        let e = SystemError("execveat the sealed copy of hako")
        close(sealed)
        throw e
    }

    /// A file no one can write through any path to it: on a read-only mount
    /// or filesystem, or a memfd with every write seal.
    static func isSealed(_ fd: Int32) -> Bool {
        var fs = statvfs()
        if fstatvfs(fd, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 { return true }
        let seals = hk_fcntl_int(fd, HK_F_GET_SEALS, 0)
        return seals >= 0 && seals & memfdSeals == memfdSeals
    }

    /// An O_PATH descriptor of hako's binary on a new, detached, read-only
    /// overlayfs. overlayfs wants two lower layers when it has no upper one;
    /// the binary's directory goes on top, so nothing in the empty layer can
    /// stand in for the binary.
    static func overlay(emptyLayer: String) throws -> Int32 {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let len = readlink("/proc/self/exe", &buf, buf.count - 1)
        if len < 0 { throw SystemError("readlink /proc/self/exe") }
        let path = String(cText: buf)
        guard path.hasBytePrefix("/"), let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else {
            throw RuntimeError("/proc/self/exe is \(path)")
        }
        let dir = String(path[..<slash]), name = String(path[path.index(after: slash)...])
        if mkdir(emptyLayer, 0o700) != 0, errno != EEXIST {
            if errno != ENOENT { throw SystemError("mkdir \(emptyLayer)") }
            _ = try Files.makeDirectories(emptyLayer, mode: 0o700)
        }
        let ctx = try sys(hk_fsopen("overlay"), "fsopen overlay")
        defer { close(ctx) }
        let lower = escapeLayer(dir.isEmpty ? "/" : dir) + ":" + escapeLayer(emptyLayer)
        try sys(hk_fsconfig_string(ctx, "lowerdir", lower), "overlayfs lowerdir=\(lower)")
        // xino only matters for inode numbers of merged directories; left
        // to itself the kernel may enable it and log about it.
        _ = hk_fsconfig_string(ctx, "xino", "off")
        try sys(hk_fsconfig_create(ctx), "create overlayfs (lowerdir=\(lower))")
        let mnt = try sys(hk_fsmount_readonly(ctx), "fsmount overlayfs")
        defer { close(mnt) }
        return try sys(openat(mnt, name, HK_O_PATH | O_NOFOLLOW | O_CLOEXEC), "open \(name) on the overlayfs")
    }

    /// overlayfs separates layers with ':' and escapes with '\'.
    static func escapeLayer(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == ":" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A sealed, executable memfd holding a copy of the binary.
    static func memfdCopy(of exe: Int32) throws -> Int32 {
        var st = stat()
        try sys(fstat(exe, &st), "fstat /proc/self/exe")
        // MFD_CLOEXEC | MFD_ALLOW_SEALING, and MFD_EXEC where the kernel has
        // it (6.3), so that vm.memfd_noexec does not make the copy unrunnable.
        var fd = hk_memfd_create("hako-sealed", HK_MFD_CLOEXEC | HK_MFD_ALLOW_SEALING | HK_MFD_EXEC)
        if fd < 0, errno == EINVAL { fd = hk_memfd_create("hako-sealed", HK_MFD_CLOEXEC | HK_MFD_ALLOW_SEALING) }
        if fd < 0 { throw SystemError("memfd_create") }
        do {
            var copied = 0
            while copied < Int(st.st_size) {
                let n = hk_sendfile(fd, exe, Int(st.st_size) - copied)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { throw n == 0 ? RuntimeError("copy of the binary ended early") : SystemError("sendfile into the memfd") }
                copied += n
            }
            try sys(hk_fcntl_int(fd, HK_F_ADD_SEALS, memfdSeals), "seal the memfd")
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}
