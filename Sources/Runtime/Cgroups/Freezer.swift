// The freezer of a cgroupfs cgroup: v1 freezer.state, v2 cgroup.freeze.
// pause, resume, kill --all of a paused container, delete and the status
// of every container read or write it through the cgroup driver.
import Glibc

/// What a cgroup's freezer says.
public enum FreezerState: Equatable {
    case thawed
    /// v1 only: on the way to frozen (a task in uninterruptible sleep can hold it there).
    case freezing
    case frozen
}

struct Freezer {
    /// freezer.state (v1) or cgroup.freeze (v2).
    let file: String

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

    /// Whether the kernel reports the cgroup frozen (v2 from cgroup.events).
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

    /// Thaws without waiting or failing: kill --all and delete, which only
    /// need the killed processes to run again to die.
    func thaw() {
        try? Files.write(file, v2 ? "0" : "THAWED")
    }

    /// What the file itself says, in one read: "1" or FROZEN is frozen
    /// (asked, on v2, even while the kernel is still getting there),
    /// FREEZING is freezing. Nil when the file cannot be read.
    func state() -> FreezerState? {
        guard let text = Files.readText(file) else { return nil }
        return Freezer.parse(text)
    }

    static func parse(_ text: String) -> FreezerState {
        if text.hasBytePrefix("FROZEN") || text.hasBytePrefix("1") { return .frozen }
        if text.hasBytePrefix("FREEZING") { return .freezing }
        return .thawed
    }
}
