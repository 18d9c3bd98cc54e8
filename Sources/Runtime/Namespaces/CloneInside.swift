// A process born inside the container, cloned by a short-lived helper that
// entered it first, as runc's nsexec clones its last stage.
//
// Joining a pid namespace with setns(2) only moves the joiner's children
// into it; the joiner itself stays where it is. So whatever a process of
// hako's still holds of the host when it is cloned into a container's pid
// namespace (the host's root and cwd, a descriptor to a host file), the
// container's processes can reach: /proc/PID/root, /proc/PID/cwd and
// pidfd_getfd are closed by non-dumpability only to those without
// CAP_SYS_PTRACE in the process's user namespace, and a container without a
// user namespace holding CAP_SYS_PTRACE (`docker run --cap-add SYS_PTRACE`,
// a Kubernetes debug container) has it in the host's. There must be no
// such moment.
//
// So hako never clones into the pid namespace itself. A helper, cloned in
// hako's own pid namespace where the container cannot see it, does the
// entering (`enter`: the other namespaces, the container's root, closing the
// host's descriptors) and clones the process from there, already standing
// in the container. CLONE_PARENT makes hako that process's parent, so that
// waiting for it, its exit status and SIGCHLD are as with a plain clone; the
// helper, in hako's pid namespace, learns the pid as hako sees it. An
// `enter` that fails gives its error instead, and nothing was cloned.
//
// The helper shares hako's memory, and answers there (`Answer`), not over a
// descriptor: the process it clones would inherit a descriptor, and a
// container holding CAP_SYS_PTRACE could take it (pidfd_getfd) and tell
// hako any pid, the host's included, to move into the container's cgroup
// and kill (the cold attack of 2026-12-07). The process's copy of that
// memory is its own.
import CNamespaces
import Glibc

enum CloneInside {
    /// What the helper found, written into the memory it shares with hako.
    final class Answer {
        var pid: Int32 = -1
        var inCgroup = false
        var error: Error? = nil
    }

    /// Clones `body` with `flags` (and CLONE_PARENT) from a helper that has
    /// run `enter`. On cgroup v2 with `cgroupFD` the process starts in that
    /// cgroup (clone3). Returns its pid and whether it started in the cgroup.
    static func clone(flags: Int32, cgroupFD: Int32?, enter: @escaping () throws -> Void,
                      body: @escaping () -> Never) throws -> (pid: Int32, inCgroup: Bool) {
        let answer = Answer()
        let helper = sharingMemory {
            helperBody(flags: flags, cgroupFD: cgroupFD, answer: answer, enter: enter, body: body)
        }
        if helper < 0 { throw SystemError("clone", errno: errno) }
        var status: Int32 = 0
        _ = retryEINTR { waitpid(helper, &status, 0) }
        if let error = answer.error { throw error }
        guard answer.pid > 0 else { throw RuntimeError("the process entering the container died before it was cloned") }
        return (answer.pid, answer.inCgroup)
    }

    /// Runs `work` in a child that shares hako's memory while hako waits for
    /// it to exit (hk_clone_vm), and returns its pid. The helper only joins
    /// namespaces, closes descriptors and clones: a fork's copy of hako's
    /// page tables, and its copies on write after, were a tenth of an
    /// exec's CPU. What it changes in memory is hako's, which is stopped
    /// meanwhile; namespaces, root, credentials and descriptors are its own
    /// (no CLONE_FS, CLONE_FILES or CLONE_THREAD). Its clone of the process
    /// is an ordinary fork of that memory.
    /// (The closure is escaping because the helper's call of it never
    /// returns to release it: seen from hako, it escaped.)
    private static func sharingMemory(_ work: @escaping () -> Never) -> Int32 {
        var context = work
        return withUnsafeMutablePointer(to: &context) { p in
            hk_clone_vm({ arg in arg!.assumingMemoryBound(to: (() -> Never).self).pointee() }, p)
        }
    }

    /// The helper: enters, clones, answers, exits.
    private static func helperBody(flags: Int32, cgroupFD: Int32?, answer: Answer,
                                   enter: () throws -> Void, body: () -> Never) -> Never {
        do {
            try enter()
            let flags = UInt32(bitPattern: flags | HK_CLONE_PARENT)
            var pid: Int32 = -1
            if let cgroupFD {
                // Older kernels lack clone3 or CLONE_INTO_CGROUP: plain clone then.
                pid = hk_clone3(UInt64(flags), cgroupFD)
                answer.inCgroup = pid >= 0
            }
            if pid < 0 { pid = hk_clone(UInt(flags)) }
            if pid == 0 { body() }
            if pid < 0 { throw SystemError("clone", errno: errno) }
            answer.pid = pid
        } catch {
            answer.error = error
        }
        _exit(0)
    }
}
