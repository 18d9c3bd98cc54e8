// A container's cgroup: one directory per hierarchy, created on `create`,
// joined by the init before it runs anything, removed on `delete`.
import Glibc

public struct Cgroup {
    public let layout: CgroupLayout
    /// The path inside each hierarchy, absolute (e.g. /hako-test/abc).
    public let path: String
    /// Absolute directories, one per hierarchy.
    public let directories: [String]

    /// linux.cgroupsPath as hako reads it. Absolute paths are used as given;
    /// empty and relative ones are put under /hako, never under the caller's
    /// own cgroup (which on this kind of host belongs to a service).
    public static func resolvePath(_ configured: String?, id: String) -> String {
        guard let p = configured, !p.isEmpty else { return "/hako/" + id }
        if p.hasBytePrefix("/") { return cleanPath(p) }
        return cleanPath("/hako/" + p)
    }

    public init(layout: CgroupLayout, path: String) {
        self.layout = layout
        self.path = path
        directories = layout.roots.map { $0 + (path == "/" ? "" : path) }
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
