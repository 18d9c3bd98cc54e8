// An init that joins another container's user namespace (a pod's, say) and
// makes new namespaces of its own: those must be owned by the joined user
// namespace, not the host's. A namespace belongs to the user namespace its
// creator is in when it is made, and only capabilities there act on it: a
// uts namespace made by clone(2) from the host's user namespace refuses the
// container's root sethostname, a network namespace refuses it bringing lo up
// or adding an address, a pid namespace decides who may mount its procfs.
//
// hako cannot join the user namespace itself, because it would lose the
// host's capabilities that it needs afterwards (cgroups, hooks, the state
// directory) and cannot come back. So a short-lived helper does it, as runc's
// nsexec does with its second stage: it joins the pid namespace for its
// children (while it is still the host's root), then the user namespace, and
// clones the init from there, with the new namespaces, which the joined user
// namespace therefore owns. CLONE_PARENT makes hako the init's parent, so
// that waiting for the init, its exit status and SIGCHLD are as with a plain
// clone; and the helper, itself in hako's pid namespace, learns the init's
// pid as hako sees it and writes it to a socket before it exits.
import CNamespaces
import Glibc

enum JoinedUserNamespace {
    /// Clones the init through a helper in the user namespace `user`; the
    /// init runs `initBody`. Returns the init's pid, or -1 with errno set,
    /// and whether it started in the cgroup of `cgroupFD` (clone3).
    static func cloneInit(flags: Int32, user: Int32, pidNamespace: Int32?, cgroupFD: Int32?,
                          initBody: () -> Never) -> (pid: Int32, inCgroup: Bool) {
        guard let pair = try? socketPair() else { return (-1, false) }
        let ends = [pair.0, pair.1]
        let helper = hk_clone(0)
        if helper < 0 {
            let e = errno
            close(ends[0]); close(ends[1])
            errno = e
            return (-1, false)
        }
        if helper == 0 {
            close(ends[0])
            helperBody(flags: flags, user: user, pidNamespace: pidNamespace, cgroupFD: cgroupFD, report: ends[1], initBody: initBody)
        }
        close(ends[1])
        var answer: (Int32, Int32) = (0, 0)
        let n = withUnsafeMutableBytes(of: &answer) { buf in retryEINTR { Int32(read(ends[0], buf.baseAddress, 8)) } }
        close(ends[0])
        var status: Int32 = 0
        _ = retryEINTR { waitpid(helper, &status, 0) }
        if n != 8 { errno = EIO; return (-1, false) }
        if answer.0 < 0 { errno = -answer.0; return (-1, false) }
        return (answer.0, answer.1 != 0)
    }

    /// The helper: joins, clones the init, reports its pid (or -errno), exits.
    private static func helperBody(flags: Int32, user: Int32, pidNamespace: Int32?, cgroupFD: Int32?, report: Int32, initBody: () -> Never) -> Never {
        var answer: (Int32, Int32) = (0, 0)
        if let pidNamespace, hk_setns(pidNamespace, NamespaceType.pid.cloneFlag) != 0 {
            answer.0 = -errno
        } else if hk_setns(user, NamespaceType.user.cloneFlag) != 0 {
            answer.0 = -errno
        } else {
            let cloneParent: Int32 = 0x0000_8000  // CLONE_PARENT
            var pid: Int32 = -1
            if let cgroupFD {
                pid = hk_clone3(UInt64(UInt32(bitPattern: flags | cloneParent)), cgroupFD)
                answer.1 = pid >= 0 ? 1 : 0
            }
            if pid < 0 { pid = hk_clone(UInt(UInt32(bitPattern: flags | cloneParent))) }
            if pid == 0 { close(report); initBody() }
            answer.0 = pid < 0 ? -errno : pid
        }
        _ = withUnsafeBytes(of: &answer) { write(report, $0.baseAddress, 8) }
        _exit(0)
    }
}
