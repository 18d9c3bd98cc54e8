// config-linux.md "Control groups": linux.resources. Written to cgroup files
// by Cgroups/; here only mapped and range-checked.

public struct Resources {
    public struct DeviceRule {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?
        /// Letters of the config's access other than r, w and m, left out
        /// of `access` as runc leaves them out; create warns about them.
        public var ignoredAccess = ""
    }
    public struct Memory {
        public var limit: Int64?, reservation: Int64?, swap: Int64?, kernel: Int64?, kernelTCP: Int64?
        public var swappiness: UInt64?
        public var disableOOMKiller: Bool?, useHierarchy: Bool?, checkBeforeUpdate: Bool?
        var isEmpty: Bool {
            limit == nil && reservation == nil && swap == nil && kernel == nil && kernelTCP == nil
                && swappiness == nil && disableOOMKiller == nil && useHierarchy == nil
        }
    }
    public struct CPU {
        public var shares: UInt64?, quota: Int64?, burst: UInt64?, period: UInt64?
        public var realtimeRuntime: Int64?, realtimePeriod: UInt64?
        public var cpus: String?, mems: String?
        public var idle: Int64?
        var isEmpty: Bool {
            shares == nil && quota == nil && burst == nil && period == nil && realtimeRuntime == nil
                && realtimePeriod == nil && cpus == nil && mems == nil && idle == nil
        }
    }
    public struct WeightDevice { public var major: Int64, minor: Int64; public var weight: UInt16?, leafWeight: UInt16? }
    public struct ThrottleDevice { public var major: Int64, minor: Int64, rate: UInt64 }
    public struct BlockIO {
        public var weight: UInt16?, leafWeight: UInt16?
        public var weightDevice: [WeightDevice] = []
        public var throttleReadBpsDevice: [ThrottleDevice] = [], throttleWriteBpsDevice: [ThrottleDevice] = []
        public var throttleReadIOPSDevice: [ThrottleDevice] = [], throttleWriteIOPSDevice: [ThrottleDevice] = []
        var isEmpty: Bool {
            weight == nil && leafWeight == nil && weightDevice.isEmpty && throttleReadBpsDevice.isEmpty
                && throttleWriteBpsDevice.isEmpty && throttleReadIOPSDevice.isEmpty && throttleWriteIOPSDevice.isEmpty
        }
    }
    public struct HugepageLimit { public var pageSize: String, limit: UInt64 }
    public struct Network { public var classID: UInt32?; public var priorities: [(name: String, priority: UInt32)] }
    public struct Rdma { public var hcaHandles: UInt32?, hcaObjects: UInt32? }

    public var devices: [DeviceRule]
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Int64?
    public var blockIO: BlockIO?
    public var hugepageLimits: [HugepageLimit]
    public var network: Network?
    public var rdma: [(String, Rdma)]
    public var unified: [(String, String)]

    /// Whether anything beyond device rules is set: what a rootless
    /// container without a cgroup cannot honour (its devices are the
    /// user namespace's to refuse anyway).
    public var hasLimits: Bool {
        memory != nil || cpu != nil || pids != nil || blockIO != nil || !hugepageLimits.isEmpty
            || network != nil || !rdma.isEmpty || !unified.isEmpty
    }

    public init(_ f: Field) throws {
        devices = try f.list("devices") { d in
            let type = try d.string("type")
            if let t = type, !["a", "b", "c"].contains(t) {
                throw SpecError(d.childPath("type"), "unknown device type \"\(t)\"")
            }
            // runc reads only r, w and m and skips other letters ("rwa"
            // is "rw"), which engines' configs rely on; nothing of those
            // three is still a mistake.
            var access = try d.string("access")
            let ignored = access.map { String($0.filter { !"rwm".contains($0) }) } ?? ""
            if let a = access, !ignored.isEmpty {
                access = String(a.filter { "rwm".contains($0) })
                if access!.isEmpty { throw SpecError(d.childPath("access"), "\"\(a)\" has none of r, w and m") }
            }
            // -1 is "any"; beyond that, the 32 bits the kernel compares (a
            // wider value cut down would allow some other device).
            func number(_ key: String) throws -> Int64? {
                guard let n = try d.optional(key) else { return nil }
                let v: Int64 = try n.integer()
                if v < -1 || v > Int64(UInt32.max) { throw n.error("\(v) is out of range (-1 for any, or 0...4294967295)") }
                return v
            }
            return DeviceRule(allow: try d.required("allow").bool(), type: type,
                              major: try number("major"), minor: try number("minor"), access: access, ignoredAccess: ignored)
        }
        memory = try f.optional("memory").map { m in
            Memory(limit: try m.integer("limit"), reservation: try m.integer("reservation"),
                   swap: try m.integer("swap"), kernel: try m.integer("kernel"),
                   kernelTCP: try m.integer("kernelTCP"), swappiness: try Resources.swappiness(m),
                   disableOOMKiller: try m.bool("disableOOMKiller"), useHierarchy: try m.bool("useHierarchy"),
                   checkBeforeUpdate: try m.bool("checkBeforeUpdate"))
        }
        cpu = try f.optional("cpu").map { c in
            CPU(shares: try c.integer("shares"), quota: try c.integer("quota"), burst: try c.integer("burst"),
                period: try c.integer("period"), realtimeRuntime: try c.integer("realtimeRuntime"),
                realtimePeriod: try c.integer("realtimePeriod"), cpus: try c.string("cpus"),
                mems: try c.string("mems"), idle: try c.integer("idle"))
        }
        if let p = try f.optional("pids") { pids = try p.required("limit").integer() }
        blockIO = try f.optional("blockIO").map { b in
            func throttle(_ key: String) throws -> [ThrottleDevice] {
                try b.list(key) { ThrottleDevice(major: try $0.required("major").integer(),
                                                 minor: try $0.required("minor").integer(),
                                                 rate: try $0.required("rate").integer()) }
            }
            return BlockIO(
                weight: try b.integer("weight"), leafWeight: try b.integer("leafWeight"),
                weightDevice: try b.list("weightDevice") {
                    WeightDevice(major: try $0.required("major").integer(), minor: try $0.required("minor").integer(),
                                 weight: try $0.integer("weight"), leafWeight: try $0.integer("leafWeight"))
                },
                throttleReadBpsDevice: try throttle("throttleReadBpsDevice"),
                throttleWriteBpsDevice: try throttle("throttleWriteBpsDevice"),
                throttleReadIOPSDevice: try throttle("throttleReadIOPSDevice"),
                throttleWriteIOPSDevice: try throttle("throttleWriteIOPSDevice"))
        }
        hugepageLimits = try f.list("hugepageLimits") {
            HugepageLimit(pageSize: try $0.required("pageSize").string(), limit: try $0.required("limit").integer())
        }
        network = try f.optional("network").map { n in
            Network(classID: try n.integer("classID"), priorities: try n.list("priorities") {
                (try $0.required("name").string(), try $0.required("priority").integer())
            })
        }
        rdma = try f.optional("rdma")?.members().map {
            ($0.0, Rdma(hcaHandles: try $0.1.integer("hcaHandles"), hcaObjects: try $0.1.integer("hcaObjects")))
        } ?? []
        unified = try f.stringMap("unified")
        for (key, _) in unified { try Resources.checkUnifiedKey(key, at: f.childPath("unified") + ".") }
        dropUnset()
    }

    /// A linux.resources.unified key must name a file of the container's
    /// own cgroup directory, judged in bytes: a NUL would end the name at
    /// open(2), "cgroup.procs\u0000" naming cgroup.procs. And it may not be
    /// one of the files that move processes into the cgroup or kill all in
    /// it: a host pid written to cgroup.procs would join the container and
    /// die with its delete. The container's processes are hako's to place.
    static func checkUnifiedKey(_ key: String, at prefix: String) throws {
        let plain = !key.isEmpty && key.utf8.first != 0x2E && key.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x5F || b == 0x2D
        }
        if !plain {
            // A key with control bytes is named in the reason, escaped as
            // Swift writes a string literal, and the error points at the map:
            // a path is matched against the tree's keys byte for byte
            // (`hako check` cuts by it), so it cannot hold the escaped form.
            if key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw SpecError(String(prefix.dropLast()), "key \(key.debugDescription) is not a cgroup file name")
            }
            throw SpecError(prefix + key, "is not a cgroup file name")
        }
        if ["cgroup.procs", "cgroup.threads", "cgroup.kill"].contains(key) {
            throw SpecError(prefix + key, "moves or kills processes, which only the runtime may do")
        }
    }

    /// runc reads a zero as "not set" in most of these fields, and engines
    /// rely on it: Docker 20.10 sends `blockIO.weight: 0` and `cpu.shares: 0`
    /// for every container. Writing them would fail (blkio.bfq.weight takes
    /// 1-1000) or quietly give the lowest priority (the kernel turns shares 0
    /// into 2). Done once here, so create, update and check read the same.
    /// Zero stays meaningful where runc writes it: cpu.burst and cpu.idle,
    /// throttle rates (0 lifts the limit), swappiness, hugepage limits.
    mutating func dropUnset() {
        func nz<T: FixedWidthInteger>(_ v: T?) -> T? { v == 0 ? nil : v }
        if var m = memory {
            m.limit = nz(m.limit); m.reservation = nz(m.reservation); m.swap = nz(m.swap)
            m.kernel = nz(m.kernel); m.kernelTCP = nz(m.kernelTCP)
            if m.disableOOMKiller == false { m.disableOOMKiller = nil }
            memory = m.isEmpty ? nil : m
        }
        if var c = cpu {
            c.shares = nz(c.shares); c.quota = nz(c.quota); c.period = nz(c.period)
            c.realtimeRuntime = nz(c.realtimeRuntime); c.realtimePeriod = nz(c.realtimePeriod)
            if c.cpus == "" { c.cpus = nil }
            if c.mems == "" { c.mems = nil }
            cpu = c.isEmpty ? nil : c
        }
        // runc: a pids limit of 0 is not written; below 0 is "max".
        if pids == 0 { pids = nil }
        if var b = blockIO {
            b.weight = nz(b.weight); b.leafWeight = nz(b.leafWeight)
            b.weightDevice = b.weightDevice.compactMap { d in
                var d = d
                d.weight = nz(d.weight); d.leafWeight = nz(d.leafWeight)
                return d.weight == nil && d.leafWeight == nil ? nil : d
            }
            blockIO = b.isEmpty ? nil : b
        }
        if var n = network {
            n.classID = nz(n.classID)
            network = n.classID == nil && n.priorities.isEmpty ? nil : n
        }
    }

    static func swappiness(_ m: Field) throws -> UInt64? {
        guard let s = try m.optional("swappiness") else { return nil }
        // runc: -1 (or its uint64 image, which Go engines send) is "not set".
        if case let .number(text) = s.json, text == "-1" || text == String(UInt64.max) { return nil }
        let v: UInt64 = try s.integer()
        if v > 100 { throw s.error("\(v) is above 100") }
        return v
    }
}
