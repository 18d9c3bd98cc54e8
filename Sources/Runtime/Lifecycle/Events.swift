// events: runc's JSON event stream. `--stats` prints one stats event; without
// it hako prints a stats event every interval and an "oom" event whenever
// the kernel's OOM killer acted in the container, until it stops.
import Glibc

extension Runtime {
    public func events(id: String, statsOnce: Bool, intervalMilliseconds: Int, emit: (JSON) -> Void) throws {
        let (state, cgroup) = try withState(id, reading: true) { s, _ in (s, s.cgroup) }
        func stats() -> JSON {
            .object([("type", .string("stats")), ("id", .string(id)), ("data", cgroup.stats())])
        }
        if statsOnce {
            emit(stats())
            return
        }
        var ooms = cgroup.oomKillCount()
        while true {
            let alive = try withState(id, reading: true) { s, dir in status(of: s, in: dir) != .stopped }
            if !alive || ProcessInfo(pid: state.pid)?.startTime != state.pidStartTime { return }
            let now = cgroup.oomKillCount()
            if now > ooms { emit(.object([("type", .string("oom")), ("id", .string(id))])) }
            ooms = now
            emit(stats())
            var slept = 0
            while slept < intervalMilliseconds {
                usleep(UInt32(min(100, intervalMilliseconds - slept)) * 1000)
                slept += 100
                if ProcessInfo(pid: state.pid)?.isAlive != true { break }
            }
        }
    }

    /// Runs body with the container's state, under its lock unless only reading.
    func withState<T>(_ id: String, reading: Bool = false, _ body: (ContainerState, ContainerDir) throws -> T) throws -> T {
        let dir = try reading ? store.openForReading(id: id) : store.openLocked(id: id)
        defer { dir.unlock() }
        return try body(try dir.read(), dir)
    }
}
