// `hako check`: every problem of a bundle at once, before anything is made.
//
// The spec rules are create's own: the same parser and the same pre-create
// validation run, and each time they stop at a problem, the offending value
// is cut out of the tree and they run again, until nothing is left to
// report. Then the host is asked what create would ask it: namespaces the
// kernel has, cgroup controllers in this layout, the executable, bind
// sources, hooks, rlimits and id maps, the seccomp profile through
// libseccomp.
import CNamespaces
import CSeccomp
import Glibc

public struct BundleCheck {
    public struct Problem: CustomStringConvertible {
        public let path: String
        public let reason: String
        /// A fact of this host rather than of the config itself.
        public let host: Bool
        public var description: String {
            "config.json: \(path.isEmpty ? "" : path + ": ")\(reason)\(host ? " (host)" : "")"
        }
    }

    let bundle: String
    let logger: Logger

    public init(bundle: String, logger: Logger) {
        self.bundle = absolutePath(bundle)
        self.logger = logger
    }

    public func run() -> [Problem] {
        let bytes: [UInt8]
        do { bytes = try Files.read(bundle + "/config.json") } catch {
            return [Problem(path: "", reason: "cannot read \(bundle)/config.json: \(error)", host: false)]
        }
        let tree: JSON
        do { tree = try JSON.parse(bytes) } catch {
            return [Problem(path: "", reason: "invalid JSON: \(error)", host: false)]
        }
        guard case .object = tree else { return [Problem(path: "", reason: "must be a JSON object, not \(tree.typeName)", host: false)] }
        let (problems, spec, cuts) = configRounds(tree)
        guard let spec else { return problems }
        return problems + hostProblems(spec).map { Problem(path: cuts.original($0.path), reason: $0.reason, host: true) }
    }

    /// The config's own problems, create's rules without asking the host
    /// anything but stat(2) (the fuzzer drives this).
    public func configProblems(_ tree: JSON) -> [Problem] { configRounds(tree).problems }

    /// What libseccomp makes of the profile, as create would compile it.
    public func seccompProblems(_ spec: Spec) -> [Problem] {
        guard let s = spec.linux?.seccomp else { return [] }
        do { _ = try SeccompCompiler.compile(s, logger: logger) } catch let e as SpecError {
            return [Problem(path: e.path, reason: e.reason, host: true)]
        } catch {
            return [Problem(path: "linux.seccomp", reason: "\(error)", host: true)]
        }
        return []
    }

    /// Parse and validate, cutting out each value that stops them, until
    /// they pass (the spec is returned) or nothing is left to cut.
    func configRounds(_ start: JSON) -> (problems: [Problem], spec: Spec?, cuts: Cuts) {
        var tree = start
        var problems: [Problem] = []
        var cuts = Cuts()
        var cutPaths: Set<String> = []
        var replaced: Set<String> = []
        let defaults = Spec.defaultConfig(rootless: false)
        // Each round reports one problem and removes its value; a config has
        // far fewer fields than this bound.
        for _ in 0..<200 {
            do {
                let spec = try Spec(Field(tree))
                var options = CreateOptions()
                options.bundle = bundle
                options.consoleSocket = "" // a terminal needs a socket only at create
                _ = try Runtime.validate(spec, bundle: bundle, options: options)
                return (problems, spec, cuts)
            } catch let e as SpecError {
                // Cutting a bad required value makes it missing: that is
                // the same problem, not a new one.
                let reported = cuts.original(e.path)
                if !cutPaths.contains(reported) && !problems.contains(where: { $0.path == reported && $0.reason == e.reason }) {
                    problems.append(Problem(path: reported, reason: e.reason, host: false))
                }
                // A bad value the default config has (process.cwd, process.args)
                // is replaced by the default's, once: cut, it would be a missing
                // required member, and cutting its parent would hide its siblings.
                if !replaced.contains(e.path), let stand = JSONPath.value(at: e.path, in: defaults),
                   let t = JSONPath.replace(e.path, in: tree, with: stand) {
                    replaced.insert(e.path)
                    cutPaths.insert(reported)
                    tree = t
                    continue
                }
                // A required member that is missing cannot be cut: cut its parent.
                var path = Substring(e.path)
                while true {
                    if path.isEmpty { return (problems, nil, cuts) }
                    if let cut = JSONPath.remove(String(path), from: tree) {
                        cutPaths.insert(cuts.original(String(path)))
                        tree = cut.tree
                        cuts.record(cut.removedIndex)
                        break
                    }
                    path = JSONPath.parent(path)
                }
            } catch {
                problems.append(Problem(path: "", reason: "\(error)", host: false))
                return (problems, nil, cuts)
            }
        }
        return (problems, nil, cuts)
    }

    /// The tree without the value an error path names, or nil when the
    /// path names nothing in it (for the fuzzer's check of error paths).
    public static func cut(_ path: String, from tree: JSON) -> JSON? { JSONPath.remove(path, from: tree)?.tree }

    // MARK: the host

    /// What this host lacks for the config: each part is one function below.
    func hostProblems(_ spec: Spec) -> [Problem] {
        var out = processProblems(spec) + mountProblems(spec) + hookProblems(spec)
        if let linux = spec.linux {
            out += kernelProblems(linux) + resourceProblems(linux) + idMappingProblems(linux)
        }
        return out + seccompProblems(spec)
    }

    /// The program, as the init would find it, and rlimits above the host's.
    func processProblems(_ spec: Spec) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        let rootfs = spec.root.map { $0.path.hasBytePrefix("/") ? cleanPath($0.path) : joinPath(bundle, $0.path) } ?? bundle
        if let p = spec.process {
            if let name = p.args.first, let why = BundleCheck.unrunnable(name, env: p.env, rootfs: rootfs) {
                add("process.args[0]", why)
            }
            var mine = rlimit()
            for (k, r) in p.rlimits.enumerated() where getrlimit(__rlimit_resource_t(UInt32(r.type.resource)), &mine) == 0 {
                if r.hard > UInt64(mine.rlim_max), !Credentials.hasEffective(capability: Int(HK_CAP_SYS_RESOURCE)) {
                    add("process.rlimits[\(k)].hard", "\(r.hard) is above this host's hard limit \(mine.rlim_max), and hako lacks CAP_SYS_RESOURCE to raise it")
                }
            }
        }
        return out
    }

    /// Bind sources that do not exist, file systems the kernel lacks.
    func mountProblems(_ spec: Spec) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        for (k, m) in spec.mounts.enumerated() where m.type == "bind" || m.options.contains("bind") || m.options.contains("rbind") {
            guard let source = m.source else { continue }
            let path = source.hasBytePrefix("/") ? source : joinPath(bundle, source)
            if access(path, F_OK) != 0 { add("mounts[\(k)].source", "\(path) does not exist") }
        }
        let filesystems = Files.readText("/proc/filesystems") ?? ""
        for (k, m) in spec.mounts.enumerated() {
            guard let type = m.type, type != "bind", type != "none", !m.options.contains("bind"), !m.options.contains("rbind") else { continue }
            if !filesystems.split(separator: "\n").contains(where: { $0.split(separator: "\t").last.map(String.init) == type }) {
                add("mounts[\(k)].type", "this kernel has no \"\(type)\" file system (/proc/filesystems)")
            }
        }
        return out
    }

    /// Hooks that cannot be run.
    func hookProblems(_ spec: Spec) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        for (kind, hooks) in spec.hooks.all {
            for (k, h) in hooks.enumerated() where access(h.path, X_OK) != 0 {
                add("hooks.\(kind)[\(k)].path", "\(h.path) is not an executable file: \(SystemError.describe(errno))")
            }
        }
        return out
    }

    /// Namespaces, sysctls and CPUs this kernel lacks.
    func kernelProblems(_ linux: Linux) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        for (k, ns) in linux.namespaces.enumerated() {
            if access("/proc/self/ns/" + ns.type.procName, F_OK) != 0 {
                add("linux.namespaces[\(k)].type", "this kernel has no \(ns.type.rawValue) namespaces")
            }
            if let path = ns.path {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    add("linux.namespaces[\(k)].path", SystemError("open \(path)").description)
                } else {
                    if hk_ns_type(fd) != ns.type.cloneFlag { add("linux.namespaces[\(k)].path", "\(path) is not a \(ns.type.rawValue) namespace") }
                    close(fd)
                }
            }
        }
        for (key, _) in linux.sysctl where access(Sysctl.components(key).map(Sysctl.file) ?? "", F_OK) != 0 {
            add("linux.sysctl.\(key)", "this kernel has no such sysctl")
        }
        if let cpus = linux.resources?.cpu?.cpus, let wanted = ProcessSettings.bitmap(cpus),
           let onlineList = Files.readText("/sys/devices/system/cpu/online")?.trimmingWhitespace,
           let online = ProcessSettings.bitmap(onlineList) {
            for (i, byte) in wanted.enumerated() where byte & ~(i < online.count ? online[i] : 0) != 0 {
                add("linux.resources.cpu.cpus", "\"\(cpus)\" names CPUs that are not online (\(onlineList))")
                break
            }
        }
        return out
    }

    /// Cgroup controllers the resources need, and what create's writer would refuse.
    func resourceProblems(_ linux: Linux) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        if let r = linux.resources {
            let planned = CgroupDrivers.forCreate(cgroupsPath: linux.cgroupsPath, id: "check")
            for (path, reason) in planned.problems(r, logger: logger) { add(path, reason) }
        }
        return out
    }

    /// Id mappings a caller without root may not use.
    func idMappingProblems(_ linux: Linux) -> [Problem] {
        var out: [Problem] = []
        func add(_ path: String, _ reason: String) { out.append(Problem(path: path, reason: reason, host: true)) }
        if getuid() != 0 {
            for (name, maps, file) in [("uidMappings", linux.uidMappings, "/etc/subuid"), ("gidMappings", linux.gidMappings, "/etc/subgid")] {
                let own = name == "uidMappings" ? getuid() : getgid()
                let ranges = SubordinateIDs.ranges(file: file, uid: getuid())
                for (k, m) in maps.enumerated() where !(m.size == 1 && m.hostID == own) && !ranges.contains(where: { m.hostID >= $0.start && UInt64(m.hostID) + UInt64(m.size) <= UInt64($0.start) + UInt64($0.count) }) {
                    add("linux.\(name)[\(k)]", "host ids \(m.hostID)..<\(UInt64(m.hostID) + UInt64(m.size)) are neither yours nor in \(file)")
                }
            }
        }
        return out
    }

    /// Why `name` cannot be executed in the rootfs, as the init's execve
    /// would find it (PATH from env), or nil. Symlinks resolve inside the rootfs.
    static func unrunnable(_ name: String, env: [String], rootfs: String) -> String? {
        let root = open(rootfs, HK_O_PATH | O_DIRECTORY | O_CLOEXEC)
        if root < 0 { return nil } // root.path is reported by validate
        defer { close(root) }
        // The init's own test (Exec.notRunnable), with paths resolved in the rootfs.
        func inRoot(_ p: String, _ st: inout stat) -> Int32 {
            let fd = hk_openat2(root, p, UInt64(UInt32(bitPattern: HK_O_PATH | O_CLOEXEC)), 0, RESOLVE_IN_ROOT)
            if fd < 0 { return -1 }
            defer { close(fd) }
            return fstat(fd, &st)
        }
        if name.contains("/") { return Exec.notRunnable(name, stat: inRoot) }
        let path = env.last(where: { $0.hasBytePrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") where Exec.notRunnable(String(dir) + "/" + name, stat: inRoot) == nil { return nil }
        return Exec.notFoundInPath(name) + " (\(path), in the rootfs)"
    }
}

/// Array elements cut from the tree, so that later paths, whose indices
/// count only what is left, can be told in the original's numbering.
struct Cuts {
    /// (path of the array in original numbering, original index removed)
    var removed: [(String, Int)] = []

    mutating func record(_ r: (array: String, index: Int)?) {
        guard let r else { return }
        removed.append((original(r.array), originalIndex(array: original(r.array), r.index)))
    }

    func originalIndex(array: String, _ i: Int) -> Int {
        let gone = removed.filter { $0.0 == array }.map { $0.1 }.sorted()
        var index = i
        for g in gone where g <= index { index += 1 }
        return index
    }

    /// `path` with every index turned back to the original numbering.
    func original(_ path: String) -> String {
        guard !removed.isEmpty else { return path }
        var out = ""
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "]"), let i = Int(rest[rest.index(after: open)..<close]) else {
                out += rest
                return out
            }
            out += "[\(originalIndex(array: out, i))]"
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}

/// Paths as errors name them: `process.rlimits[2].type`, where a key may
/// itself hold dots (`linux.sysctl.net.ipv4.ip_forward`).
enum JSONPath {
    static func parent(_ path: Substring) -> Substring {
        guard let i = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "" }
        return path[..<i]
    }

    /// The tree without the value at `path`; for an array element, also
    /// the array's path and the index removed.
    static func remove(_ path: String, from tree: JSON) -> (tree: JSON, removedIndex: (array: String, index: Int)?)? {
        var removed: (String, Int)? = nil
        guard let t = remove(Substring(path), from: tree, at: "", removed: &removed) else { return nil }
        return (t, removed)
    }

    /// The value at `path`, when every step of it is an object member.
    static func value(at path: String, in tree: JSON) -> JSON? {
        var node = tree
        var rest = Substring(path)
        while !rest.isEmpty {
            guard case let .object(members) = node, let (k, after) = member(rest, of: members) else { return nil }
            node = members[k].1
            rest = after
        }
        return node
    }

    /// The tree with the value at `path` (object members only) replaced.
    static func replace(_ path: String, in tree: JSON, with value: JSON) -> JSON? {
        replace(Substring(path), in: tree, with: value)
    }

    private static func replace(_ path: Substring, in tree: JSON, with value: JSON) -> JSON? {
        guard case var .object(members) = tree, let (k, rest) = member(path, of: members) else { return nil }
        if rest.isEmpty {
            members[k].1 = value
        } else {
            guard let child = replace(rest, in: members[k].1, with: value) else { return nil }
            members[k].1 = child
        }
        return .object(members)
    }

    /// The member a path goes through, one way for value, replace and
    /// remove: the longest key the path starts with, followed by the end,
    /// "." or "["; of duplicate keys the last, which is the one that counts
    /// (JSON's subscript, like Go's decoder in runc). A key in another
    /// case ("Args" for the path's "args") is found when none is exact, as
    /// the subscript finds it. Returns its index and the rest of the path,
    /// without the ".".
    static func member(_ path: Substring, of members: [(String, JSON)]) -> (Int, Substring)? {
        guard let (k, n) = longest(path, of: members, exact: true) ?? longest(path, of: members, exact: false) else { return nil }
        var rest = path.utf8.dropFirst(n)
        if rest.first == UInt8(ascii: ".") { rest = rest.dropFirst() }
        return (k, Substring(rest))
    }

    /// The member whose key is the longest the path starts with (in
    /// bytes), exactly or folded, followed by the end, "." or "[".
    private static func longest(_ path: Substring, of members: [(String, JSON)], exact: Bool) -> (Int, Int)? {
        var best: (Int, Int)? = nil
        for (k, m) in members.enumerated() {
            let n = m.0.utf8.count
            guard path.utf8.count >= n else { continue }
            let head = path.utf8.prefix(n)
            let matched = exact ? head.elementsEqual(m.0.utf8) : String(head).map { JSON.sameName(m.0, $0) } ?? false
            let after = path.utf8.dropFirst(n).first
            guard matched, after == nil || after == UInt8(ascii: ".") || after == UInt8(ascii: "[") else { continue }
            if best == nil || n >= best!.1 { best = (k, n) }
        }
        return best
    }

    private static func remove(_ path: Substring, from node: JSON, at here: String, removed: inout (String, Int)?) -> JSON? {
        switch node {
        case let .object(members):
            guard let (k, rest) = member(path, of: members) else { return nil }
            let key = members[k].0
            var copy = members
            let childPath = here.isEmpty ? key : here + "." + key
            if rest.isEmpty {
                copy.removeAll { $0.0 == key }
                return .object(copy)
            }
            guard let child = remove(rest, from: members[k].1, at: childPath, removed: &removed) else { return nil }
            copy[k].1 = child
            return .object(copy)
        case let .array(items):
            guard path.first == "[", let close = path.firstIndex(of: "]"),
                  let i = Int(path[path.index(after: path.startIndex)..<close]), items.indices.contains(i) else { return nil }
            var rest = path[path.index(after: close)...]
            var copy = items
            if rest.isEmpty {
                copy.remove(at: i)
                removed = (here, i)
                return .array(copy)
            }
            if rest.first == "." { rest = rest.dropFirst() }
            guard let child = remove(rest, from: items[i], at: here + "[\(i)]", removed: &removed) else { return nil }
            copy[i] = child
            return .array(copy)
        default:
            return nil
        }
    }
}

/// /etc/subuid and /etc/subgid: "name-or-uid:start:count" lines.
enum SubordinateIDs {
    static func ranges(file: String, uid: uid_t) -> [(start: UInt32, count: UInt32)] {
        let name = getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cText: $0) } }
        return (Files.readText(file) ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":")
            guard f.count == 3, f[0] == String(decimal: uid) || f[0] == name ?? "",
                  let s = UInt32(f[1]), let c = UInt32(f[2]) else { return nil }
            return (s, c)
        }
    }
}
