// linux.resources as the properties of a systemd unit
// (systemd.resource-control(5)), as runc's systemd v2 manager sends them
// (genV2ResourcesProperties, unifiedResToSystemdProps). systemd keeps them
// and writes them into the scope's cgroup again at every daemon-reload:
// a limit hako wrote only in the files would be reset to the unit's
// default then. Everything systemd has no property for stays a file write.
//
// Each conversion is checked here, before the unit starts: a value systemd
// would refuse, or one that would overflow, is an error naming its field,
// not a D-Bus error after the fact.

enum UnitProperties {
    /// systemd's "infinity" (USEC_INFINITY, CGROUP_LIMIT_MAX).
    static let infinity = UInt64.max
    /// The CFS period the kernel and systemd assume when none is given (µs).
    static let defaultPeriod: UInt64 = 100_000
    /// CPUWeight's range (CGROUP_WEIGHT_MIN...MAX).
    static let weights: ClosedRange<UInt64> = 1...10_000
    /// The highest CPU or memory node a cpuset may name here: the kernel's
    /// largest NR_CPUS is 8192; this bounds the mask hako builds.
    static let maxCPU = 65_535

    /// The quota and period of a cgroup's cpu.max (quota -1: "max").
    typealias CPUMax = (quota: Int64, period: UInt64)

    /// The properties for `r`; field paths in errors start with `prefix`
    /// ("linux.resources" at create, "" for update). `current` is the
    /// cpu.max in force, for update: a quota given without a period keeps
    /// the period, and a period without a quota keeps the quota.
    static func of(_ r: Resources?, prefix: String, current: CPUMax? = nil) throws -> [DBusValue] {
        guard let r else { return [] }
        let field = Field(prefix: prefix)
        var out: [(String, DBusValue)] = []
        if let m = r.memory { out += try memory(m, field) }
        if let c = r.cpu { out += try cpu(c.filled(from: current), field) }
        if let p = r.pids, p != 0 { out.append(("TasksMax", .uint64(amount(p)))) }
        out += try unified(r.unified, field)
        return out.map { SystemdManager.limit($0.0, $0.1) }
    }

    /// Resources with the CPU quota systemd will really set: CPUQuotaPerSecUSec
    /// is rounded up to whole percents, and the files must say the same
    /// (runc writes its rounded quota too).
    static func rounded(_ r: Resources?, current: CPUMax? = nil) -> Resources? {
        guard var r, let c = r.cpu?.filled(from: current), let q = c.quota, q > 0,
              let quota = try? cpuQuota(quota: q, period: c.period, field: Field(prefix: "")).quota else { return r }
        r.cpu?.quota = quota
        return r
    }

    /// A negative amount is no limit.
    static func amount(_ v: Int64) -> UInt64 { v < 0 ? infinity : UInt64(v) }

    /// A field path under the prefix, as SpecError names it.
    struct Field {
        let prefix: String
        func callAsFunction(_ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
    }
}

// MARK: memory

extension UnitProperties {
    static func memory(_ m: Resources.Memory, _ field: Field) throws -> [(String, DBusValue)] {
        var out: [(String, DBusValue)] = []
        if let l = m.limit, l != 0 { out.append(("MemoryMax", .uint64(amount(l)))) }
        if let r = m.reservation, r != 0 { out.append(("MemoryLow", .uint64(amount(r)))) }
        if let s = try swapMax(swap: m.swap, memory: m.limit, field) { out.append(("MemorySwapMax", .uint64(s))) }
        return out
    }

    /// memory.swap is memory+swap (v1's memsw); MemorySwapMax is swap
    /// alone: the memory limit is taken off, as runc's
    /// ConvertMemorySwapToCgroupV2Value does. nil: nothing to set.
    static func swapMax(swap: Int64?, memory: Int64?, _ field: Field) throws -> UInt64? {
        guard let s = swap, s != 0 else {
            // An unlimited memory without a swap: swap is unlimited too.
            return memory == -1 ? infinity : nil
        }
        if s < 0 { return infinity }
        guard let l = memory, l != 0 else {
            throw SpecError(field("memory.swap"), "needs memory.limit on cgroup v2 (swap is memory+swap)")
        }
        if l < 0 { return UInt64(s) }
        guard s >= l else { throw SpecError(field("memory.swap"), "\(s) is below memory.limit \(l) (swap is memory+swap)") }
        return UInt64(s - l)
    }
}

// MARK: cpu

extension UnitProperties {
    static func cpu(_ c: Resources.CPU, _ field: Field) throws -> [(String, DBusValue)] {
        var out: [(String, DBusValue)] = []
        if let s = c.shares, s != 0 {
            let w = V2.weight(shares: s)
            guard weights.contains(w) else {
                throw SpecError(field("cpu.shares"), "\(s) is cpu.weight \(w), above 10000, the most systemd's CPUWeight takes")
            }
            out.append(("CPUWeight", .uint64(w)))
        }
        if c.quota != nil || c.period != nil {
            out += try cpuQuota(quota: c.quota ?? 0, period: c.period, field: field).properties
        }
        if let cpus = c.cpus, !cpus.isEmpty {
            out.append(("AllowedCPUs", bytes(try bits(cpus, field: field("cpu.cpus")))))
        }
        if let mems = c.mems, !mems.isEmpty {
            out.append(("AllowedMemoryNodes", bytes(try bits(mems, field: field("cpu.mems")))))
        }
        return out
    }

    /// runc's addCpuQuota: CPUQuotaPeriodUSec when a period is given, and
    /// CPUQuotaPerSecUSec, the quota per second of CPU time (no quota, or
    /// a non-positive one, with a period: infinity). systemd keeps the
    /// quota as whole percents of a CPU, so a quota between them is
    /// rounded up to the next 10 ms per second; `quota` is the cfs quota
    /// that makes, for the files.
    static func cpuQuota(quota: Int64, period: UInt64?, field: Field) throws -> (properties: [(String, DBusValue)], quota: Int64) {
        var out: [(String, DBusValue)] = []
        if let period, period != 0 { out.append(("CPUQuotaPeriodUSec", .uint64(period))) }
        guard quota > 0 else {
            if quota != 0 || period ?? 0 != 0 { out.append(("CPUQuotaPerSecUSec", .uint64(infinity))) }
            return (out, quota)
        }
        let p = period.flatMap { $0 == 0 ? nil : $0 } ?? defaultPeriod
        let tooBig = SpecError(field("cpu.quota"), "\(quota) µs per \(p) µs is more CPU time than systemd can express")
        let (micros, over) = UInt64(quota).multipliedReportingOverflow(by: 1_000_000)
        guard !over else { throw tooBig }
        var perSec = micros / p
        guard perSec % 10_000 != 0 else {
            out.append(("CPUQuotaPerSecUSec", .uint64(perSec)))
            return (out, quota)
        }
        perSec = (perSec / 10_000 + 1) * 10_000
        let (scaled, over2) = perSec.multipliedReportingOverflow(by: p)
        guard !over2, scaled / 1_000_000 <= UInt64(Int64.max) else { throw tooBig }
        out.append(("CPUQuotaPerSecUSec", .uint64(perSec)))
        return (out, Int64(scaled / 1_000_000))
    }

    /// A byte array, as AllowedCPUs and AllowedMemoryNodes take it (ay).
    static func bytes(_ b: [UInt8]) -> DBusValue { .array(.byte, b.map { .byte($0) }) }

    /// runc's RangeToBits: a cpuset list ("0-2,7") as a bit mask, CPU n
    /// at bit n % 8 of byte n / 8, as systemd reads it. Spaces around
    /// elements and empty elements are allowed; an empty mask is not.
    static func bits(_ list: String, field: String) throws -> [UInt8] {
        var mask: [UInt8] = []
        for element in list.split(separator: ",", omittingEmptySubsequences: false) {
            let e = element.trimmingSpaces
            if e.isEmpty { continue }
            let ends = e.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let first = number(ends[0]), let last = ends.count == 2 ? number(ends[1]) : first else {
                throw SpecError(field, "\"\(list)\" is not a list of numbers and ranges such as 0-2,7")
            }
            guard first <= last else { throw SpecError(field, "\"\(e)\" is a range that ends before it starts") }
            guard last <= maxCPU else { throw SpecError(field, "\(last) is above \(maxCPU), the highest number hako accepts") }
            if mask.count <= last / 8 { mask += [UInt8](repeating: 0, count: last / 8 + 1 - mask.count) }
            for n in first...last { mask[n / 8] |= UInt8(1) << UInt8(n % 8) }
        }
        while mask.last == 0 { mask.removeLast() }
        guard !mask.isEmpty else { throw SpecError(field, "\"\(list)\" names no CPU or memory node") }
        return mask
    }

    /// A CPU number: digits only (no sign, no spaces inside a range).
    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), s.count <= 10 else { return nil }
        return Int(s)
    }
}

extension Resources.CPU {
    /// With the half of cpu.max it leaves out taken from `current`, when
    /// it gives the other half: systemd is always told both.
    func filled(from current: UnitProperties.CPUMax?) -> Self {
        guard let current, (quota == nil) != (period == nil) else { return self }
        var c = self
        if c.quota == nil { c.quota = current.quota }
        if c.period == nil { c.period = current.period }
        return c
    }
}

// MARK: unified

extension UnitProperties {
    /// The linux.resources.unified keys systemd has a property for, as
    /// runc's unifiedResToSystemdProps converts them; the rest are left to
    /// the files. Values may have spaces around them, as the kernel allows.
    static func unified(_ entries: [(String, String)], _ field: Field) throws -> [(String, DBusValue)] {
        var out: [(String, DBusValue)] = []
        for (key, raw) in entries {
            let value = raw.trimmingSpaces
            let path = field("unified.\(key)")
            func count(_ name: String, floor: UInt64 = 0) throws -> (String, DBusValue) {
                if value == "max" { return (name, .uint64(infinity)) }
                guard let n = UInt64(value) else { throw SpecError(path, "\"\(raw)\" is neither a number nor \"max\"") }
                return (name, .uint64(max(n, floor)))
            }
            switch key {
            case "cpu.max": out += try cpuMax(value, path: path)
            case "cpu.weight":
                guard let w = UInt64(value), weights.contains(w) else { throw SpecError(path, "\"\(raw)\" is not a weight from 1 to 10000") }
                out.append(("CPUWeight", .uint64(w)))
            case "cpuset.cpus": out.append(("AllowedCPUs", bytes(try bits(value, field: path))))
            case "cpuset.mems": out.append(("AllowedMemoryNodes", bytes(try bits(value, field: path))))
            case "memory.high": out.append(try count("MemoryHigh"))
            case "memory.low": out.append(try count("MemoryLow"))
            case "memory.min": out.append(try count("MemoryMin"))
            case "memory.max": out.append(try count("MemoryMax"))
            case "memory.swap.max": out.append(try count("MemorySwapMax"))
            // systemd refuses TasksMax=0; runc sends 1 instead.
            case "pids.max": out.append(try count("TasksMax", floor: 1))
            default: continue
            }
        }
        return out
    }

    /// cpu.max: "QUOTA [PERIOD]", QUOTA a number or "max".
    static func cpuMax(_ value: String, path: String) throws -> [(String, DBusValue)] {
        let words = value.split(separator: " ").filter { !$0.isEmpty }
        let bad = SpecError(path, "\"\(value)\" is not \"QUOTA [PERIOD]\" with QUOTA a number or \"max\"")
        guard (1...2).contains(words.count) else { throw bad }
        var quota: Int64 = 0
        if words[0] != "max" {
            guard let q = Int64(words[0]) else { throw bad }
            quota = q
        }
        var period = defaultPeriod
        if words.count == 2 {
            guard let p = UInt64(words[1]) else { throw bad }
            period = p
        }
        do {
            return try cpuQuota(quota: quota, period: period, field: Field(prefix: "")).properties
        } catch let e as SpecError {
            throw SpecError(path, e.reason)
        }
    }
}

extension StringProtocol {
    /// Without the spaces, tabs and newlines around it.
    var trimmingSpaces: String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let bytes = Array(utf8)
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
