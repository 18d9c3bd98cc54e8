// Resource usage read back from the cgroup, in the shape of runc's
// `events --stats` (libcontainer/cgroups/stats.go and types/events.go), so
// tools written for runc read hako's output unchanged.

enum Stats {
    static func number(_ dir: String, _ file: String) -> UInt64? {
        guard let t = Files.readText(dir + "/" + file)?.trimmingWhitespace else { return nil }
        if t == "max" { return UInt64.max }
        return UInt64(t)
    }

    /// "key value" lines (memory.stat, cpu.stat, ...).
    static func keyed(_ dir: String, _ file: String) -> [(String, UInt64)] {
        (Files.readText(dir + "/" + file) ?? "").split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 2, let v = UInt64(f[1]) else { return nil }
            return (String(f[0]), v)
        }
    }

    static func memoryUsage(_ cgroup: Cgroup) -> UInt64? {
        guard let (dir, v2) = cgroup.directory(for: "memory") else { return nil }
        return number(dir, v2 ? "memory.current" : "memory.usage_in_bytes")
    }

    /// The `data` object of a stats event.
    static func collect(_ cgroup: Cgroup) -> JSON {
        var data: [(String, JSON)] = []
        if let (dir, v2) = cgroup.directory(for: v2Name("cpuacct", cgroup)) {
            data.append(("cpu", cpu(dir, v2: v2, throttle: cgroup.directory(for: "cpu")?.dir)))
        }
        if let (dir, v2) = cgroup.directory(for: "memory") { data.append(("memory", memory(dir, v2: v2))) }
        if let (dir, _) = cgroup.directory(for: "pids") {
            let limit = number(dir, "pids.max")
            data.append(("pids", .object([("current", .int(number(dir, "pids.current") ?? 0)),
                                          ("limit", .int(limit == UInt64.max ? 0 : limit ?? 0))])))
        }
        data.append(("blkio", .object([])))
        if let (dir, v2) = cgroup.directory(for: "hugetlb") {
            data.append(("hugetlb", .object(Hugepages.sizes().map { size in
                let usage = number(dir, v2 ? "hugetlb.\(size).current" : "hugetlb.\(size).usage_in_bytes") ?? 0
                let maxUsage = v2 ? 0 : (number(dir, "hugetlb.\(size).max_usage_in_bytes") ?? 0)
                let failcnt = v2 ? (keyed(dir, "hugetlb.\(size).events").first { $0.0 == "max" }?.1 ?? 0)
                                 : (number(dir, "hugetlb.\(size).failcnt") ?? 0)
                return (size, .object([("usage", .int(usage)), ("max", .int(maxUsage)), ("failcnt", .int(failcnt))]))
            })))
        }
        return .object(data)
    }

    static func v2Name(_ v1: String, _ cgroup: Cgroup) -> String { cgroup.isUnified ? "cpu" : v1 }

    static func cpu(_ dir: String, v2: Bool, throttle: String?) -> JSON {
        var usage: [(String, JSON)]
        var throttling: [(String, JSON)] = []
        if v2 {
            let s = Dictionary(keyed(dir, "cpu.stat"), uniquingKeysWith: { a, _ in a })
            // cpu.stat is in microseconds; runc reports nanoseconds.
            usage = [("total_usage", .int((s["usage_usec"] ?? 0) * 1000)),
                     ("usage_in_kernelmode", .int((s["system_usec"] ?? 0) * 1000)),
                     ("usage_in_usermode", .int((s["user_usec"] ?? 0) * 1000))]
            throttling = [("periods", .int(s["nr_periods"] ?? 0)), ("throttled_periods", .int(s["nr_throttled"] ?? 0)),
                          ("throttled_time", .int((s["throttled_usec"] ?? 0) * 1000))]
        } else {
            let percpuText: String = Files.readText(dir + "/cpuacct.usage_percpu") ?? ""
            let percpu: [UInt64] = percpuText.split(separator: " ").compactMap { UInt64(String($0).trimmingWhitespace) }
            // cpuacct.stat is in USER_HZ ticks (100 per second).
            let s = Dictionary(keyed(dir, "cpuacct.stat"), uniquingKeysWith: { a, _ in a })
            usage = [("total_usage", JSON.int(number(dir, "cpuacct.usage") ?? 0)),
                     ("percpu_usage", .array(percpu.map { .int($0) })),
                     ("usage_in_kernelmode", .int((s["system"] ?? 0) * 10_000_000)),
                     ("usage_in_usermode", .int((s["user"] ?? 0) * 10_000_000))]
            if let t = throttle {
                let s = Dictionary(keyed(t, "cpu.stat"), uniquingKeysWith: { a, _ in a })
                throttling = [("periods", .int(s["nr_periods"] ?? 0)), ("throttled_periods", .int(s["nr_throttled"] ?? 0)),
                              ("throttled_time", .int(s["throttled_time"] ?? 0))]
            }
        }
        return .object([("usage", .object(usage)), ("throttling", .object(throttling))])
    }

    static func memory(_ dir: String, v2: Bool) -> JSON {
        func entry(_ usage: String, _ max: String?, _ limit: String, _ failcnt: String?) -> JSON {
            var limitValue = number(dir, limit) ?? 0
            if limitValue == UInt64.max { limitValue = 0 }
            return .object([("usage", .int(number(dir, usage) ?? 0)), ("max_usage", .int(max.flatMap { number(dir, $0) } ?? 0)),
                            ("failcnt", .int(failcnt.flatMap { number(dir, $0) } ?? 0)), ("limit", .int(limitValue))])
        }
        let raw = keyed(dir, "memory.stat")
        var members: [(String, JSON)]
        if v2 {
            members = [("usage", entry("memory.current", "memory.peak", "memory.max", nil)),
                       ("swap_usage", entry("memory.swap.current", nil, "memory.swap.max", nil))]
            members.append(("cache", .int(raw.first { $0.0 == "file" }?.1 ?? 0)))
        } else {
            members = [("usage", entry("memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.limit_in_bytes", "memory.failcnt")),
                       ("swap_usage", entry("memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes", "memory.memsw.limit_in_bytes", "memory.memsw.failcnt")),
                       ("kernel_usage", entry("memory.kmem.usage_in_bytes", "memory.kmem.max_usage_in_bytes", "memory.kmem.limit_in_bytes", "memory.kmem.failcnt"))]
            members.append(("cache", .int(raw.first { $0.0 == "cache" }?.1 ?? 0)))
        }
        members.append(("stats", .object(raw.map { ($0.0, .int($0.1)) })))
        return .object(members)
    }

    /// How many times the OOM killer ran in the container's cgroup.
    static func oomKills(_ cgroup: Cgroup) -> UInt64 {
        guard let (dir, v2) = cgroup.directory(for: "memory") else { return 0 }
        let entries = keyed(dir, v2 ? "memory.events" : "memory.oom_control")
        return entries.first { $0.0 == "oom_kill" }?.1 ?? 0
    }
}
