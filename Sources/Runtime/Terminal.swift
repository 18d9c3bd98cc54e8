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
        let slave = try sys(open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC), "open \(slavePath)")
        if let size { _ = hk_set_winsize(master, size.height, size.width) }
        // /dev/console is a bind mount of the slave.
        if console, access("/dev/console", F_OK) != 0 {
            let f = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC, 0o666)
            if f >= 0 { close(f) }
        }
        if console { try sys(hk_mount(slavePath, "/dev/console", nil, MountFlag.bind, nil), "bind \(slavePath) on /dev/console") }
        let name = Array("/dev/ptmx".utf8CString).map { $0 }
        try sys(name.withUnsafeBufferPointer { hk_send_fd(consoleSocket, master, $0.baseAddress, $0.count - 1) },
                "send pty master to console socket")
        return Terminal(slave: slave)
    }

    /// Makes the slave the controlling terminal and the standard streams.
    func attach() throws {
        try sys(hk_ioctl_int(slave, UInt(TIOCSCTTY), 0), "set controlling terminal")
        for target in 0...2 { try sys(dup2(slave, Int32(target)), "dup2 terminal") }
    }
}
