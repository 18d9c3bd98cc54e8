// cgroup v2 files for linux.resources. The spec's fields were modelled on
// v1, so some are converted, by the conventions runc and crun share
// (github.com/opencontainers/runc/blob/main/docs/cgroup-v2.md).

enum V2 {
    /// cpu.shares (2-262144) to cpu.weight (1-10000), linearly.
    static func weight(shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        // Capped so that the product cannot overflow; anything above
        // 262144 gives a weight the kernel refuses, naming the field.
        return 1 + ((min(max(shares, 2), 1 << 40) - 2) * 9999) / 262_142
    }

    /// blkio.weight (10-1000) to io.weight (1-10000), linearly.
    static func ioWeight(_ w: UInt16) -> UInt64 {
        if w == 0 { return 0 }
        return 1 + (UInt64(max(w, 10)) - 10) * 9999 / 990
    }

    static func memory(_ m: Resources.Memory, _ t: ResourceWriter.Target) throws {
        func amount(_ v: Int64) -> String { v < 0 ? "max" : String(decimal: v) }
        if let l = m.limit { try t.write("memory.max", amount(l), field: "memory.limit") }
        // As runc: an unlimited memory without a swap says swap is unlimited too.
        if m.limit == -1, m.swap == nil, t.has("memory.swap.max") { try t.write("memory.swap.max", "max", field: "memory.limit") }
        if let s = m.swap {
            // v1's swap is memory+swap; v2's memory.swap.max is swap alone.
            let value: String
            if s < 0 {
                value = "max"
            } else if let l = m.limit, l >= 0 {
                guard s >= l else {
                    throw SpecError(t.writer.path("memory.swap"), "\(s) is below memory.limit \(l) (swap is memory+swap)")
                }
                value = String(s - l)
            } else {
                throw SpecError(t.writer.path("memory.swap"), "needs memory.limit on cgroup v2 (swap is memory+swap)")
            }
            guard t.has("memory.swap.max") else {
                throw SpecError(t.writer.path("memory.swap"), "swap accounting is off in this kernel (no memory.swap.max)")
            }
            try t.write("memory.swap.max", value, field: "memory.swap")
        }
        if let r = m.reservation { try t.write("memory.low", amount(r), field: "memory.reservation") }
        if m.swappiness != nil { t.writer.warnIgnored("memory.swappiness", "cgroup v2 has no per-cgroup swappiness") }
        if m.disableOOMKiller == true {
            throw SpecError(t.writer.path("memory.disableOOMKiller"), "cgroup v2 cannot disable the OOM killer")
        }
        if m.useHierarchy == false { t.writer.warnIgnored("memory.useHierarchy", "cgroup v2 is always hierarchical") }
        if m.kernel != nil { t.writer.warnIgnored("memory.kernel", "kernel memory limits are deprecated and cgroup v2 has none") }
        if m.kernelTCP != nil { t.writer.warnIgnored("memory.kernelTCP", "cgroup v2 has no separate TCP memory limit") }
    }

    static func cpu(_ c: Resources.CPU, _ t: ResourceWriter.Target) throws {
        if let s = c.shares { try t.write("cpu.weight", String(weight(shares: s)), field: "cpu.shares") }
        if c.quota != nil || c.period != nil {
            // cpu.max holds both: keep whichever one is not being set.
            let current = (t.read("cpu.max") ?? "max 100000").split(separator: " ")
            let quota = c.quota.map { $0 <= 0 ? "max" : String(decimal: $0) } ?? (current.first.map(String.init) ?? "max")
            let period = c.period.map { String(decimal: $0) } ?? (current.count > 1 ? String(current[1]) : "100000")
            try t.write("cpu.max", "\(quota) \(period)", field: c.quota != nil ? "cpu.quota" : "cpu.period")
        }
        if let b = c.burst { try t.write("cpu.max.burst", String(decimal: b), field: "cpu.burst") }
        if let i = c.idle { try t.write("cpu.idle", String(decimal: i), field: "cpu.idle") }
        if c.realtimePeriod != nil || c.realtimeRuntime != nil {
            throw SpecError(t.writer.path(c.realtimePeriod != nil ? "cpu.realtimePeriod" : "cpu.realtimeRuntime"),
                            "cgroup v2 has no real-time CPU bandwidth")
        }
    }

    static func blockIO(_ b: Resources.BlockIO, _ t: ResourceWriter.Target) throws {
        // BFQ's weight keeps v1's scale; io.weight (the cost model) has its own.
        let bfq = t.has("io.bfq.weight")
        if let w = b.weight {
            if bfq {
                try t.write("io.bfq.weight", String(decimal: w), field: "blockIO.weight")
            } else {
                try t.write("io.weight", "default \(ioWeight(w))", field: "blockIO.weight")
            }
        }
        if b.leafWeight != nil {
            throw SpecError(t.writer.path("blockIO.leafWeight"), "cgroup v2 has no leaf weight")
        }
        for (i, d) in b.weightDevice.enumerated() {
            let field = "blockIO.weightDevice[\(i)]"
            if let w = d.weight {
                try t.write(bfq ? "io.bfq.weight" : "io.weight", "\(d.major):\(d.minor) \(bfq ? UInt64(w) : ioWeight(w))", field: field + ".weight")
            }
            if d.leafWeight != nil { throw SpecError(t.writer.path(field + ".leafWeight"), "cgroup v2 has no leaf weight") }
        }
        let throttles: [(String, [Resources.ThrottleDevice], String)] = [
            ("throttleReadBpsDevice", b.throttleReadBpsDevice, "rbps"),
            ("throttleWriteBpsDevice", b.throttleWriteBpsDevice, "wbps"),
            ("throttleReadIOPSDevice", b.throttleReadIOPSDevice, "riops"),
            ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice, "wiops"),
        ]
        for (name, devices, key) in throttles {
            for (i, d) in devices.enumerated() {
                try t.write("io.max", "\(d.major):\(d.minor) \(key)=\(d.rate == 0 ? "max" : String(decimal: d.rate))", field: "blockIO.\(name)[\(i)]")
            }
        }
    }
}
