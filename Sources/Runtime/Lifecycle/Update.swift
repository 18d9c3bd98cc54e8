// update: changes a live container's resources. Engines send a
// LinuxResources object (`--resources FILE`, "-" for stdin; podman and
// containerd both do); people use runc's flags, which override the file.
import Glibc

/// runc's `update` flags, each naming where it goes in linux.resources.
public enum UpdateFlag: CaseIterable {
    case memory, memorySwap, memoryReservation, kernelMemory, kernelMemoryTCP
    case cpuShares, cpuQuota, cpuPeriod, cpuRtPeriod, cpuRtRuntime, cpusetCpus, cpusetMems, cpuBurst, cpuIdle
    case pidsLimit, blkioWeight

    /// Names also accepted for the flag.
    public var otherNames: [String] { self == .cpuShares ? ["cpu-shares"] : [] }

    public var name: String {
        switch self {
        case .memory: return "memory"
        case .memorySwap: return "memory-swap"
        case .memoryReservation: return "memory-reservation"
        case .kernelMemory: return "kernel-memory"
        case .kernelMemoryTCP: return "kernel-memory-tcp"
        case .cpuShares: return "cpu-share" // runc's name; "cpu-shares" is taken too (otherNames)
        case .cpuQuota: return "cpu-quota"
        case .cpuPeriod: return "cpu-period"
        case .cpuRtPeriod: return "cpu-rt-period"
        case .cpuRtRuntime: return "cpu-rt-runtime"
        case .cpusetCpus: return "cpuset-cpus"
        case .cpusetMems: return "cpuset-mems"
        case .cpuBurst: return "cpu-burst"
        case .cpuIdle: return "cpu-idle"
        case .pidsLimit: return "pids-limit"
        case .blkioWeight: return "blkio-weight"
        }
    }

    /// (object, member) in linux.resources.
    var place: (String, String) {
        switch self {
        case .memory: return ("memory", "limit")
        case .memorySwap: return ("memory", "swap")
        case .memoryReservation: return ("memory", "reservation")
        case .kernelMemory: return ("memory", "kernel")
        case .kernelMemoryTCP: return ("memory", "kernelTCP")
        case .cpuShares: return ("cpu", "shares")
        case .cpuQuota: return ("cpu", "quota")
        case .cpuPeriod: return ("cpu", "period")
        case .cpuRtPeriod: return ("cpu", "realtimePeriod")
        case .cpuRtRuntime: return ("cpu", "realtimeRuntime")
        case .cpusetCpus: return ("cpu", "cpus")
        case .cpusetMems: return ("cpu", "mems")
        case .cpuBurst: return ("cpu", "burst")
        case .cpuIdle: return ("cpu", "idle")
        case .pidsLimit: return ("pids", "limit")
        case .blkioWeight: return ("blockIO", "weight")
        }
    }

    var isSize: Bool { [.memory, .memorySwap, .memoryReservation, .kernelMemory, .kernelMemoryTCP].contains(self) }

    /// The flag's value as JSON: sizes accept runc's suffixes (k, m, g, t,
    /// optionally followed by b) and -1 for unlimited.
    func value(_ text: String) throws -> JSON {
        if self == .cpusetCpus || self == .cpusetMems { return .string(text) }
        if isSize, let bytes = UpdateFlag.bytes(text) { return .int(bytes) }
        guard let n = Int64(text) else { throw RuntimeError("invalid value \"\(text)\" for --\(name)") }
        return .int(n)
    }

    static func bytes(_ text: String) -> Int64? {
        if text == "-1" { return -1 }
        var t = text.lowercased()
        if t.hasByteSuffix("b") { t.removeLast() }
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var mult: Int64 = 1
        if let last = t.last, let m = units[last] { mult = m; t = String(t.dropLast()) }
        guard let n = Int64(t), n >= 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: mult)
        return overflow ? nil : v
    }
}

extension Runtime {
    /// The LinuxResources document a file and flags make, and what it says.
    public static func updateResources(file: JSON?, flags: [(UpdateFlag, String)]) throws -> (Resources, JSON) {
        var json = file ?? .object([])
        guard case .object = json else { throw SpecError("resources", "must be an object, not \(json.typeName)") }
        for (flag, text) in flags {
            let (object, member) = flag.place
            var inner = json[object] ?? .object([])
            inner.set(member, try flag.value(text))
            json.set(object, inner)
        }
        return (try Resources(Field(json, path: "")), json)
    }

    /// `source` names the document in errors ("--resources FILE", "flags").
    public func update(id: String, resources: Resources, document: JSON, source: String) throws {
        let dir = try store.openLocked(id: id)
        defer { dir.unlock() }
        let s = try dir.read()
        let st = status(of: s, in: dir)
        if st == .stopped { throw RuntimeError("cannot update container \"\(id)\": it is stopped") }
        do {
            // All or nothing (CgroupDriver.update).
            try s.cgroup.update(resources, logger: logger)
            // Device rules are fixed at create, as on runc, whose update
            // ignores them. Re-applying them here lost the rules of the
            // config's linux.devices, and on v1 (deny all, then allow each)
            // briefly cut a running container off its own /dev/null.
            if !resources.devices.isEmpty {
                logger.warn("devices: ignored: device rules are set at create and update leaves them, as runc does")
            }
        } catch let e as SpecError {
            throw SpecError(e.path, e.reason, document: source)
        }
        keepUpdated(document, in: dir)
    }

    /// The kept config.json (exec's copy, and what a restore would bring
    /// back) takes the new values, member by member, as runc's update
    /// rewrites its own config; left stale, it would undo the update.
    /// Device rules stay as create set them, as in the cgroup.
    func keepUpdated(_ document: JSON, in dir: ContainerDir) {
        do {
            var config = try JSON.parse(try Files.read("config.json", at: dir.fd))
            var linux = config["linux"] ?? .object([])
            var update = document
            update.set("devices", nil)
            linux.set("resources", (linux["resources"] ?? .object([])).merging(update))
            config.set("linux", linux)
            try dir.keepConfig(Array(config.serialized().utf8))
        } catch {
            logger.warn("the container's resources changed, but its kept config.json still has the old values: \(error)")
        }
    }
}

extension JSON {
    /// `other`'s members over these, objects merged member by member,
    /// anything else replaced.
    func merging(_ other: JSON) -> JSON {
        guard case .object = self, case .object(let members) = other else { return other }
        var merged = self
        for (key, value) in members { merged.set(key, (self[key] ?? .null).merging(value)) }
        return merged
    }
}
