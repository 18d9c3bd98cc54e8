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
        if p.hasPrefix("/") { return cleanPath(p) }
        return cleanPath("/hako/" + p)
    }

    public init(layout: CgroupLayout, path: String) {
        self.layout = layout
        self.path = path
        directories = layout.roots.map { $0 + (path == "/" ? "" : path) }
    }

    /// The file that pauses the container: v2 cgroup.freeze or v1 freezer.state.
    public var freezerFile: String? {
        if case .unified = layout { return directories.first.map { $0 + "/cgroup.freeze" } }
        return zip(layout.roots, directories).first { $0.0.hasSuffix("/freezer") }.map { $0.1 + "/freezer.state" }
    }

    /// Creates the directories; returns the ones it made, so a failed create
    /// removes exactly those and nothing the host had before.
    public func create() throws -> [String] {
        var made: [String] = []
        do {
            for (root, dir) in zip(layout.roots, directories) {
                let new = try Files.makeDirectories(dir)
                made += new
                if root.hasSuffix("/cpuset") {
                    // A new v1 cpuset is empty and refuses tasks until cpus and mems are set.
                    for d in new { try Cgroup.inheritCpuset(d) }
                }
            }
        } catch {
            Cgroup.remove(made)
            throw error
        }
        return made
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

    /// Moves a process into every hierarchy.
    public func add(pid: Int32) throws {
        for dir in directories { try Files.write(dir + "/cgroup.procs", String(pid)) }
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

    /// Removes directories innermost first. Processes that were just killed
    /// may linger for a moment, so EBUSY is retried briefly.
    public static func remove(_ dirs: [String]) {
        for dir in dirs.reversed() {
            var tries = 0
            while rmdir(dir) != 0, errno == EBUSY, tries < 200 {
                tries += 1
                usleep(5000)
            }
        }
    }
}
