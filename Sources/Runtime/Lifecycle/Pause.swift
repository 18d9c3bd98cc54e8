// pause and resume: the freezer stops every process of the container at
// once (v1 freezer.state, v2 cgroup.freeze). runtime.md does not define
// them; runc's command line does, and engines call it.
import Glibc

extension Runtime {
    public func pause(id: String) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        guard st == .running || st == .created else {
            throw RuntimeError("cannot pause container \"\(id)\": it is \(st.rawValue), not running")
        }
        try Runtime.freezer(of: s).freeze(true)
    }

    public func resume(id: String) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        guard st == .paused else { throw RuntimeError("cannot resume container \"\(id)\": it is \(st.rawValue), not paused") }
        try Runtime.freezer(of: s).freeze(false)
    }

    /// The container's cgroup, which must have a freezer (Cgroups/Freezer.swift).
    static func freezer(of s: ContainerState) throws -> any CgroupDriver {
        let cgroup = s.cgroup
        guard cgroup.freezerFile != nil else { throw RuntimeError("container \"\(s.id)\" has no freezer cgroup on this host") }
        return cgroup
    }
}
