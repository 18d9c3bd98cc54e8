// A new time namespace with linux.timeOffsets (time_namespaces(7)).
//
// clone cannot take CLONE_NEWTIME (its bit is part of CSIGNAL), and a time
// namespace's offsets can only be written before any process is in it. So
// the runtime unshares one for its children, writes the offsets to
// /proc/self/timens_offsets, clones the init into it, and goes back to its
// own for the children that follow (hooks).
import CNamespaces
import Glibc

struct TimeNamespace {
    /// The runtime's own namespace for children, to return to.
    let saved: Int32

    static func prepareForChildren(offsets: [(clock: String, secs: Int64, nanosecs: UInt32)]) throws -> TimeNamespace {
        let saved = try sys(open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC), "open /proc/self/ns/time_for_children")
        if hk_unshare(NamespaceType.time.cloneFlag) != 0 {
            let e = SystemError("unshare a time namespace")
            close(saved)
            throw SpecError("linux.namespaces", e.description)
        }
        let me = TimeNamespace(saved: saved)
        if !offsets.isEmpty {
            let text = offsets.map { "\($0.clock) \($0.secs) \($0.nanosecs)" }.joined(by: "\n") + "\n"
            do { try Files.writeProcfs("/proc/self/timens_offsets", text) } catch {
                me.restore()
                throw SpecError("linux.timeOffsets", "write /proc/self/timens_offsets: \(error)")
            }
        }
        return me
    }

    func restore() {
        _ = hk_setns(saved, NamespaceType.time.cloneFlag)
        close(saved)
    }
}
