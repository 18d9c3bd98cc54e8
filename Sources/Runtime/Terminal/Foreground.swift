// process.terminal without --console-socket, for `run` and `exec -t` in
// the foreground: what runc does when no engine takes the terminal. The
// container's side is unchanged (Terminal.swift makes the pty in the
// container's devpts and sends the master over a socket); the socket is one
// end of a pair hako made, and hako itself keeps the master and relays it
// to the caller's terminal (Relay.swift).
import CNamespaces
import Glibc

struct ForegroundTerminal {
    /// hako's end, where the master arrives.
    let ours: Int32
    /// Stands in for --console-socket: duplicated for the process's setup,
    /// which sends the master on it and closes it.
    let theirs: Int32

    static func open() throws -> ForegroundTerminal {
        let (a, b) = try socketPair()
        return ForegroundTerminal(ours: a, theirs: b)
    }

    /// A copy of `theirs` for the child to own (closed on exec, and by the
    /// caller's own cleanup on every path).
    func theirsCopy() throws -> Int32 {
        try sys(hk_fcntl_int(theirs, F_DUPFD_CLOEXEC, 3), "duplicate the terminal's socket")
    }

    /// Takes the master and starts relaying. Called once the process has
    /// reported ready, which it does only after sending the master: so the
    /// master is queued by now, and a missing one is an error, never a wait.
    func attach(field: String) throws -> Relay {
        var p = pollfd(fd: ours, events: Int16(POLLIN), revents: 0)
        guard retryEINTR({ poll(&p, 1, 0) }) == 1 else {
            throw RuntimeError("\(field): the container's process reported ready without sending its terminal")
        }
        var name = [CChar](repeating: 0, count: 64)
        let master = hk_recv_fd(ours, &name, name.count)
        if master < 0 { throw SystemError("receive the terminal's master") }
        do {
            let host = try HostConsole.find(field: field)
            return try Relay.begin(master: master, host: host)
        } catch {
            _ = Glibc.close(master)
            throw error
        }
    }

    func close() {
        _ = Glibc.close(ours)
        _ = Glibc.close(theirs)
    }
}
