// A container's cgroup: one directory per hierarchy, created on `create`,
// joined by the init before it runs anything, removed on `delete`.
import Glibc

// It is the cgroupfs driver (Driver.swift): hako writes the files itself.
public struct Cgroup {
    /// The host's hierarchies; found on first use for a recorded cgroup.
    public var layout: CgroupLayout { found.layout }
    /// The path inside each hierarchy, absolute (e.g. /hako-test/abc).
    public let path: String
    /// Absolute directories, one per hierarchy.
    public let directories: [String]
    let found: FoundLayout
    /// The freezer file state.json recorded, for a recorded cgroup.
    let recordedFreezer: String??

    /// The layout, detected once when first asked for: a recorded cgroup's
    /// kill, delete and pause need only what was recorded, and cost no
    /// statfs of the host's hierarchies.
    final class FoundLayout {
        private var known: CgroupLayout?
        init(_ layout: CgroupLayout?) { known = layout }
        var layout: CgroupLayout {
            if let known { return known }
            let l = CgroupLayout.detect()
            known = l
            return l
        }
    }

    /// linux.cgroupsPath as hako reads it. Absolute paths are used as given;
    /// empty and relative ones are put under /hako, never under the caller's
    /// own cgroup (which on this kind of host belongs to a service).
    public static func resolvePath(_ configured: String?, id: String) -> String {
        guard let p = configured, !p.isEmpty else { return "/hako/" + id }
        if p.hasBytePrefix("/") { return cleanPath(p) }
        return cleanPath("/hako/" + p)
    }

    public init(layout: CgroupLayout, path: String) {
        found = FoundLayout(layout)
        self.path = path
        directories = layout.roots.map { $0 + (path == "/" ? "" : path) }
        recordedFreezer = nil
    }

    /// A container's cgroup as its state recorded it: no directories means
    /// it has none (the layout is then .none, not the host's).
    init(recordedPath path: String, directories: [String], freezer: String?) {
        found = FoundLayout(directories.isEmpty ? CgroupLayout.none : nil)
        self.path = path
        self.directories = directories
        recordedFreezer = .some(freezer)
    }

    /// Whether the resources are written in cgroup v2's files.
    public var isUnified: Bool {
        if case .unified = layout { return true }
        return false
    }

    /// The directory whose hierarchy holds `controller`, and whether that
    /// hierarchy is cgroup2. On a hybrid host a controller that no v1
    /// hierarchy has may live in the unified tree (hugetlb does here).
    public func directory(for controller: String) -> (dir: String, v2: Bool)? {
        switch layout {
        case .unified:
            guard let dir = directories.first else { return nil }
            let available = Cgroup.controllers(at: layout.roots[0])
            return available.contains(controller) ? (dir, true) : nil
        case let .legacy(hierarchies), let .hybrid(hierarchies, _):
            for (root, dir) in zip(hierarchies, directories) {
                let name = root.split(separator: "/").last.map(String.init) ?? ""
                if name.split(separator: ",").contains(where: { $0 == controller || $0 == "name=" + controller }) {
                    return (dir, false)
                }
            }
            if case let .hybrid(_, unified) = layout, Cgroup.controllers(at: unified).contains(controller) {
                return (unified + (path == "/" ? "" : path), true)
            }
            return nil
        case .none:
            return nil
        }
    }

    /// The directory of the cgroup2 tree (pure v2, or the unified part of a hybrid).
    public var unifiedDirectory: String? {
        switch layout {
        case .unified: return directories.first
        case let .hybrid(_, u): return u + (path == "/" ? "" : path)
        default: return nil
        }
    }

    /// The controllers a cgroup2 directory offers.
    static func controllers(at dir: String) -> [String] {
        (Files.readText(dir + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// The file that pauses the container: v2 cgroup.freeze or v1 freezer.state.
    public var freezerFile: String? {
        if let recordedFreezer { return recordedFreezer }
        if case .unified = layout { return directories.first.map { $0 + "/cgroup.freeze" } }
        return directory(for: "freezer").map { $0.dir + "/freezer.state" }
    }

    /// Creates the directories; returns the ones it made, so a failed create
    /// removes exactly those and nothing the host had before.
    public func create() throws -> [String] {
        var made: [String] = []
        do {
            for (root, dir) in zip(layout.roots, directories) {
                let new = try Files.makeDirectories(dir)
                made += new
                if root.hasByteSuffix("/cpuset") {
                    // A new v1 cpuset is empty and refuses tasks until cpus
                    // and mems are set. Every level is filled, not only the
                    // ones made here: a parallel create may have made a
                    // parent and not filled it yet.
                    var d = root
                    for part in path.split(separator: "/") {
                        d += "/" + part
                        try Cgroup.inheritCpuset(d)
                    }
                }
            }
        } catch {
            Cgroup.remove(made)
            throw error
        }
        return made
    }

    /// The directories create() would make now, outermost first: the
    /// intent record names them before they exist.
    public func plannedDirectories() -> [String] {
        var planned: [String] = []
        for (root, dir) in zip(layout.roots, directories) where dir != root {
            var prefix = root
            for part in dir.dropFirst(root.utf8.count).split(separator: "/") {
                prefix += "/" + part
                if planned.last == prefix || access(prefix, F_OK) != 0 { planned.append(prefix) }
            }
        }
        return planned
    }

    static func inheritCpuset(_ dir: String) throws {
        let parent = String(dir[..<dir.lastIndex(of: "/")!])
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let current = Files.readText(dir + "/" + file) ?? ""
            if current.allSatisfy({ $0 == "\n" || $0 == " " }) {
                let value = Files.readText(parent + "/" + file) ?? ""
                try Files.write(dir + "/" + file, value)
            }
        }
    }

    /// Enables `controllers` in cgroup.subtree_control of every ancestor of
    /// the container's cgroup2 directory, from the root down, so that the
    /// container's directory gets their files. Only what the resources need.
    func enable(_ controllers: [String], under root: String) throws {
        guard !controllers.isEmpty else { return }
        var dir = root
        let parts = path.split(separator: "/")
        for part in parts {
            let current = Cgroup.controllers(at: dir)
            let wanted = controllers.filter { current.contains($0) }
            if !wanted.isEmpty {
                let enabled = Set((Files.readText(dir + "/cgroup.subtree_control") ?? "")
                    .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
                let missing = wanted.filter { !enabled.contains($0) }
                if !missing.isEmpty {
                    try Files.write(dir + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(by: " "))
                }
            }
            dir += "/" + part
        }
    }

    /// Moves a process into every hierarchy.
    public func add(pid: Int32) throws {
        for dir in directories { try Files.write(dir + "/cgroup.procs", String(decimal: pid)) }
    }

    /// Pids in the container's cgroup (from the first hierarchy that has them).
    public static func pids(in dirs: [String]) -> [Int32] {
        for dir in dirs {
            if let text = Files.readText(dir + "/cgroup.procs") {
                return text.split(separator: "\n").compactMap { Int32($0) }
            }
        }
        return []
    }

    /// Removes the directories, innermost first, waiting (a second at most in all) while
    /// killed processes are still leaving them. A cgroup that live
    /// processes still hold, such as one cgroupsPath given to several
    /// containers, is theirs: it is left without waiting.
    public static func remove(_ dirs: [String]) {
        var budget = 200
        for dir in dirs.reversed() {
            while rmdir(dir) != 0, errno == EBUSY, budget > 0 {
                if pids(in: [dir]).contains(where: { ProcessInfo(pid: $0).map { !$0.isDying } ?? false }) { break }
                budget -= 1
                usleep(5000)
            }
        }
    }

    /// Removes a container's cgroup directory with the child cgroups the
    /// container made inside it, deepest first. Returns the error of the
    /// first directory that stays (ENOENT is not one: it is gone).
    public static func removeTree(_ dir: String) -> SystemError? {
        for name in Files.subdirectories(dir) {
            if let e = removeTree(dir + "/" + name) { return e }
        }
        if rmdir(dir) != 0, errno != ENOENT { return SystemError("rmdir \(dir)") }
        return nil
    }

    /// Whether any process (a zombie too) is in any of the directories or
    /// their child cgroups.
    public static func populated(_ dirs: [String]) -> Bool {
        for dir in dirs {
            if !pids(in: [dir]).isEmpty { return true }
            for name in Files.subdirectories(dir) {
                if populated([dir + "/" + name]) { return true }
            }
        }
        return false
    }

    /// Every pid of the container: in its cgroups and the child cgroups
    /// made inside them (systemd in a container, a nested engine), each
    /// once though every v1 hierarchy lists it. kill --all and ps need them all.
    public static func treePids(in dirs: [String]) -> [Int32] {
        var seen = Set<Int32>()
        return allPids(in: dirs).filter { seen.insert($0).inserted }
    }

    /// Every pid in the directories and their child cgroups.
    public static func allPids(in dirs: [String]) -> [Int32] {
        var out: [Int32] = []
        for dir in dirs {
            out += pids(in: [dir])
            for name in Files.subdirectories(dir) {
                out += allPids(in: [dir + "/" + name])
            }
        }
        return out
    }
}

// The cgroupfs driver's operations (Driver.swift says what each guarantees).
extension Cgroup: CgroupDriver {
    public var name: String { "cgroupfs" }

    public var exists: Bool { !directories.isEmpty }

    public func removeMade(_ made: [String]) { Cgroup.remove(made) }

    public var cloneTarget: String? { isUnified ? directories.first : nil }

    public var startsWithPid: Bool { false }

    public func execTargets(_ arguments: [String]) throws -> [String] { try directories(forExec: arguments) }

    public func add(pid: Int32, toExec targets: [String], initPid: Int32) throws {
        try Cgroup.add(pid: pid, to: targets, initPid: initPid, unifiedRoot: layout.unifiedRoot)
    }

    public func update(_ resources: Resources, logger: Logger) throws {
        if resources.memory?.checkBeforeUpdate == true, let limit = resources.memory?.limit, limit >= 0,
           let usage = memoryUsage(), UInt64(limit) < usage {
            throw SpecError("memory.limit", "\(limit) is below the container's current memory usage \(usage) (checkBeforeUpdate)")
        }
        // All or nothing: every write is decided before the first one,
        // and a write the kernel refuses undoes the earlier ones.
        let writer = ResourceWriter(cgroup: self, prefix: "", logger: logger)
        try writer.enableControllers(resources)
        try writer.planWrites(resources)
        _ = try writer.execute(rollback: true)
    }

    public func problems(_ resources: Resources, logger: Logger) -> [(String, String)] {
        var out: [(String, String)] = []
        let root = Cgroup(layout: layout, path: "/")
        var missing = false
        for (field, controller) in ResourceWriter.controllerNeeds(resources, v2: root.isUnified) where root.directory(for: controller) == nil {
            out.append(("linux.resources.\(field)", "the \(controller) cgroup controller is not available on this host (\(root.layout.name) cgroups)"))
            missing = true
        }
        // What create's writer would refuse before writing anything.
        if !missing {
            let writer = ResourceWriter(cgroup: self, prefix: "linux.resources", logger: logger)
            writer.plan.probing = true
            do { try writer.planWrites(resources) } catch let e as SpecError { out.append((e.path, e.reason)) } catch { out.append(("linux.resources", "\(error)")) }
        }
        return out
    }

    public var freezerState: FreezerState? { freezerFile.flatMap { Freezer(file: $0).state() } }

    public func freeze(_ on: Bool) throws {
        guard let f = freezerFile else { throw RuntimeError("no freezer cgroup on this host") }
        try Freezer(file: f).freeze(on)
    }

    public func thaw() { freezerFile.map { Freezer(file: $0).thaw() } }

    public func stats() -> JSON { Stats.collect(self) }

    public func memoryUsage() -> UInt64? { Stats.memoryUsage(self) }

    public func oomKillCount() -> UInt64 { Stats.oomKills(self) }

    public func pids() -> [Int32] { Cgroup.treePids(in: directories) }

    public func signalAll(_ signal: Int32) {
        for pid in Cgroup.treePids(in: directories) { Glibc.kill(pid, signal) }
    }

    public func killAll(in part: [String]) {
        for pid in Cgroup.allPids(in: part) { Glibc.kill(pid, SIGKILL) }
    }

    public func removeIfEmpty() -> Set<String> {
        var gone: Set<String> = []
        for dir in directories.reversed() where rmdir(dir) == 0 || errno == ENOENT { gone.insert(dir) }
        return gone
    }

    public func destroy(own: [String], gone: Set<String>, made: [String]) -> [String] {
        // Killed processes take a moment to leave, and orphans must first
        // be reaped by their new parent (hako itself when it is their
        // subreaper). Bounded: 5 s.
        var pending = directories.reversed().filter { !gone.contains($0) }
        var rounds = 0
        while true {
            while waitpid(-1, nil, WNOHANG) > 0 {}
            killAll(in: own)
            pending = pending.filter { dir in
                if Cgroup.removeTree(dir) == nil { return false }
                // Live processes in a cgroup that is not the container's own
                // (one cgroupsPath for several containers) are others': it stays theirs.
                let left = Cgroup.allPids(in: [dir])
                return own.contains(dir) || left.isEmpty
                    || left.contains { ProcessInfo(pid: $0).map { $0.isDying } ?? false }
            }
            if pending.isEmpty || rounds == 1000 { break }
            rounds += 1
            usleep(5000)
        }
        var failures: [String] = []
        for dir in pending {
            let left = Cgroup.allPids(in: [dir])
            failures.append("cannot remove cgroup \(dir)" + (left.isEmpty ? "" : ": processes \(left.map { String(decimal: $0) }.joined(by: " ")) are in it"))
        }
        // The parents create made for the cgroup, if nothing else uses them now.
        for dir in made.reversed() where !directories.contains(dir) { rmdir(dir) }
        return failures
    }
}
