// process.terminal: a pty from the container's own devpts. The master goes
// to the engine over --console-socket (SCM_RIGHTS, as runc sends it); the
// slave becomes the process's controlling terminal and /dev/console.
import CNamespaces
import Glibc

struct Terminal {
    let slave: Int32

    /// Runs after pivot_root, so /dev/ptmx is the container's devpts.
    /// `console`: also bind the slave on /dev/console (the init's terminal,
    /// not an exec'd process's).
    static func setup(consoleSocket: Int32, size: (height: UInt16, width: UInt16)?, console: Bool = true) throws -> Terminal {
        var number: Int32 = 0
        let master = hk_open_pty("/dev/ptmx", &number)
        if master < 0 { throw SystemError("open /dev/ptmx") }
        defer { close(master) }
        let slavePath = "/dev/pts/\(number)"
        let slave = try sys(open(slavePath, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC), "open \(slavePath)")
        // CVE-2025-52565: what is bound on /dev/console must be the pty
        // slave, and /dev/console a file of the container's /dev, not a
        // symlink that would carry the mount elsewhere. Both by descriptor.
        var st = stat()
        guard fstat(slave, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR, (136...143).contains(hk_major(st.st_rdev)) else {
            close(slave)
            throw RuntimeError("\(slavePath) is not a pty slave: refusing it as the terminal")
        }
        if let size { _ = hk_set_winsize(master, size.height, size.width) }
        if console {
            do { try bindConsole(slave: slave) } catch { close(slave); throw error }
        }
        let name = Array("/dev/ptmx".utf8CString).map { $0 }
        try sys(name.withUnsafeBufferPointer { hk_send_fd(consoleSocket, master, $0.baseAddress, $0.count - 1) },
                "send pty master to console socket")
        return Terminal(slave: slave)
    }

    static func bindConsole(slave: Int32) throws {
        var target = open("/dev/console", HK_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        if target < 0, errno == ENOENT {
            let f = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o666)
            if f >= 0 { close(f) }
            target = open("/dev/console", HK_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        }
        if target < 0 { throw SystemError("open /dev/console") }
        defer { close(target) }
        var st = stat()
        try sys(fstat(target, &st), "stat /dev/console")
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFCHR else {
            throw RuntimeError("/dev/console is \(type == S_IFLNK ? "a symlink" : "not a file or device"): refusing to mount the terminal on it")
        }
        try sys(hk_mount(Rootfs.procPath(slave), Rootfs.procPath(target), nil, MountFlag.bind, nil), "bind the pty on /dev/console")
    }

    /// Makes the slave the controlling terminal and the standard streams.
    func attach() throws {
        try sys(hk_ioctl_int(slave, UInt(TIOCSCTTY), 0), "set controlling terminal")
        for target in 0...2 { try sys(dup2(slave, Int32(target)), "dup2 terminal") }
    }
}
