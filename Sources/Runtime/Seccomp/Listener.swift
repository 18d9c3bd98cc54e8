// SCMP_ACT_NOTIFY: handing the filter's listener to the seccomp agent at
// linux.seccomp.listenerPath, with the container's state (config-linux.md).
//
// A filter may notify on any syscall, the sendmsg that carries the listener
// included, and a notified syscall waits for an agent that has no listener
// yet: a deadlock (crun hung so, runc refuses NOTIFY on write). So the
// process that installs the filter never sends the listener itself. A helper
// cloned just before the install with CLONE_FILES shares the installer's
// descriptor table but not its filter; it waits for the listener to appear
// at the number the kernel gives it, the lowest free one, and sends it. The
// installer only waits for the helper, a syscall the agent can then answer.
import CNamespaces
import Glibc

struct SeccompListener {
    /// A socket connected to listenerPath.
    let agent: Int32
    /// The JSON message that goes with the descriptor.
    let payload: String

    /// Installs `filter` on the calling process and sends its listener, if
    /// it has one, to the agent. Closes the agent socket.
    func install(_ filter: SeccompFilter) throws {
        defer { close(agent) }
        guard filter.notify else {
            _ = try filter.install()
            return
        }
        let slot = hk_fcntl_int(agent, F_DUPFD, 0)
        if slot < 0 { throw SystemError("reserve a descriptor for the seccomp listener") }
        close(slot)
        let bytes = Array(payload.utf8)
        // An ignored SIGCHLD (inherited from the engine) would reap the
        // helper before we can read its status.
        signal(SIGCHLD, SIG_DFL)
        let helper = hk_clone(UInt(HK_CLONE_FILES))
        if helper < 0 { throw SystemError("clone the seccomp listener's sender") }
        if helper == 0 {
            // Nothing here may open a descriptor: it would take the slot.
            while hk_fcntl_int(slot, F_GETFD, 0) < 0 { sched_yield() }
            let sent = bytes.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) {
                    hk_send_fd(agent, slot, $0, b.count)
                }
            }
            _exit(sent == 0 ? 0 : Int32(errno & 0x7f))
        }
        let listener: Int32?
        do {
            listener = try filter.install()
        } catch {
            kill(helper, SIGKILL)
            _ = try? Exec.wait(helper, timeoutSeconds: nil)
            throw error
        }
        if listener != slot {
            // Cannot happen in a single-threaded process; never leave the helper spinning.
            kill(helper, SIGKILL)
            _ = try? Exec.wait(helper, timeoutSeconds: nil)
            throw RuntimeError("the seccomp listener got descriptor \(listener ?? -1), not \(slot)")
        }
        let status = try? Exec.wait(helper, timeoutSeconds: nil)
        close(slot)
        // The helper exits with sendmsg's errno; a signal or a lost status is EPIPE.
        if status != 0 {
            let code = status.map { $0 & 0x7f == 0 ? ($0 >> 8) & 0xff : 0 } ?? 0
            throw SystemError("send the seccomp listener to linux.seccomp.listenerPath", errno: code > 0 ? code : EPIPE)
        }
    }
}

extension SeccompListener {
    /// The container process state of config-linux.md that goes with the listener.
    static func message(pid: Int32, metadata: String?, state: JSON) -> String {
        var message: [(String, JSON)] = [
            ("ociVersion", .string(ContainerState.ociVersion)), ("fds", .array([.string("seccompFd")])),
            ("pid", .int(pid)),
        ]
        if let metadata { message.append(("metadata", .string(metadata))) }
        message.append(("state", state))
        return JSON.object(message).serialized()
    }
}
