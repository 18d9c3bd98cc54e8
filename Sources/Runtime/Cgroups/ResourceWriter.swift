// Writes linux.resources into a container's cgroup. Each controller is
// written in the files of the hierarchy that holds it: v1 files on a legacy
// host, v2 files on a unified one, and on a hybrid host whichever the
// controller lives in (here hugetlb is only in the cgroup2 tree).
import Glibc

struct ResourceWriter {
    let cgroup: Cgroup
    /// Where the resources came from, for error messages: "linux.resources",
    /// or the root of an `update --resources` file.
    let prefix: String
    let logger: Logger
    /// The writes the resources call for, in order. Everything is decided
    /// (and every config mistake found) before the first file is touched,
    /// so that `update` can apply all or nothing and `check` can ask too.
    let plan = Plan()

    final class Plan {
        struct Write {
            let path: String, value: String, field: String
            /// When the kernel refuses it with EINVAL, it is tried again
            /// right after the next write, which it may depend on.
            var retryAfterNext = false
        }
        var writes: [Write] = []
        /// `check` plans for a cgroup not made yet: a file of a missing
        /// directory is taken to exist, since only create can know.
        var probing = false
    }

    /// A controller's directory in this container's cgroup.
    struct Target {
        let dir: String
        let v2: Bool
        let writer: ResourceWriter

        func write(_ file: String, _ value: String, field: String, retryAfterNext: Bool = false) throws {
            writer.plan.writes.append(.init(path: dir + "/" + file, value: value, field: writer.path(field), retryAfterNext: retryAfterNext))
        }

        func has(_ file: String) -> Bool {
            if Files.exists(dir + "/" + file) { return true }
            guard writer.plan.probing, !Files.exists(dir) else { return false }
            return v2 || ResourceWriter.Target.ancestorHas(file, below: dir)
        }

        /// For `check`, which plans a v1 cgroup create has not made yet: a v1
        /// cgroup shows its hierarchy's interface files, so the nearest
        /// existing ancestor answers (on this host a kernel without CFQ or
        /// BFQ has no weight file, and check must say so as create does). The
        /// hierarchy's root lacks the files a controller keeps off it (the
        /// weights): there BFQ counts as present when any of its files is.
        /// (A v2 cgroup's files depend on its parent's subtree_control, which
        /// create writes, so there a missing directory still means "maybe".)
        static func ancestorHas(_ file: String, below dir: String) -> Bool {
            var d = dir
            while let slash = d.utf8.lastIndex(of: UInt8(ascii: "/")), slash != d.utf8.startIndex {
                d = String(d[..<slash])
                guard Files.exists(d) else { continue }
                if Files.exists(d + "/" + file) { return true }
                let parent = d.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(d[..<$0]) } ?? "/"
                let isRoot = !Files.exists(parent + "/cgroup.procs")
                guard isRoot else { return false }
                if file.hasBytePrefix("blkio.bfq.") { return Files.list(d).contains { $0.hasBytePrefix("blkio.bfq.") } }
                return false
            }
            return true
        }
        func read(_ file: String) -> String? {
            Files.readText(dir + "/" + file).map { $0.trimmingWhitespace }
        }
    }

    func path(_ field: String) -> String { prefix.isEmpty ? field : prefix + "." + field }

    func target(_ controller: String, field: String) throws -> Target {
        guard let (dir, v2) = cgroup.directory(for: controller) else {
            throw SpecError(path(field), "the \(controller) cgroup controller is not available on this host (\(cgroup.layout.name) cgroups)")
        }
        return Target(dir: dir, v2: v2, writer: self)
    }

    func warnIgnored(_ field: String, _ why: String) {
        logger.warn("config.json: \(path(field)): \(why); ignored")
    }

    /// The controller each configured resource is written to, by field
    /// (for `check`; the writers above ask for the same ones).
    static func controllerNeeds(_ r: Resources, v2: Bool) -> [(String, String)] {
        var n: [(String, String)] = []
        if r.memory != nil { n.append(("memory", "memory")) }
        if let cpu = r.cpu {
            if cpu.shares != nil || cpu.quota != nil || cpu.period != nil || cpu.burst != nil || cpu.idle != nil
                || cpu.realtimeRuntime != nil || cpu.realtimePeriod != nil { n.append(("cpu", "cpu")) }
            if cpu.cpus != nil || cpu.mems != nil { n.append(("cpu", "cpuset")) }
        }
        if r.pids != nil { n.append(("pids", "pids")) }
        if r.blockIO != nil { n.append(("blockIO", v2 ? "io" : "blkio")) }
        if !r.hugepageLimits.isEmpty { n.append(("hugepageLimits", "hugetlb")) }
        if !r.rdma.isEmpty { n.append(("rdma", "rdma")) }
        if let net = r.network {
            if net.classID != nil { n.append(("network.classID", "net_cls")) }
            if !net.priorities.isEmpty { n.append(("network.priorities", "net_prio")) }
        }
        if !v2, !r.devices.isEmpty { n.append(("devices", "devices")) }
        return n
    }

    /// Controllers a cgroup2 tree must enable in its parents for these resources.
    static func v2Controllers(_ r: Resources) -> [String] {
        var c: [String] = []
        if r.memory != nil { c.append("memory") }
        if let cpu = r.cpu {
            if cpu.shares != nil || cpu.quota != nil || cpu.period != nil || cpu.burst != nil || cpu.idle != nil { c.append("cpu") }
            if cpu.cpus != nil || cpu.mems != nil { c.append("cpuset") }
        }
        if r.pids != nil { c.append("pids") }
        if r.blockIO != nil { c.append("io") }
        if !r.hugepageLimits.isEmpty { c.append("hugetlb") }
        if !r.rdma.isEmpty { c.append("rdma") }
        for (key, _) in r.unified {
            if let dot = key.firstIndex(of: "."), !key.hasBytePrefix("cgroup.") { c.append(String(key[..<dot])) }
        }
        return c
    }

    /// Writes everything the resources set. `devices` are applied separately
    /// (Cgroups/Devices.swift) because v2 needs an eBPF program, not a file.
    /// With `rollback`, a failed write puts back what the earlier ones
    /// changed (as far as the kernel lets it) and the error says so.
    func apply(_ r: Resources, rollback: Bool = false) throws {
        try enableControllers(r)
        try planWrites(r)
        try execute(rollback: rollback)
    }

    /// The writes made, each with the file's value before (when rolling back).
    typealias Done = [(Plan.Write, String?)]

    @discardableResult
    func execute(rollback: Bool) throws -> Done {
        var done: Done = []
        var postponed: (Plan.Write, String?)? = nil
        for w in plan.writes {
            let before = rollback ? Files.readText(w.path) : nil
            do { try Files.write(w.path, w.value) } catch let e as SystemError {
                if w.retryAfterNext, e.errno == EINVAL { postponed = (w, before); continue }
                throw failure(w, e.errno, done, rollback: rollback)
            }
            done.append((w, before))
            if let (p, pBefore) = postponed {
                postponed = nil
                do { try Files.write(p.path, p.value) } catch let e as SystemError {
                    throw failure(p, e.errno, done, rollback: rollback)
                }
                done.append((p, pBefore))
            }
        }
        return done
    }

    /// A failed write's error, after rolling back the earlier ones if asked.
    func failure(_ w: Plan.Write, _ errno: Int32, _ done: Done, rollback: Bool) -> SpecError {
        let reason = "write \"\(w.value)\" to \(w.path): \(SystemError.describe(errno))"
        guard rollback, !done.isEmpty else { return SpecError(w.field, reason) }
        return SpecError(w.field, reason + "; " + undo(done))
    }

    /// Puts back the files an update had written, newest first, and says
    /// which could not be: a file whose old value the kernel refuses as
    /// input (per-device lists, for one) stays as the update left it.
    func undo(_ done: Done) -> String {
        var failed: [String] = []
        for (w, before) in done.reversed() {
            guard let old = before?.trimmingWhitespace, !old.contains("\n"), !old.isEmpty,
                  (try? Files.write(w.path, old)) != nil else {
                failed.append(w.path)
                continue
            }
        }
        if failed.isEmpty { return "nothing was changed (\(done.count) earlier write\(done.count == 1 ? "" : "s") rolled back)" }
        return "rolled back \(done.count - failed.count) of \(done.count) earlier writes; still changed: \(failed.joined(by: ", "))"
    }

    func enableControllers(_ r: Resources) throws {
        if let u = cgroup.unifiedDirectory, let root = cgroup.layout.unifiedRoot {
            // On a pure v2 host every controller is enabled, as crun and runc
            // do, so that `events` and engines see all the usage files; on a
            // hybrid one only what the resources need, the host's tree being
            // mostly someone else's.
            let wanted = cgroup.isUnified ? Cgroup.controllers(at: root) : ResourceWriter.v2Controllers(r)
            do { try cgroup.enable(wanted, under: root) } catch let e as SystemError {
                throw RuntimeError("enable controllers for \(u): \(e)")
            }
        }
    }

    /// Decides every write, in order, without writing (files are only read).
    func planWrites(_ r: Resources) throws {
        if let m = r.memory {
            let t = try target("memory", field: "memory")
            try t.v2 ? V2.memory(m, t) : V1.memory(m, t)
        }
        if let c = r.cpu { try cpu(c) }
        if let p = r.pids {
            try target("pids", field: "pids").write("pids.max", p < 0 ? "max" : String(decimal: p), field: "pids.limit")
        }
        if let b = r.blockIO {
            let t = try target(cgroup.isUnified ? "io" : "blkio", field: "blockIO")
            try t.v2 ? V2.blockIO(b, t) : V1.blockIO(b, t)
        }
        for (i, h) in r.hugepageLimits.enumerated() {
            let field = "hugepageLimits[\(i)]"
            guard Hugepages.sizes().contains(h.pageSize) else {
                throw SpecError(path(field + ".pageSize"), "\"\(h.pageSize)\" is not a huge page size of this host (\(Hugepages.sizes().joined(by: ", ")))")
            }
            let t = try target("hugetlb", field: field)
            let file = t.v2 ? "hugetlb.\(h.pageSize).max" : "hugetlb.\(h.pageSize).limit_in_bytes"
            try t.write(file, String(decimal: h.limit), field: field + ".limit")
        }
        if let n = r.network {
            if let id = n.classID {
                try target("net_cls", field: "network.classID").write("net_cls.classid", String(decimal: id), field: "network.classID")
            }
            for (i, p) in n.priorities.enumerated() {
                try target("net_prio", field: "network.priorities").write("net_prio.ifpriomap", "\(p.name) \(p.priority)", field: "network.priorities[\(i)]")
            }
        }
        for (device, limits) in r.rdma {
            let value = "\(device) hca_handle=\(limits.hcaHandles.map { String(decimal: $0) } ?? "max") hca_object=\(limits.hcaObjects.map { String(decimal: $0) } ?? "max")"
            try target("rdma", field: "rdma").write("rdma.max", value, field: "rdma.\(device)")
        }
        if !r.unified.isEmpty { try unified(r.unified) }
    }

    func cpu(_ c: Resources.CPU) throws {
        if c.cpus != nil || c.mems != nil {
            let t = try target("cpuset", field: "cpu")
            if let cpus = c.cpus { try t.write("cpuset.cpus", cpus, field: "cpu.cpus") }
            if let mems = c.mems { try t.write("cpuset.mems", mems, field: "cpu.mems") }
        }
        let rest = [c.shares != nil, c.quota != nil, c.period != nil, c.burst != nil, c.idle != nil,
                    c.realtimePeriod != nil, c.realtimeRuntime != nil]
        if rest.contains(true) {
            let t = try target("cpu", field: "cpu")
            try t.v2 ? V2.cpu(c, t) : V1.cpu(c, t)
        }
    }

    /// linux.resources.unified: cgroup2 files written as given.
    func unified(_ entries: [(String, String)]) throws {
        guard let dir = cgroup.unifiedDirectory else {
            throw SpecError(path("unified"), "needs cgroup v2, and this host has \(cgroup.layout.name) cgroups")
        }
        for (key, value) in entries {
            // The name was checked when the resources were parsed (Resources.checkUnifiedKey).
            let field = "unified.\(key)"
            if !Target(dir: dir, v2: true, writer: self).has(key) {
                let controller = key.split(separator: ".").first.map(String.init) ?? key
                throw SpecError(path(field), "no such cgroup file (is the \(controller) controller enabled in this cgroup v2 tree?)")
            }
            try Target(dir: dir, v2: true, writer: self).write(key, value, field: field)
        }
    }
}

/// Huge page sizes of this host, named as cgroup files name them ("2MB", "1GB").
enum Hugepages {
    static func sizes() -> [String] {
        Files.list("/sys/kernel/mm/hugepages").compactMap { name -> String? in
            guard name.hasBytePrefix("hugepages-"), name.hasByteSuffix("kB"),
                  let kb = UInt64(name.dropFirst(10).dropLast(2)) else { return nil }
            return Hugepages.name(kb * 1024)
        }.sorted()
    }

    static func name(_ bytes: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = bytes, i = 0
        while v >= 1024, v % 1024 == 0, i < units.count - 1 { v /= 1024; i += 1 }
        return "\(v)\(units[i])"
    }
}

extension CgroupLayout {
    /// The root of the cgroup2 tree, if the host has one.
    var unifiedRoot: String? {
        switch self {
        case let .unified(r): return r
        case let .hybrid(_, u): return u
        default: return nil
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        let s = drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return String(s.reversed().drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" }).reversed())
    }
}

extension Cgroup {
    /// Sets the container's resources and device rules.
    public func apply(_ r: Resources?, prefix: String = "linux.resources", logger: Logger) throws {
        // Also without resources: on v2 the controllers are enabled regardless.
        let resources = try r ?? Resources(Field(.object([])))
        let writer = ResourceWriter(cgroup: self, prefix: prefix, logger: logger)
        try writer.apply(resources)
        for (i, d) in resources.devices.enumerated() where !d.ignoredAccess.isEmpty {
            writer.warnIgnored("devices[\(i)].access", "\"\(d.ignoredAccess)\" is not r, w or m")
        }
        try applyDevices(r?.devices ?? [], prefix: prefix)
    }

    func applyDevices(_ config: [Resources.DeviceRule], prefix: String) throws {
        let rules = Resources.DeviceRule.effective(config: config)
        let field = prefix.isEmpty ? "devices" : prefix + ".devices"
        if isUnified, let dir = directories.first {
            do { try DeviceFilter.attach(rules, cgroupDir: dir) } catch { throw SpecError(field, "\(error)") }
        } else if let (dir, v2) = directory(for: "devices"), !v2 {
            try V1.devices(rules, dir: dir, field: field)
        } else if !config.isEmpty {
            throw SpecError(field, "the devices cgroup controller is not available on this host (\(layout.name) cgroups)")
        }
    }
}
