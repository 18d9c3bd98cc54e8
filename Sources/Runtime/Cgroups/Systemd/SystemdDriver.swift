// The systemd cgroup driver (--systemd-cgroup), runc's systemd v2 manager:
// systemd is asked for a transient scope holding the container's init, and
// the cgroup it makes for that scope is then written like any other. Only
// the unit's life is systemd's (start, stop, reset); limits, freezer, stats,
// pids and kills are the cgroupfs files of the scope's directory, which
// Delegate=yes hands to hako, so every such operation goes to a Cgroup of
// that directory, as runc's fs2 manager does under its systemd one.
import Glibc

public struct SystemdCgroup: CgroupDriver {
    /// The unit systemd runs the container in ("prefix-name.scope").
    public let unit: String
    /// Its slice; empty for a driver made from a record (delete needs none).
    let slice: String
    /// The scope's directory, where every file operation goes.
    let files: Cgroup
    /// Whether this create started the unit: a failed create stops only
    /// a unit of its own, never another container's of the same name.
    let started = Started()

    final class Started { var unit = false }

    /// How long systemd's jobs may take (ms): a TCG guest under load is slow.
    static let jobTimeout = 30_000

    /// The limits the unit starts with (UnitProperties).
    var limits: [DBusValue] = []
    /// What the config's org.systemd.property.* annotations set (UnitAnnotations),
    /// and the annotations, to name the one systemd refuses.
    var annotated: [DBusValue] = []
    var annotations: [(String, String)] = []

    /// For create: refuses a host that is not pure cgroup v2, since the
    /// v1 systemd manager is not written yet, and any resource or
    /// annotation systemd cannot be given, before anything is made.
    init(cgroupsPath: String?, id: String, rootless: Bool, layout: CgroupLayout, resources: Resources? = nil,
         annotations: [(String, String)] = []) throws {
        guard case .unified = layout else {
            throw RuntimeError("--systemd-cgroup: hako's systemd cgroup driver needs a pure cgroup v2 host; this one is \(layout.name) (use the cgroupfs driver: drop --systemd-cgroup)")
        }
        let name = try UnitName.parse(cgroupsPath, id: id, rootless: rootless)
        unit = name.unit
        slice = name.slice
        files = Cgroup(layout: layout, path: name.cgroupPath)
        limits = try UnitProperties.of(resources, prefix: "linux.resources")
        annotated = try UnitAnnotations.properties(annotations)
        self.annotations = annotations
    }

    /// For a container create made: its unit and its recorded cgroup.
    init(recordedUnit unit: String, files: Cgroup) {
        self.unit = unit
        slice = ""
        self.files = files
    }

    public var name: String { "systemd" }
    public var path: String { files.path }
    public var directories: [String] { files.directories }
    public var layout: CgroupLayout { files.layout }
    public var exists: Bool { files.exists }
    public var isUnified: Bool { files.isUnified }
    public var startsWithPid: Bool { true }

    /// The scope's directory is made by systemd, not by hako, but it is
    /// the container's own: the intent record lists it as made, so that
    /// delete of a half-made container kills in it and removes it.
    public func plannedDirectories() -> [String] { directories }

    /// Nothing yet: the unit is started with the init (add(pid:)).
    public func create() throws -> [String] { [] }

    public func removeMade(_ made: [String]) {
        guard started.unit else { return }
        _ = stopUnit()
        files.removeMade(directories)
    }

    /// The files get the CPU quota systemd rounded (UnitProperties.rounded).
    public func apply(_ resources: Resources?, prefix: String, logger: Logger) throws {
        try files.apply(UnitProperties.rounded(resources), prefix: prefix, logger: logger)
    }

    /// Never cloned straight into: the scope does not exist before the init.
    public var cloneTarget: String? { nil }

    public func add(pid: Int32) throws {
        let bus = try SystemdCgroup.connect()
        try startUnit(pid: pid, bus: bus)
        started.unit = true
        try checkPlacement(pid)
    }

    public func problems(_ resources: Resources, logger: Logger) -> [(String, String)] {
        files.problems(resources, logger: logger)
    }

    public func execTargets(_ arguments: [String]) throws -> [String] { try files.execTargets(arguments) }

    public func add(pid: Int32, toExec targets: [String], initPid: Int32) throws {
        try files.add(pid: pid, toExec: targets, initPid: initPid)
    }

    /// The properties are converted first, so that a value systemd cannot
    /// take changes nothing; then the files (all or nothing, as under
    /// cgroupfs); then what systemd keeps, so that a daemon-reload does not
    /// undo the update. A quota without a period keeps the period in
    /// force, and a period without a quota the quota.
    public func update(_ resources: Resources, logger: Logger) throws {
        let current = currentCPUMax
        let changed = try UnitProperties.of(resources, prefix: "", current: current)
        try files.update(UnitProperties.rounded(resources, current: current) ?? resources, logger: logger)
        guard !changed.isEmpty else { return }
        _ = try SystemdCgroup.connect().call(SystemdManager.setUnitProperties(unit, changed), timeout: SystemdCgroup.jobTimeout)
    }

    /// The scope's cpu.max ("QUOTA PERIOD", QUOTA "max": -1), if readable.
    var currentCPUMax: UnitProperties.CPUMax? {
        guard let dir = directories.first, let text = Files.readText(dir + "/cpu.max") else { return nil }
        let words = text.trimmingSpaces.split(separator: " ")
        guard words.count == 2, let quota = words[0] == "max" ? -1 : Int64(words[0]), let period = UInt64(words[1]) else { return nil }
        return (quota, period)
    }

    public var freezerFile: String? { files.freezerFile }
    public var freezerState: FreezerState? { files.freezerState }
    public func freeze(_ on: Bool) throws { try files.freeze(on) }
    public func thaw() { files.thaw() }
    public func stats() -> JSON { files.stats() }
    public func memoryUsage() -> UInt64? { files.memoryUsage() }
    public func oomKillCount() -> UInt64 { files.oomKillCount() }
    public func pids() -> [Int32] { files.pids() }
    public func signalAll(_ signal: Int32) { files.signalAll(signal) }
    public func killAll(in part: [String]) { files.killAll(in: part) }
    public func removeIfEmpty() -> Set<String> { files.removeIfEmpty() }

    /// Kills what is left first, so that stopping the scope does not wait
    /// out systemd's SIGTERM timeout; then the unit is stopped and
    /// forgotten, and what systemd left of the directory is removed.
    public func destroy(own: [String], gone: Set<String>, made: [String]) -> [String] {
        files.killAll(in: own)
        var failures = stopUnit()
        failures += files.destroy(own: own, gone: gone, made: made)
        return failures
    }
}

// MARK: the unit

extension SystemdCgroup {
    /// A connection to the system bus that receives systemd's JobRemoved.
    static func connect() throws -> DBusConnection {
        let address = getenv("DBUS_SYSTEM_BUS_ADDRESS").map { String(cText: $0) }
        let path = DBusConnection.systemBusPath(address: address)
        let bus = try DBusConnection(path: path)
        try bus.hello()
        try bus.addMatch(SystemdManager.jobRemovedRule)
        _ = try bus.call(SystemdManager.subscribe())
        return bus
    }

    /// StartTransientUnit with the init in it, waiting for the job. A unit
    /// of that name left failed by an earlier container is reset and the
    /// start tried once more, as runc does.
    func startUnit(pid: Int32, bus: DBusConnection) throws {
        var scope = SystemdManager.Scope(unit: unit, slice: slice, description: "hako container " + unit, pids: [UInt32(pid)])
        scope.annotated = annotated
        scope.limits = limits
        let reply: DBusMessage
        do {
            reply = try bus.call(SystemdManager.startTransientUnit(scope), timeout: SystemdCgroup.jobTimeout)
        } catch let e as DBusCallError where e.name == "org.freedesktop.systemd1.UnitExists" {
            _ = try? bus.call(SystemdManager.resetFailedUnit(unit))
            reply = try bus.call(SystemdManager.startTransientUnit(scope), timeout: SystemdCgroup.jobTimeout)
        } catch let e as DBusCallError {
            // A property systemd does not know, or not for a scope, comes
            // from an annotation: hako only checked its form.
            throw UnitAnnotations.blamed(e, in: annotations) ?? e
        }
        let result = try waitForJob(try SystemdManager.startedJob(reply), bus: bus)
        guard result == "done" else { throw RuntimeError("systemd: starting \(unit) ended \"\(result)\"") }
    }

    /// The result of a job, or an error when systemd never says.
    func waitForJob(_ job: String, bus: DBusConnection) throws -> String {
        let signal = try bus.waitForSignal(timeout: SystemdCgroup.jobTimeout) { message in
            ((try? JobRemoved(message)) ?? nil)?.job == job
        }
        guard let signal, let removed = try JobRemoved(signal) else {
            throw RuntimeError("systemd: job \(job) for \(unit) did not end within \(SystemdCgroup.jobTimeout / 1000) s")
        }
        return removed.result
    }

    /// The scope's cgroup must be the one recorded before the init was
    /// cloned (state.json, the intent record): systemd puts a unit where
    /// its slice says, but a host whose systemd runs below the cgroup
    /// root (systemd in a container) would put it elsewhere.
    func checkPlacement(_ pid: Int32) throws {
        let text = Files.readText("/proc/\(pid)/cgroup") ?? ""
        let line = text.split(byte: 0x0A).first { $0.hasBytePrefix("0::") } ?? ""
        let found = String(decoding: line.utf8.dropFirst(3), as: UTF8.self)
        guard found == path else {
            throw RuntimeError("systemd put \(unit) in cgroup \"\(found)\", not \"\(path)\": hako's systemd driver needs systemd at the cgroup root")
        }
    }

    /// StopUnit and its job, then ResetFailedUnit; returns what failed. A
    /// unit systemd already forgot (it ends when its processes do) is gone,
    /// not a failure.
    func stopUnit() -> [String] {
        do {
            let bus = try SystemdCgroup.connect()
            do {
                let job = try SystemdManager.startedJob(try bus.call(SystemdManager.stopUnit(unit), timeout: SystemdCgroup.jobTimeout))
                _ = try waitForJob(job, bus: bus)
            } catch let e as DBusCallError where e.name == "org.freedesktop.systemd1.NoSuchUnit" {}
            _ = try? bus.call(SystemdManager.resetFailedUnit(unit))
            return []
        } catch {
            return ["cannot stop systemd unit \(unit): \(error)"]
        }
    }
}
