// exec --cgroup [CONTROLLERS:]PATH: the exec'd process goes into a cgroup
// below the container's own, as runc 1.1 allows. Without a controller the
// path is taken in every hierarchy (only one such argument may be given);
// "cpu,cpuacct:sub" names the v1 hierarchies (or cgroup2 controllers) it is for.
import Glibc

extension Cgroup {
    /// The directories the exec'd process joins: the container's, with the
    /// sub-cgroups of `arguments` in place where they apply.
    public func directories(forExec arguments: [String]) throws -> [String] {
        guard !arguments.isEmpty else { return directories }
        var all: String? = nil
        var byController: [(String, String)] = []
        for a in arguments {
            let parts = a.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1:
                guard arguments.count == 1 else { throw RuntimeError("invalid --cgroup argument: \(a) (missing <controller>: prefix)") }
                all = a
            case 2:
                for c in parts[0].split(separator: ",") { byController.append((String(c), parts[1])) }
            default:
                throw RuntimeError("invalid --cgroup argument: \(a)")
            }
        }
        var result = directories
        if let all { result = try directories.map { try Cgroup.sub($0, all) } }
        for (controller, sub) in byController {
            guard let i = layout.roots.firstIndex(where: { Cgroup.hierarchy($0, has: controller) }) else {
                throw RuntimeError("--cgroup: unknown controller \"\(controller)\"")
            }
            result[i] = try Cgroup.sub(directories[i], sub)
        }
        return result
    }

    /// A directory below `dir`; ".." may not climb out of it.
    static func sub(_ dir: String, _ sub: String) throws -> String {
        let clean = cleanPath("/" + sub)
        var depth = 0
        for part in sub.split(separator: "/") {
            if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
            if depth < 0 { throw RuntimeError("--cgroup: \(sub) is not a sub cgroup path") }
        }
        return clean == "/" ? dir : dir + clean
    }

    /// Whether the hierarchy mounted at `root` has `controller`: a v1
    /// hierarchy by its directory name, cgroup2 by cgroup.controllers.
    static func hierarchy(_ root: String, has controller: String) -> Bool {
        let name = root.split(separator: "/").last.map(String.init) ?? ""
        if name.split(separator: ",").contains(where: { $0 == controller || $0 == "name=" + controller }) { return true }
        return Cgroup.controllers(at: root).contains(controller)
    }

    /// Moves a process into each of `dirs` (from directories(forExec:)).
    /// A cgroup2 directory with controllers enabled for its children takes
    /// no processes (EBUSY: the kernel's no-internal-processes rule). A
    /// container gets there by making child cgroups and moving its init
    /// into one, as systemd does; the process then joins the init's own
    /// cgroup, where runc's exec puts it too.
    public static func add(pid: Int32, to dirs: [String], initPid: Int32 = 0, unifiedRoot: String? = nil) throws {
        for dir in dirs {
            do {
                try Files.write(dir + "/cgroup.procs", String(decimal: pid))
            } catch let e as SystemError where e.errno == EBUSY {
                guard let root = unifiedRoot, dir.hasBytePrefix(root), let own = unifiedPath(of: initPid),
                      (root + own).hasBytePrefix(dir + "/") else { throw e }
                try Files.write(root + own + "/cgroup.procs", String(decimal: pid))
            }
        }
    }

    /// The process's cgroup in the cgroup2 tree ("0::PATH" of /proc/PID/cgroup).
    static func unifiedPath(of pid: Int32) -> String? {
        guard pid > 0, let text = Files.readText("/proc/\(pid)/cgroup") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let path = String(line.dropFirst(3))
            return path == "/" ? nil : path
        }
        return nil
    }
}
