// The intent record (intent in the state directory): what `create` is about
// to make, written before it makes it. A create killed at any point (the OOM
// killer, an engine's timeout) leaves a record that names everything it may
// have made, so `delete` can remove it all; and if state.json is damaged
// later, the record still names the container's init and cgroups.
//
// The record is written once, into the state directory create has just made,
// and what create learns later (the init's pid, a hook's) is appended as a
// line, the last line of a key winning: one small write each, no temporary
// file and rename per step of every `run`. A reader sees a record that may
// end early, never a wrong one: a line without its newline is not trusted,
// and a record cut before its first line is no record, as before create wrote
// it. It is not fsync'ed: what it guards (processes, cgroups, mounts) does not
// survive the kernel, and a durable write costs 8-12 ms on this kind of disk.
// The boot id tells a record from before a reboot, whose things are all gone.
//
// One "key value" line per fact, so a record damaged in the middle still
// yields the lines before the damage. A value escapes "\" and every control
// byte (escape), so no value can hold a line of its own.
import Glibc

public struct CreateIntent {
    public var id: String
    public var bundle = ""
    public var rootfs = ""
    public var created = ""
    public var owner = ""
    public var bootID = ""
    /// The hako making the container; while it lives the container is "creating".
    public var creator: (pid: Int32, startTime: UInt64) = (0, 0)
    public var cgroupPath = ""
    /// The container's cgroup directories, one per hierarchy.
    public var cgroups: [String] = []
    /// The directories create makes (did not exist before), outermost first:
    /// only these are removed, and only in these is every process killed.
    public var made: [String] = []
    public var freezer: String?
    /// The systemd unit holding the cgroup (--systemd-cgroup), which delete
    /// stops; nil under the cgroupfs driver.
    public var systemdUnit: String?
    /// Without a mount namespace: what the rootfs was before the init's
    /// bind (RootfsBind).
    public var rootfsBind: RootfsBind?
    public var ownPidNamespace = true
    /// The init, once cloned, with its start time against pid reuse.
    public var initPid: Int32 = 0
    public var initStartTime: UInt64 = 0
    /// A hook create is running, leader of its own process group (HookRunner).
    public var hook: (pid: Int32, startTime: UInt64) = (0, 0)

    public init(id: String) { self.id = id }

    static let fileName = "intent"
    static let magic = "hako-intent 1"

    /// The kernel's id for this boot, to tell a record left by an earlier
    /// boot; read once per command, which asks up to three times.
    static func currentBootID() -> String { bootIDOfThisBoot }
    private static let bootIDOfThisBoot: String =
        (Files.readText("/proc/sys/kernel/random/boot_id") ?? "").split(byte: UInt8(ascii: "\n")).first ?? ""

    /// Whether the record was written on this boot (if not, nothing it names lives).
    public var thisBoot: Bool { bootID.isEmpty || bootID == CreateIntent.currentBootID() }

    func serialized() -> String {
        var lines = [CreateIntent.magic, "boot " + bootID, "id " + id, "bundle " + bundle, "rootfs " + rootfs,
                     "created " + created, "owner " + owner,
                     "creator \(creator.pid) \(creator.startTime)", "cgroup-path " + cgroupPath]
        lines += cgroups.map { "cgroup " + $0 }
        lines += made.map { "made " + $0 }
        if let freezer { lines.append("freezer " + freezer) }
        if let systemdUnit { lines.append("systemd-unit " + systemdUnit) }
        if let rootfsBind { lines.append("rootfs-bind " + rootfsBind.recordValue) }
        lines.append("own-pid-ns " + (ownPidNamespace ? "1" : "0"))
        if initPid > 0 { lines.append(initLine) }
        if hook.pid > 0 { lines.append(hookLine) }
        return lines.map(CreateIntent.escape).joined(by: "\n") + "\n"
    }

    /// The lines appended as create goes on (numbers only: nothing to escape).
    var initLine: String { "init \(initPid) \(initStartTime)" }
    var hookLine: String { "hook \(hook.pid) \(hook.startTime)" }

    /// Reads what can be read; nil if not even the first line is a record's.
    init?(parsing text: String, id: String) {
        self.id = id
        var lines = text.split(byte: UInt8(ascii: "\n"))
        // A last line without its newline may be cut short: not trusted.
        if !text.hasByteSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        guard lines.first == CreateIntent.magic else { return nil }
        for raw in lines.dropFirst() {
            let line = CreateIntent.unescape(raw)
            guard let space = line.firstIndex(of: " ") else { continue }
            let key = line[..<space], value = String(line[line.index(after: space)...])
            let numbers = value.split(byte: UInt8(ascii: " "))
            switch key {
            case "boot": bootID = value
            case "bundle": bundle = value
            case "rootfs": rootfs = value
            case "created": created = value
            case "owner": owner = value
            case "creator" where numbers.count == 2:
                creator = (Int32(numbers[0]) ?? 0, UInt64(numbers[1]) ?? 0)
            case "cgroup-path": cgroupPath = value
            case "cgroup": cgroups.append(value)
            case "made": made.append(value)
            case "freezer": freezer = value
            case "systemd-unit": systemdUnit = value
            case "rootfs-bind": rootfsBind = RootfsBind(recordValue: value)
            case "own-pid-ns": ownPidNamespace = value != "0"
            case "init" where numbers.count == 2:
                initPid = Int32(numbers[0]) ?? 0
                initStartTime = UInt64(numbers[1]) ?? 0
            case "hook" where numbers.count == 2:
                hook = (Int32(numbers[0]) ?? 0, UInt64(numbers[1]) ?? 0)
            default: continue
            }
        }
    }

    /// Escaped by bytes, not Characters: "\r\n" is one Character, unequal
    /// to "\n", and a path holding it once went into the record raw, where
    /// the reader (which splits on the byte \n) took what followed for lines
    /// of the record's own (a "cgroup" or "made" line naming any host
    /// directory for delete to empty and remove). Every control byte is
    /// written as \xHH, so a value never holds a line break of any kind.
    static func escape(_ s: String) -> String {
        guard s.utf8.contains(where: needsEscape) else { return s }
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            if b == UInt8(ascii: "\\") {
                out += [b, b]
            } else if needsEscape(b) {
                out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7f || b == UInt8(ascii: "\\") }

    /// The inverse of escape, byte for byte. "\n" is still read as a
    /// newline: records written before the byte escaping used it.
    static func unescape(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "\\")) else { return s }
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            guard b == UInt8(ascii: "\\"), i < bytes.count else { out.append(b); continue }
            let next = bytes[i]
            i += 1
            if next == UInt8(ascii: "n") {
                out.append(0x0A)
            } else if next == UInt8(ascii: "x"), i + 1 < bytes.count, let h = hexValue(bytes[i]), let l = hexValue(bytes[i + 1]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(next)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Whether a recorded process still is the one recorded.
    static func alive(_ pid: Int32, _ startTime: UInt64) -> Bool {
        guard pid > 0, let info = ProcessInfo(pid: pid), info.isAlive else { return false }
        return info.startTime == startTime
    }

    /// Whether the hako that made this record is still at work on it.
    public var creatorAlive: Bool { thisBoot && CreateIntent.alive(creator.pid, creator.startTime) }

    /// The state this record can stand in for when state.json is missing or damaged.
    func standIn() -> ContainerState {
        ContainerState(
            id: id, pid: thisBoot ? initPid : 0, bundle: bundle, rootfs: rootfs, annotations: [],
            pidStartTime: initStartTime, cgroups: cgroups, cgroupPath: cgroupPath, ownPidNamespace: ownPidNamespace,
            poststop: .array([]), freezer: freezer, hasProcess: true, poststart: .array([]),
            rootfsBind: rootfsBind, created: created, owner: owner, systemdUnit: systemdUnit)
    }

    /// What is left of the recorded hook: the processes of its group that
    /// started after it (a group id outlives its leader while members live).
    /// A pid is not reused while a process group of that number lives, so
    /// a live process holding the hook's pid with another start time means
    /// the hook's group is gone and that group is someone else's.
    var hookProcesses: [Int32] {
        guard hook.pid > 0, thisBoot else { return [] }
        if let holder = ProcessInfo(pid: hook.pid), holder.isAlive, holder.startTime != hook.startTime { return [] }
        return Files.list("/proc").compactMap { name -> Int32? in
            guard let pid = Int32(name), let info = ProcessInfo(pid: pid), info.isAlive,
                  info.processGroup == hook.pid, info.startTime >= hook.startTime else { return nil }
            return pid
        }
    }

    /// The directories that are the container's own, made by its create.
    var ownCgroups: [String] { cgroups.filter { made.contains($0) } }
}

extension ContainerDir {
    /// Writes the first record; there is none yet in a new state directory.
    func writeIntent(_ intent: CreateIntent) throws {
        try writeIntentBytes(intent.serialized(), flags: O_CREAT | O_EXCL)
    }

    /// Adds a line to the record (its key overrides earlier lines of it).
    func appendIntent(_ line: String) throws {
        try writeIntentBytes(line + "\n", flags: O_APPEND)
    }

    private func writeIntentBytes(_ text: String, flags: Int32) throws {
        let f = openat(fd, CreateIntent.fileName, O_WRONLY | O_CLOEXEC | flags, 0o600)
        if f < 0 { throw SystemError("open \(CreateIntent.fileName) in the state directory") }
        defer { close(f) }
        try Files.writeAll(f, Array(text.utf8), CreateIntent.fileName)
    }

    public func readIntent() -> CreateIntent? {
        guard let bytes = try? Files.read(CreateIntent.fileName, at: fd) else { return nil }
        return CreateIntent(parsing: String(decoding: bytes, as: UTF8.self), id: id)
    }
}
