// cgroup v1 files for linux.resources (the kernel's cgroup-v1 documents
// name them; config-linux.md's fields were modelled on them).

enum V1 {
    static func memory(_ m: Resources.Memory, _ t: ResourceWriter.Target) throws {
        // memory.memsw.limit_in_bytes (memory+swap) may never be below
        // memory.limit_in_bytes: when raising both, swap goes first.
        // As runc: an unlimited memory without a swap says swap is unlimited too.
        var swapValue = m.swap
        if m.limit == -1, swapValue == nil, t.has("memory.memsw.limit_in_bytes") { swapValue = -1 }
        let limit = m.limit.map { String(decimal: $0) }
        let swap = swapValue.map { String(decimal: $0) }
        if let swap, !t.has("memory.memsw.limit_in_bytes") {
            throw SpecError(t.writer.path("memory.swap"), "swap accounting is off in this kernel (no memory.memsw.limit_in_bytes); \(swap) cannot be set")
        }
        switch (limit, swap) {
        case let (l?, s?):
            // Raising: swap first; lowering: the limit first (runc's rule).
            let current = t.read("memory.limit_in_bytes").flatMap { Int64($0) } ?? Int64.max
            if swapValue! == -1 || current < swapValue! {
                try t.write("memory.memsw.limit_in_bytes", s, field: "memory.swap")
                try t.write("memory.limit_in_bytes", l, field: "memory.limit")
            } else {
                try t.write("memory.limit_in_bytes", l, field: "memory.limit")
                try t.write("memory.memsw.limit_in_bytes", s, field: "memory.swap")
            }
        case let (l?, nil): try t.write("memory.limit_in_bytes", l, field: "memory.limit")
        case let (nil, s?): try t.write("memory.memsw.limit_in_bytes", s, field: "memory.swap")
        case (nil, nil): break
        }
        if let r = m.reservation { try t.write("memory.soft_limit_in_bytes", String(decimal: r), field: "memory.reservation") }
        if let s = m.swappiness { try t.write("memory.swappiness", String(decimal: s), field: "memory.swappiness") }
        if m.disableOOMKiller == true { try t.write("memory.oom_control", "1", field: "memory.disableOOMKiller") }
        if let h = m.useHierarchy {
            // Since Linux 6.x hierarchy is always on and the file only accepts 1.
            if h || t.read("memory.use_hierarchy") != "1" {
                try t.write("memory.use_hierarchy", h ? "1" : "0", field: "memory.useHierarchy")
            } else {
                t.writer.warnIgnored("memory.useHierarchy", "this kernel always uses the hierarchy")
            }
        }
        // Kernel memory limits are deprecated by runtime-spec and gone from
        // Linux 6.x (writes fail); runc 1.1 ignores them too.
        if m.kernel != nil { t.writer.warnIgnored("memory.kernel", "kernel memory limits are deprecated and not enforced by this kernel") }
        if m.kernelTCP != nil {
            try t.write("memory.kmem.tcp.limit_in_bytes", String(m.kernelTCP!), field: "memory.kernelTCP")
        }
    }

    static func cpu(_ c: Resources.CPU, _ t: ResourceWriter.Target) throws {
        if let s = c.shares {
            // The kernel clamps instead of refusing; runc reads the value back and refuses.
            guard (2...262_144).contains(s) else {
                throw SpecError(t.writer.path("cpu.shares"), "\(s) is outside the kernel's range 2-262144")
            }
            try t.write("cpu.shares", String(decimal: s), field: "cpu.shares")
        }
        // The period first: a quota is checked against the current period.
        // But the kernel also checks the old quota against a new, shorter
        // period, and refuses (EINVAL) what would exceed a parent's quota;
        // then the period goes again after the quota, as runc's setCPU does.
        // The realtime pair is bound the same way (runc 1.1.15's SetRtSched).
        if let p = c.period {
            try t.write("cpu.cfs_period_us", String(decimal: p), field: "cpu.period", retryAfterNext: c.quota != nil)
        }
        if let q = c.quota { try t.write("cpu.cfs_quota_us", String(decimal: q), field: "cpu.quota") }
        if let b = c.burst { try t.write("cpu.cfs_burst_us", String(decimal: b), field: "cpu.burst") }
        if let p = c.realtimePeriod {
            try t.write("cpu.rt_period_us", String(decimal: p), field: "cpu.realtimePeriod", retryAfterNext: c.realtimeRuntime != nil)
        }
        if let r = c.realtimeRuntime { try t.write("cpu.rt_runtime_us", String(decimal: r), field: "cpu.realtimeRuntime") }
        if let i = c.idle { try t.write("cpu.idle", String(decimal: i), field: "cpu.idle") }
    }

    static func blockIO(_ b: Resources.BlockIO, _ t: ResourceWriter.Target) throws {
        // Without CFQ the weight lives in BFQ's file, on the same 10-1000 scale.
        let weightFile = t.has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight"
        func needWeight(_ field: String) throws {
            if !t.has(weightFile) {
                throw SpecError(t.writer.path(field), "this kernel has no proportional block I/O weight (neither blkio.weight nor blkio.bfq.weight: no CFQ or BFQ scheduler)")
            }
        }
        // CFQ's weights run 10-1000, BFQ's 1-1000; the kernel refuses others.
        let lowest: UInt16 = weightFile == "blkio.weight" ? 10 : 1
        func inRange(_ w: UInt16, _ field: String) throws {
            guard (lowest...1000).contains(w) else {
                throw SpecError(t.writer.path(field), "\(w) is outside \(weightFile)'s range \(lowest)-1000")
            }
        }
        if let w = b.weight {
            try needWeight("blockIO.weight")
            try inRange(w, "blockIO.weight")
            try t.write(weightFile, String(decimal: w), field: "blockIO.weight")
        }
        if let w = b.leafWeight {
            guard t.has("blkio.leaf_weight") else {
                throw SpecError(t.writer.path("blockIO.leafWeight"), "this kernel has no blkio.leaf_weight (removed with CFQ in Linux 5.0)")
            }
            try t.write("blkio.leaf_weight", String(decimal: w), field: "blockIO.leafWeight")
        }
        for (i, d) in b.weightDevice.enumerated() {
            let field = "blockIO.weightDevice[\(i)]"
            if let w = d.weight {
                try needWeight(field)
                try inRange(w, field + ".weight")
                // CFQ: blkio.weight_device. BFQ: blkio.bfq.weight_device, runc's
                // file; kernels before it take "MAJ:MIN W" in blkio.bfq.weight.
                let deviceFile = weightFile + "_device"
                try t.write(t.has(deviceFile) ? deviceFile : weightFile, "\(d.major):\(d.minor) \(w)", field: field + ".weight")
            }
            if let w = d.leafWeight {
                guard t.has("blkio.leaf_weight_device") else {
                    throw SpecError(t.writer.path(field + ".leafWeight"), "this kernel has no blkio.leaf_weight_device")
                }
                try t.write("blkio.leaf_weight_device", "\(d.major):\(d.minor) \(w)", field: field + ".leafWeight")
            }
        }
        let throttles: [(String, [Resources.ThrottleDevice], String)] = [
            ("throttleReadBpsDevice", b.throttleReadBpsDevice, "blkio.throttle.read_bps_device"),
            ("throttleWriteBpsDevice", b.throttleWriteBpsDevice, "blkio.throttle.write_bps_device"),
            ("throttleReadIOPSDevice", b.throttleReadIOPSDevice, "blkio.throttle.read_iops_device"),
            ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device"),
        ]
        for (name, devices, file) in throttles {
            for (i, d) in devices.enumerated() {
                try t.write(file, "\(d.major):\(d.minor) \(d.rate)", field: "blockIO.\(name)[\(i)]")
            }
        }
    }

    /// devices.deny/devices.allow, in order after denying everything: the
    /// kernel's v1 list then behaves like the spec's "last match wins".
    static func devices(_ rules: [Resources.DeviceRule], dir: String, field: String) throws {
        func write(_ file: String, _ value: String) throws {
            do { try Files.write(dir + "/" + file, value) } catch let e as SystemError {
                throw SpecError(field, "write \"\(value)\" to \(dir)/\(file): \(SystemError.describe(e.errno))")
            }
        }
        try write("devices.deny", "a")
        for r in rules { try write(r.allow ? "devices.allow" : "devices.deny", r.v1Text) }
    }
}
