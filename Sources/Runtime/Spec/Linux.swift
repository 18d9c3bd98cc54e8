// config-linux.md: the Linux-specific section of the configuration.
import CNamespaces

public enum NamespaceType: String, CaseIterable {
    case pid, network, mount, ipc, uts, user, cgroup, time

    /// The CLONE_NEW* flag.
    public var cloneFlag: Int32 {
        switch self {
        case .pid: return HK_CLONE_NEWPID
        case .network: return HK_CLONE_NEWNET
        case .mount: return HK_CLONE_NEWNS
        case .ipc: return HK_CLONE_NEWIPC
        case .uts: return HK_CLONE_NEWUTS
        case .user: return HK_CLONE_NEWUSER
        case .cgroup: return HK_CLONE_NEWCGROUP
        case .time: return HK_CLONE_NEWTIME
        }
    }

    /// Every type, user first: joining a user namespace gives the
    /// capabilities that joining those it owns needs.
    static let joinOrder: [NamespaceType] = [.user] + allCases.filter { $0 != .user }

    /// The name under /proc/PID/ns/.
    public var procName: String {
        switch self {
        case .network: return "net"
        case .mount: return "mnt"
        default: return rawValue
        }
    }
}

public struct Namespace {
    public var type: NamespaceType
    /// nil: create a new one; otherwise join the namespace at this path.
    public var path: String?
}

public struct IDMapping {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(_ f: Field) throws {
        containerID = try f.required("containerID").integer()
        hostID = try f.required("hostID").integer()
        size = try f.required("size").integer()
        if size == 0 { throw SpecError(f.childPath("size"), "must be > 0") }
        if UInt64(containerID) + UInt64(size) > 1 << 32 || UInt64(hostID) + UInt64(size) > 1 << 32 {
            throw f.error("range exceeds the 32-bit id space")
        }
    }
}

public struct Device {
    public var path: String
    public var type: String
    public var major: Int64
    public var minor: Int64
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(_ f: Field) throws {
        let p = try f.required("path")
        path = try p.string()
        if !path.hasBytePrefix("/") { throw p.error("must be an absolute path, not \"\(path)\"") }
        let t = try f.required("type")
        type = try t.string()
        guard ["c", "b", "u", "p"].contains(type) else { throw t.error("unknown device type \"\(type)\"") }
        // dev_t halves are 32 bits: a wider value would be cut to another device.
        major = try f.optional("major").map(Device.number) ?? 0
        minor = try f.optional("minor").map(Device.number) ?? 0
        if type != "p", try f.optional("major") == nil || f.optional("minor") == nil {
            throw f.error("major and minor are required for device type \"\(type)\"")
        }
        fileMode = try f.integer("fileMode")
        uid = try f.integer("uid")
        gid = try f.integer("gid")
    }

    static func number(_ f: Field) throws -> Int64 { Int64(try f.integer(UInt32.self)) }
}

/// linux.memoryPolicy, as set_mempolicy(2) takes it.
public struct MemoryPolicy {
    /// MPOL_* mode with its MPOL_F_* flags.
    public var mode: Int32
    /// Node bitmap, one bit per node.
    public var nodes: [UInt8]
}

public struct Linux {
    public var namespaces: [Namespace]
    public var uidMappings: [IDMapping]
    public var gidMappings: [IDMapping]
    public var timeOffsets: [(clock: String, secs: Int64, nanosecs: UInt32)]
    public var devices: [Device]
    public var cgroupsPath: String?
    public var resources: Resources?
    public var rootfsPropagation: String?
    public var seccomp: Seccomp?
    public var sysctl: [(String, String)]
    public var maskedPaths: [String]
    public var readonlyPaths: [String]
    public var mountLabel: String?
    public var personality: (domain: String, flags: [String])?
    public var intelRdt: JSON?
    public var memoryPolicy: MemoryPolicy?
    public var netDevices: [(String, String?)]

    public init(_ f: Field) throws {
        var seen: Set<String> = []
        namespaces = try f.list("namespaces") { n in
            let t = try n.required("type")
            let name = try t.string()
            guard let type = NamespaceType(rawValue: name) else { throw t.error("unknown namespace type \"\(name)\"") }
            if !seen.insert(name).inserted { throw t.error("duplicate namespace \"\(name)\"") }
            // runc reads "path": "" as no path: a new namespace.
            let path = try n.string("path").flatMap { $0.isEmpty ? nil : $0 }
            if let p = path, !p.hasBytePrefix("/") { throw SpecError(n.childPath("path"), "must be an absolute path") }
            return Namespace(type: type, path: path)
        }
        uidMappings = try f.list("uidMappings", IDMapping.init)
        gidMappings = try f.list("gidMappings", IDMapping.init)
        try Linux.checkOverlaps(uidMappings, f.childPath("uidMappings"))
        try Linux.checkOverlaps(gidMappings, f.childPath("gidMappings"))
        timeOffsets = try f.optional("timeOffsets")?.members().map { (clock, o) in
            guard clock == "monotonic" || clock == "boottime" else { throw o.error("unknown clock \"\(clock)\"") }
            return (clock, try o.integer("secs") ?? 0, try o.integer("nanosecs") ?? 0)
        } ?? []
        devices = try f.list("devices", Device.init)
        cgroupsPath = try f.pathString("cgroupsPath")
        resources = try f.optional("resources").map(Resources.init)
        rootfsPropagation = try f.string("rootfsPropagation")
        if let p = rootfsPropagation, MountOptions.propagation[p] == nil {
            throw SpecError(f.childPath("rootfsPropagation"), "unknown propagation \"\(p)\"")
        }
        seccomp = try f.optional("seccomp").map(Seccomp.init)
        sysctl = try f.stringMap("sysctl")
        maskedPaths = try f.strings("maskedPaths")
        readonlyPaths = try f.strings("readonlyPaths")
        // config-linux.md: "The values MUST be absolute paths in the container namespace."
        for (key, paths) in [("maskedPaths", maskedPaths), ("readonlyPaths", readonlyPaths)] {
            for (k, p) in paths.enumerated() where !p.hasBytePrefix("/") {
                throw SpecError(f.childPath(key) + "[\(k)]", "must be an absolute path, not \"\(p)\"")
            }
        }
        mountLabel = try f.string("mountLabel")
        personality = try f.optional("personality").map { p in
            let d = try p.required("domain")
            let domain = try d.string()
            if ProcessSettings.personalities[domain] == nil { throw d.error("unknown domain \"\(domain)\"") }
            // runtime-spec: "Currently no flag values are supported."
            let flags = try p.strings("flags")
            if let first = flags.first { throw SpecError(p.childPath("flags") + "[0]", "unknown flag \"\(first)\"") }
            return (domain, flags)
        }
        intelRdt = try f.optional("intelRdt")?.json
        memoryPolicy = try f.optional("memoryPolicy").map { m in
            let modeField = try m.required("mode")
            let mode = try modeField.string()
            guard let modeValue = ProcessSettings.memoryModes[mode] else { throw modeField.error("unknown mode \"\(mode)\"") }
            var policy = MemoryPolicy(mode: modeValue, nodes: [])
            // "" is no nodes, as runc reads it: what MPOL_DEFAULT and MPOL_LOCAL take.
            if let nodes = try m.string("nodes"), !nodes.isEmpty {
                guard let bits = ProcessSettings.bitmap(nodes) else { throw SpecError(m.childPath("nodes"), "\"\(nodes)\" is not a node list like 0-3") }
                policy.nodes = bits
            }
            // set_mempolicy(2): these two modes take an empty nodemask; the
            // kernel's EINVAL would not say which field is wrong.
            if (mode == "MPOL_DEFAULT" || mode == "MPOL_LOCAL"), policy.nodes.contains(where: { $0 != 0 }) {
                throw SpecError(m.childPath("nodes"), "\(mode) takes no nodes")
            }
            for (k, flag) in try m.strings("flags").enumerated() {
                guard let v = ProcessSettings.memoryFlags[flag] else { throw SpecError(m.childPath("flags") + "[\(k)]", "unknown flag \"\(flag)\"") }
                policy.mode |= v
            }
            return policy
        }
        netDevices = try f.optional("netDevices")?.members().map { ($0.0, try $0.1.string("name")) } ?? []
        if !uidMappings.isEmpty || !gidMappings.isEmpty, !namespaces.contains(where: { $0.type == .user }) {
            throw SpecError(f.childPath(uidMappings.isEmpty ? "gidMappings" : "uidMappings"), "needs a user namespace in linux.namespaces")
        }
    }

    static func checkOverlaps(_ maps: [IDMapping], _ path: String) throws {
        for (a, x) in maps.enumerated() {
            for (b, y) in maps.enumerated() where b > a {
                func overlap(_ s1: UInt32, _ s2: UInt32) -> Bool {
                    UInt64(s1) < UInt64(s2) + UInt64(y.size) && UInt64(s2) < UInt64(s1) + UInt64(x.size)
                }
                if overlap(x.containerID, y.containerID) || overlap(x.hostID, y.hostID) {
                    throw SpecError("\(path)[\(b)]", "overlaps \(path)[\(a)]")
                }
            }
        }
    }

    public func namespace(_ type: NamespaceType) -> Namespace? { namespaces.first { $0.type == type } }
}
