// tmpcopyup, the mount option runc and crun share: a tmpfs mounted over a
// directory of the image starts with that directory's contents (owners,
// modes, times, symlinks and special files kept), so an image's /tmp or
// /run survives being made a tmpfs. The source is a descriptor opened before
// the tmpfs covered it; everything is done relative to descriptors, without
// following symlinks, so the image cannot point the copy elsewhere.
import CNamespaces
import Glibc

enum CopyUp {
    static func copy(from src: Int32, to dst: Int32, what: String) throws {
        for name in Files.list(Rootfs.procPath(src)) {
            var st = stat()
            try sys(fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW), "tmpcopyup: stat \(what)/\(name)")
            let perm = st.st_mode & 0o7777
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try sys(mkdirat(dst, name, 0o700), "tmpcopyup: mkdir \(what)/\(name)")
                let from = try sys(openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "tmpcopyup: open \(what)/\(name)")
                defer { close(from) }
                let to = try sys(openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "tmpcopyup: open the copy of \(what)/\(name)")
                defer { close(to) }
                try copy(from: from, to: to, what: what + "/" + name)
            case S_IFREG:
                let from = try sys(openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), "tmpcopyup: open \(what)/\(name)")
                defer { close(from) }
                let to = try sys(openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600),
                                 "tmpcopyup: create \(what)/\(name)")
                defer { close(to) }
                try copyData(from: from, to: to, size: Int(st.st_size), what: what + "/" + name)
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(src, name, &buf, buf.count - 1)
                if n < 0 { throw SystemError("tmpcopyup: readlink \(what)/\(name)") }
                try sys(symlinkat(String(cText: buf), dst, name), "tmpcopyup: symlink \(what)/\(name)")
            default:
                try sys(mknodat(dst, name, st.st_mode, st.st_rdev), "tmpcopyup: mknod \(what)/\(name)")
            }
            try sys(fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW), "tmpcopyup: chown \(what)/\(name)")
            if (st.st_mode & S_IFMT) != S_IFLNK {
                try sys(fchmodat(dst, name, perm, 0), "tmpcopyup: chmod \(what)/\(name)")
            }
            var times = [st.st_atim, st.st_mtim]
            _ = utimensat(dst, name, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// copy_file_range, which the kernel refuses between some filesystems
    /// (the image's and the tmpfs), else read and write.
    static func copyData(from: Int32, to: Int32, size: Int, what: String) throws {
        var left = size
        while left > 0 {
            let n = hk_copy_file_range(from, to, left)
            if n > 0 { left -= n; continue }
            if n < 0, errno == EINTR { continue }
            if n == 0 { return } // the file shrank meanwhile
            if errno != EXDEV, errno != EINVAL, errno != ENOSYS, errno != EOPNOTSUPP {
                throw SystemError("tmpcopyup: copy \(what)")
            }
            break
        }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(from, &buf, buf.count)
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw SystemError("tmpcopyup: read \(what)") }
            if n == 0 { return }
            var off = 0
            while off < n {
                let w = buf[off..<n].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                if w < 0, errno == EINTR { continue }
                if w <= 0 { throw SystemError("tmpcopyup: write \(what)") }
                off += w
            }
        }
    }
}
