// The foreground terminal's relay: the caller's stdin to the pty master,
// the master to the caller's stdout, window sizes on SIGWINCH, every other
// signal passed on to the container's process, until that process exits.
// One poll() loop on one thread: hako has no other (no Dispatch, no
// threads), and signals arrive as a descriptor (they are all blocked).
import CNamespaces
import Glibc

struct Relay {
    let master: Int32
    let host: HostConsole
    /// The caller's terminal mode, given back by end().
    let saved: termios
    let signals: Int32

    /// What is still flowing. stdin stops at end of file (runc's too: the
    /// process keeps its terminal, and output is still relayed until it
    /// exits); output stops when the pty has no slave left.
    struct Streams {
        var input = true
        var output = true
        /// The screen (stdout) still takes what is written to it.
        var screen = true
        /// Input the pty has not taken yet: stdin is not read again until
        /// it has, so a process that does not read cannot block the relay.
        var pending: [UInt8] = []
    }

    /// Prepares the master as runc does (ONLCR cleared: the caller's
    /// terminal adds the "\r"), gives it the caller's size and puts the
    /// caller's terminal in raw mode. On failure nothing is left changed.
    static func begin(master: Int32, host: HostConsole) throws -> Relay {
        do {
            var mode = termios()
            try sys(tcgetattr(master, &mode), "read the pty's mode")
            mode.c_oflag &= ~tcflag_t(ONLCR)
            try sys(tcsetattr(master, TCSANOW, &mode), "clear ONLCR on the pty")
            let flags = try sys(hk_fcntl_int(master, F_GETFL, 0), "read the pty's flags")
            try sys(hk_fcntl_int(master, F_SETFL, flags | O_NONBLOCK), "make the pty non-blocking")
            let signals = try sys(hk_signalfd_all(), "signalfd")
            let saved: termios
            do {
                saved = try host.currentMode()
                try host.makeRaw(from: saved)
            } catch {
                _ = close(signals)
                throw error
            }
            host.copySize(to: master)
            return Relay(master: master, host: host, saved: saved, signals: signals)
        } catch {
            host.close()
            throw error
        }
    }

    /// Gives the caller's terminal its mode back and closes what the relay
    /// holds. Every path out of run and exec calls it.
    func end() {
        host.restore(saved)
        host.close()
        _ = close(signals)
        _ = close(master)
    }

    /// Relays until `exited`, asked at each SIGCHLD, gives the process's
    /// wait status; signals other than SIGCHLD and SIGWINCH go to `pid`.
    func run(forwardingTo pid: Int32, exited: () -> Int32?) -> Int32 {
        var s = Streams()
        // The process may have exited before the loop: its SIGCHLD is still
        // pending, but the answer is the same either way.
        if let status = exited() { return finish(status, &s) }
        while true {
            var fds = pollSet(s)
            if retryEINTR({ poll(&fds, 3, -1) }) < 0 {
                // Not expected; without poll, wait for the exit alone.
                return finish(Relay.waitForExit(pid, exited), &s)
            }
            if fds[0].revents != 0, let status = takeSignals(pid, exited) { return finish(status, &s) }
            if fds[1].revents != 0 { readInput(&s) }
            // A hung-up pty fails the pending write, which drops it.
            if !s.pending.isEmpty, fds[2].revents & Int16(POLLOUT | POLLHUP | POLLERR) != 0 { writeInput(&s) }
            if s.output, fds[2].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { copyOutput(&s) }
        }
    }

    /// signalfd, stdin while it is read and nothing is pending, the master
    /// for output and for pending input. Negative descriptors are skipped.
    func pollSet(_ s: Streams) -> [pollfd] {
        let readStdin = s.input && s.pending.isEmpty
        var masterEvents: Int32 = s.output ? POLLIN : 0
        if !s.pending.isEmpty { masterEvents |= POLLOUT }
        return [pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                pollfd(fd: readStdin ? 0 : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: masterEvents != 0 ? master : -1, events: Int16(masterEvents), revents: 0)]
    }

    /// Every pending signal; the wait status once the process has exited.
    func takeSignals(_ pid: Int32, _ exited: () -> Int32?) -> Int32? {
        while true {
            let sig = hk_signalfd_next(signals)
            if sig <= 0 { return nil }
            switch sig {
            case SIGCHLD: if let status = exited() { return status }
            case SIGWINCH: host.copySize(to: master)
            default: _ = kill(pid, sig)
            }
        }
    }

    func readInput(_ s: inout Streams) {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(0, &buf, buf.count)
        if n > 0 {
            s.pending = Array(buf[0..<n])
            writeInput(&s)
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            // End of file, or a stdin that failed (hung up, closed): not
            // read again. The process is not told: runc does not either.
            s.input = false
        }
    }

    func writeInput(_ s: inout Streams) {
        let n = s.pending.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        if n > 0 {
            s.pending.removeFirst(n)
        } else if n < 0, errno != EAGAIN, errno != EINTR {
            s.pending = [] // no slave left to read it
        }
    }

    /// Returns what read returned: more than 0 while output is flowing.
    @discardableResult
    func copyOutput(_ s: inout Streams) -> Int {
        var buf = [UInt8](repeating: 0, count: 16384)
        let n = read(master, &buf, buf.count)
        if n > 0 {
            show(buf[0..<n], &s)
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            // EIO: every slave is closed; nothing more will come.
            s.output = false
        }
        return n
    }

    /// Writes to stdout. A screen that is gone (EIO, EPIPE) is not written
    /// again, but the pty is still read, so the process never blocks on a
    /// full terminal no one can see.
    func show(_ bytes: ArraySlice<UInt8>, _ s: inout Streams) {
        guard s.screen else { return }
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n > 0 { rest.removeFirst(n) } else if n < 0, errno == EINTR { continue } else { s.screen = false; return }
        }
    }

    /// After the exit: what the process wrote last is still in the pty.
    /// Read without waiting (the master is non-blocking; the kernel flushes
    /// its pending buffer before saying there is none), as runc drains its
    /// console before it returns.
    func finish(_ status: Int32, _ s: inout Streams) -> Int32 {
        while s.output, copyOutput(&s) > 0 {}
        return status
    }

    /// Without a terminal to relay: signals only, each passed on (as the
    /// foreground `run` without a terminal always did).
    static func waitForExit(_ pid: Int32, _ exited: () -> Int32?) -> Int32 {
        while true {
            var sender: Int32 = 0
            let sig = hk_wait_signal(&sender)
            if sig == SIGCHLD, let status = exited() { return status }
            if sig > 0, sig != SIGCHLD { _ = kill(pid, sig) }
        }
    }
}
