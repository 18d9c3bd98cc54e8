// File helpers over raw syscalls. Small and explicit: the runtime reads a
// handful of files per command and must not pay for Foundation to do it.
import CNamespaces
import Glibc

public enum Files {
    /// Reads a whole file.
    public static func read(_ path: String, at dirfd: Int32 = AT_FDCWD) throws -> [UInt8] {
        let fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open \(path)") }
        defer { close(fd) }
        return try readAll(fd, path)
    }

    /// Reads to the end, or until `limit` bytes.
    public static func readAll(_ fd: Int32, _ what: String, limit: Int = .max) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read \(what)")
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// A file the container controls (its /etc/passwd), read only if it is
    /// a regular file of at most `limit` bytes: a FIFO there would make the
    /// read wait forever (opened O_NONBLOCK, it is seen first), a link to
    /// /dev/zero would read until memory runs out.
    public static func readRegular(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { throw SystemError("open \(path)") }
        defer { close(fd) }
        var st = stat()
        try sys(fstat(fd, &st), "fstat \(path)")
        guard st.st_mode & S_IFMT == S_IFREG else { throw RuntimeError("\(path) is not a regular file") }
        let bytes = try readAll(fd, path, limit: limit + 1)
        guard bytes.count <= limit else { throw RuntimeError("\(path) is larger than \(limit) bytes") }
        return bytes
    }

    public static func readText(_ path: String) -> String? {
        guard let b = try? read(path) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// Writes a whole buffer to fd, retrying short writes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ what: String) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write \(what)")
            }
            off += n
        }
    }

    /// Writes a file in place (cgroup and proc files must not be replaced).
    public static func write(_ path: String, _ text: String, at dirfd: Int32 = AT_FDCWD,
                             flags: Int32 = O_WRONLY | O_TRUNC) throws {
        let fd = openat(dirfd, path, flags | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("open \(path)") }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path)
    }

    /// Writes a procfs attribute (sysctl, id maps, LSM labels, oom_score_adj)
    /// only if it is what its path claims (CVE-2025-52881): a procfs file
    /// on the mount of /proc itself. A file or another procfs file bound
    /// over it, by the config or from inside, would take the write elsewhere.
    public static func writeProcfs(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw SystemError("open \(path)") }
        defer { close(fd) }
        try writeProcfs(fd: fd, text, path: path, procMount: mountID("/proc"))
    }

    /// Writes to an open procfs file only if it is one, on the procfs
    /// mount `procMount` (not a bind over the file: CVE-2025-52881).
    static func writeProcfs(fd: Int32, _ text: String, path: String, procMount: Int?) throws {
        if hk_fs_type(fd) != HK_PROC_SUPER_MAGIC {
            throw RuntimeError("\(path) is not a procfs file: refusing to write to it")
        }
        if let here = mountID(fd: fd), let procMount, here != procMount {
            throw RuntimeError("\(path) is covered by another mount: refusing to write to it")
        }
        try writeAll(fd, Array(text.utf8), path)
    }

    /// Writes through a temporary file and rename, so readers never see half a file.
    public static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o600,
                                       at dirfd: Int32 = AT_FDCWD) throws {
        try writeAtomically(path, Array(text.utf8), mode: mode, at: dirfd)
    }

    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600,
                                       at dirfd: Int32 = AT_FDCWD) throws {
        let (fd, tmp) = try createTemporary(for: path, mode: mode, at: dirfd)
        do {
            try writeAll(fd, bytes, tmp)
            close(fd)
        } catch {
            close(fd)
            unlinkat(dirfd, tmp, 0)
            throw error
        }
        // rename replaces a symlink at path, never follows it.
        if renameat(dirfd, tmp, dirfd, path) != 0 {
            let e = SystemError("rename \(tmp)")
            unlinkat(dirfd, tmp, 0)
            throw e
        }
    }

    /// A new file beside path, under a name no one else holds. O_EXCL and
    /// O_NOFOLLOW: the directory may be another user's (a --pid-file in
    /// /tmp), where a symlink planted at a predictable temporary name once
    /// made hako truncate and write the host file it named. A name taken
    /// (by a parallel writer or a planted file) is passed over for another.
    static func createTemporary(for path: String, mode: mode_t, at dirfd: Int32) throws -> (Int32, String) {
        var tmp = path + ".tmp\(getpid())"
        for _ in 0..<100 {
            let fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return (fd, tmp) }
            if errno != EEXIST { throw SystemError("open \(tmp)") }
            tmp = path + ".tmp\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        }
        throw SystemError("open \(tmp): every temporary name tried was taken", errno: EEXIST)
    }

    /// mkdir -p. Returns the directories it created, outermost first, so a
    /// failed create can remove exactly those. The directory itself is tried
    /// first and its parents only if it has none: a container's cgroup lies
    /// under an existing parent in each of up to 12 hierarchies, one mkdir
    /// each instead of one per component.
    @discardableResult
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws -> [String] {
        if mkdir(path, mode) == 0 { return [path] }
        if errno == EEXIST { return [] }
        guard errno == ENOENT, let parent = parentDirectory(path) else { throw SystemError("mkdir \(path)") }
        var created = try makeDirectories(parent, mode: mode)
        if mkdir(path, mode) == 0 {
            created.append(path)
        } else if errno != EEXIST {
            throw SystemError("mkdir \(path)")
        }
        return created
    }

    /// The path without its last component ("/a//b/" -> "/a"); nil where
    /// that is "/" or nothing ("/a", "a"), which need no making.
    static func parentDirectory(_ path: String) -> String? {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        var end = slash
        while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return end == 0 ? nil : String(decoding: bytes[..<end], as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The id of the mount a path is on (fdinfo's mnt_id), to tell whether
    /// something was mounted over it since.
    public static func mountID(_ path: String) -> Int? {
        let fd = open(path, HK_O_PATH | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return mountID(fd: fd)
    }

    /// statx's STATX_MNT_ID, one system call; fdinfo where the kernel is older than 5.8.
    public static func mountID(fd: Int32) -> Int? {
        let id = hk_mount_id(fd)
        if id >= 0 { return id }
        guard let info = readText("/proc/self/fdinfo/\(fd)") else { return nil }
        for line in info.split(separator: "\n") where line.hasBytePrefix("mnt_id:") {
            return Int(String(line.dropFirst(7)).trimmingWhitespace)
        }
        return nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names of the directories in a directory (from d_type: cgroup
    /// directories hold dozens of files, not worth a stat each).
    public static func subdirectories(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            guard e.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cText: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Names in a directory, without . and ..
    public static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cText: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}

/// Joins paths the way the spec means them: `b` is taken relative to `a`
/// even when absolute, and the result is lexically clean.
public func joinPath(_ a: String, _ b: String) -> String {
    cleanPath(a + "/" + b)
}

public func cleanPath(_ p: String) -> String {
    var parts: [String] = []
    for c in p.split(separator: "/", omittingEmptySubsequences: true) {
        if c == "." { continue }
        if c == ".." {
            if !parts.isEmpty, parts.last != ".." { parts.removeLast() } else if !p.hasBytePrefix("/") { parts.append("..") }
            continue
        }
        parts.append(String(c))
    }
    let joined = parts.joined(by: "/")
    return p.hasBytePrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
}

/// An absolute form of a path relative to the working directory.
public func absolutePath(_ p: String) -> String {
    if p.hasBytePrefix("/") { return cleanPath(p) }
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buf, buf.count) != nil else { return cleanPath(p) }
    return joinPath(String(cText: buf), p)
}
