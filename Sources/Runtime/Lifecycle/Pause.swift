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
        try Freezer(s).freeze(true)
    }

    public func resume(id: String) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        guard st == .paused else { throw RuntimeError("cannot resume container \"\(id)\": it is \(st.rawValue), not paused") }
        try Freezer(s).freeze(false)
    }
}

struct Freezer {
    let file: String

    init(_ s: ContainerState) throws {
        guard let f = s.freezer else { throw RuntimeError("container \"\(s.id)\" has no freezer cgroup on this host") }
        file = f
    }

    var v2: Bool { file.hasByteSuffix("cgroup.freeze") }

    /// Writes the state and waits until the kernel reports it reached, as a
    /// v1 freeze may stay FREEZING while a task is in uninterruptible sleep.
    func freeze(_ on: Bool) throws {
        let want = v2 ? (on ? "1" : "0") : (on ? "FROZEN" : "THAWED")
        for attempt in 0..<1000 {
            // v1 sometimes needs the write repeated to make progress.
            if attempt % 50 == 0 { try Files.write(file, want) }
            if current() == on { return }
            usleep(1000)
        }
        if on { try? Files.write(file, v2 ? "0" : "THAWED") }
        throw RuntimeError("\(on ? "freeze" : "thaw") \(file): timed out")
    }

    func current() -> Bool? {
        if v2 {
            let events = (Files.readText(String(file.dropLast("cgroup.freeze".count)) + "cgroup.events") ?? "").split(separator: "\n")
            if events.contains("frozen 1") { return true }
            if events.contains("frozen 0") { return false }
            return nil
        }
        let s = (Files.readText(file) ?? "").trimmingWhitespace
        return s == "FROZEN" ? true : (s == "THAWED" ? false : nil)
    }
}
