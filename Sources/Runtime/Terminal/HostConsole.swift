// The caller's terminal, for a process.terminal that hako relays itself (no
// --console-socket). It is looked for where runc looks: stderr, stdout and
// stdin, since any of them may be redirected, then the controlling terminal
// through /dev/tty. While the container's pty is relayed it is in raw mode,
// so that keys (^C, ^Z, ^D) travel as bytes to the container's line
// discipline, which turns them into signals for the container's own
// foreground job; afterwards it gets its old mode back.
import CNamespaces
import Glibc

struct HostConsole {
    let fd: Int32
    /// /dev/tty was opened to find it: hako's descriptor, closed at the end.
    let opened: Bool

    /// Finds the terminal, or says why there is none (runc refuses then too:
    /// there is nowhere to relay to).
    static func find(field: String) throws -> HostConsole {
        var probe = termios()
        for fd in [Int32(2), 1, 0] where tcgetattr(fd, &probe) == 0 {
            return HostConsole(fd: fd, opened: false)
        }
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        if tty < 0 {
            throw RuntimeError("\(field): hako has no terminal to relay the container's to: stdin, stdout and stderr are not terminals, and "
                + SystemError("open /dev/tty").description + " (give --console-socket, or run without a terminal)")
        }
        return HostConsole(fd: tty, opened: true)
    }

    /// The mode to give back, read just before the switch to raw.
    func currentMode() throws -> termios {
        var mode = termios()
        try sys(tcgetattr(fd, &mode), "read the mode of the caller's terminal")
        return mode
    }

    /// runc's raw mode (containerd/console's SetRaw): cfmakeraw's input and
    /// local flags, 8-bit characters, reads of one byte, but output
    /// processing kept. The container's pty has ONLCR cleared (Relay), so
    /// its "\n" becomes "\r\n" here, once, as on runc.
    func makeRaw(from saved: termios) throws {
        var raw = saved
        raw.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        raw.c_cflag &= ~tcflag_t(CSIZE | PARENB)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_oflag |= tcflag_t(OPOST)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        try sys(tcsetattr(fd, TCSANOW, &raw), "put the caller's terminal in raw mode")
    }

    /// Gives the mode back. TCSADRAIN: what was relayed is shown first.
    func restore(_ saved: termios) {
        var mode = saved
        _ = retryEINTR { tcsetattr(fd, TCSADRAIN, &mode) }
    }

    /// The pty gets this terminal's size; the kernel then sends SIGWINCH to
    /// the pty's foreground job, so the container needs no signal from us.
    /// A terminal that went away (hung up) keeps the old size: not an error.
    func copySize(to master: Int32) {
        _ = hk_copy_winsize(fd, master)
    }

    func close() {
        if opened { _ = Glibc.close(fd) }
    }
}
