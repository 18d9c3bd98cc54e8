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
            // runc's run -d waits for READY= too, MAINPID the init's.
            if let notify = try start(id: id, notifySocket: options.notifySocket, hostRequired: false) {
                defer { notify.relay.close(); close(notify.pidfd) }
                passReady(notify.relay, pidfd: notify.pidfd, mainPid: notify.pid)
            }
            return 0
        }
        var opts = options
        opts.foreground = true
        // Blocked before clone so no signal is lost; the init unblocks before exec.
        _ = hk_block_all_signals()
        let c = try create(id: id, options: opts, keepSync: true)
        defer { c.terminal?.close() }
        var relay: Relay? = nil
        var notify: NotifyRelay? = nil
        do {
            relay = try c.terminal?.attach(field: "config.json: process.terminal")
            if let n = options.notifySocket {
                let dir = try ContainerDir(path: store.root + "/" + id, id: id, lock: false)
                defer { dir.unlock() }
                notify = try n.open(in: dir, hostRequired: false, logger: logger)
            }
            try c.sync.send(.start)
        } catch {
            notify?.close()
            relay?.end()
            close(c.sync.fd)
            try? delete(id: id, force: true)
            throw error
        }
        close(c.sync.fd)
        runPoststart(c.state)
        if let notify {
            // In the foreground hako is the unit's main process, as runc
            // is: MAINPID is hako's own. (A terminal is relayed only after.)
            let pidfd = hk_pidfd_open(c.pid, 0)
            if pidfd >= 0 { passReady(notify, pidfd: pidfd, mainPid: getpid()); close(pidfd) }
            notify.close()
        }
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

    /// run's READY= relay: a failure is warned about, not fatal, as runc's
    /// run ignores it; the container runs either way.
    func passReady(_ notify: NotifyRelay, pidfd: Int32, mainPid: Int32) {
        do { _ = try notify.forwardReady(pidfd: pidfd, mainPid: mainPid, logger: logger) } catch {
            logger.warn("NOTIFY_SOCKET: \(error)")
        }
    }
}
