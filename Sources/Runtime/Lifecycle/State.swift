// The state operation (runtime.md "Query State"), and `list`: what a
// container's state directory says, whatever shape it is in.
import CNamespaces
import Glibc

extension Runtime {
    public func status(of state: ContainerState, in dir: ContainerDir) -> Status {
        guard let info = ProcessInfo(pid: state.pid), info.isAlive, info.startTime == state.pidStartTime else {
            return .stopped
        }
        if state.creating { return .creating }
        if faccessat(dir.fd, "exec.fifo", F_OK, 0) == 0 { return .created }
        if state.cgroup.freezerState == .frozen { return .paused }
        return .running
    }

    /// What a state directory says, whatever shape it is in: state.json;
    /// or, when a create was interrupted or state.json is damaged, what the
    /// intent record can stand in for. An interrupted create is "creating"
    /// while its hako lives and "stopped" after; with a damaged state.json
    /// the recorded init says whether the container runs.
    func inspect(_ dir: ContainerDir) throws -> (ContainerState, Status) {
        let stateError: Error
        do {
            let s = try dir.read()
            return (s, status(of: s, in: dir))
        } catch { stateError = error }
        let intent = dir.readIntent()
        if dir.hasState {
            guard let intent else { throw stateError }
            logger.warn("\(stateError); using the intent record")
            let s = intent.standIn()
            return (s, status(of: s, in: dir))
        }
        var s = intent?.standIn() ?? CreateIntent(id: dir.id).standIn()
        let creating = intent?.creatorAlive ?? false
        if !creating { s.pid = 0 }
        return (s, creating ? .creating : .stopped)
    }

    public func state(id: String) throws -> JSON {
        let dir = try store.openForReading(id: id)
        defer { dir.unlock() }
        let (s, st) = try inspect(dir)
        return s.ociJSON(status: st)
    }

    public func list() -> [JSON] {
        store.ids().compactMap { id in
            guard let dir = try? store.openForReading(id: id) else { return nil }
            defer { dir.unlock() }
            guard let (s, st) = try? inspect(dir) else {
                // Nothing readable: still a container, which only delete removes.
                return CreateIntent(id: id).standIn().ociJSON(status: .stopped)
            }
            return s.ociJSON(status: st)
        }
    }
}
