// `run`, runc's: create + start, and in the foreground wait for the
// container, forward signals and delete it.
import CNamespaces
import Glibc

extension Runtime {
    /// create + start; in the foreground, waits and returns the exit code
    /// (128+N for a signal), forwarding signals to the container.
    /// `keep`: the stopped container stays, for `state` and a later `delete` (runc's --keep).
    public func run(id: String, options: CreateOptions, detach: Bool, keep: Bool = false) throws -> Int32 {
        if detach {
            try create(id: id, options: options)
            try start(id: id)
            return 0
        }
        var opts = options
        opts.foreground = true
        // Blocked before clone so no signal is lost; the init unblocks before exec.
        _ = hk_block_all_signals()
        let c = try create(id: id, options: opts, keepSync: true)
        defer { c.terminal?.close() }
        var relay: Relay? = nil
        do {
            relay = try c.terminal?.attach(field: "config.json: process.terminal")
            try c.sync.send(.start)
        } catch {
            relay?.end()
            close(c.sync.fd)
            try? delete(id: id, force: true)
            throw error
        }
        close(c.sync.fd)
        runPoststart(c.state)
        // Reap everything: hooks are our children too.
        let exited: () -> Int32? = {
            while true {
                var st: Int32 = 0
                let r = waitpid(-1, &st, WNOHANG)
                if r <= 0 { return nil }
                if r == c.pid { return st }
            }
        }
        let status: Int32
        if let relay {
            status = relay.run(forwardingTo: c.pid, exited: exited)
            relay.end()
        } else {
            status = Relay.waitForExit(c.pid, exited)
        }
        if !keep { try? delete(id: id, force: true) }
        return Exec.exitCode(status)
    }
}
