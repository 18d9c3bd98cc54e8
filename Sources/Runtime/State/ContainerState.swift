// What hako remembers about a container between invocations, and the OCI
// state (runtime.md "State") that `state` prints.
import Glibc

public enum Status: String {
    case creating, created, running, stopped, paused
}

public struct ContainerState {
    public var id: String
    public var pid: Int32
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: [(String, String)]
    /// Start time of the init (field 22 of /proc/PID/stat): tells a live
    /// init from a new process that reused its pid.
    public var pidStartTime: UInt64
    /// Absolute cgroup directories, one per hierarchy.
    public var cgroups: [String]
    /// The cgroup path inside each hierarchy (linux.cgroupsPath resolved).
    public var cgroupPath: String
    /// Whether the container has its own pid namespace (then killing the
    /// init kills everything; otherwise every process in the cgroup must go).
    public var ownPidNamespace: Bool
    /// poststop hooks, kept because the bundle may be gone by `delete`.
    public var poststop: JSON
    /// The freezer file that says whether the container is paused.
    public var freezer: String?
    /// Whether config.json has a process: `start` refuses a container without one.
    public var hasProcess: Bool
    /// poststart hooks, run by `start`.
    public var poststart: JSON
    /// Without a mount namespace of its own, the container's mounts sit on
    /// a bind of the rootfs in hako's namespace, detached by `delete`
    /// (RootfsBind).
    public var rootfsBind: RootfsBind?
    /// Written while create's hooks run, so that they can see the container
    /// as "creating"; the state create leaves has it false.
    public var creating = false
    /// create's --no-new-keyring: the init kept the caller's session
    /// keyring, so an exec'd process joins none either (runc keeps it in
    /// its config).
    public var noNewKeyring = false
    /// The systemd unit holding the cgroup when create had --systemd-cgroup
    /// (runc records its driver too): later commands find it here, with or
    /// without the flag.
    public var systemdUnit: String?

    /// The container's cgroup, through its driver, as create recorded it;
    /// none when create made none (rootless).
    public var cgroup: any CgroupDriver {
        guard let systemdUnit else { return CgroupDrivers.recorded(path: cgroupPath, directories: cgroups, freezer: freezer) }
        return CgroupDrivers.recorded(unit: systemdUnit, path: cgroupPath, directories: cgroups, freezer: freezer)
    }

    public static let ociVersion = "1.2.0"

    /// The JSON runtime.md defines, in runc's field order.
    public func ociJSON(status: Status) -> JSON {
        var members: [(String, JSON)] = [
            ("ociVersion", .string(ContainerState.ociVersion)), ("id", .string(id)),
            ("pid", .int(status == .stopped ? 0 : pid)), ("status", .string(status.rawValue)),
            ("bundle", .string(bundle)), ("rootfs", .string(rootfs)), ("created", .string(created)),
            ("owner", .string(owner)),
        ]
        if !annotations.isEmpty { members.append(("annotations", .object(annotations.map { ($0.0, .string($0.1)) }))) }
        return .object(members)
    }

    func stored() -> JSON {
        .object([
            ("id", .string(id)), ("pid", .int(pid)), ("bundle", .string(bundle)), ("rootfs", .string(rootfs)),
            ("created", .string(created)), ("owner", .string(owner)),
            ("annotations", .object(annotations.map { ($0.0, .string($0.1)) })),
            ("pidStartTime", .int(pidStartTime)), ("cgroups", .array(cgroups.map { .string($0) })),
            ("cgroupPath", .string(cgroupPath)),
            ("ownPidNamespace", .bool(ownPidNamespace)), ("poststop", poststop),
            ("freezer", freezer.map { .string($0) } ?? .null), ("hasProcess", .bool(hasProcess)),
            ("poststart", poststart), ("rootfsBind", rootfsBind?.json ?? .null),
            ("creating", .bool(creating)), ("noNewKeyring", .bool(noNewKeyring)),
            ("systemdUnit", systemdUnit.map { .string($0) } ?? .null),
        ])
    }

    init(stored f: Field) throws {
        id = try f.required("id").string()
        pid = try f.required("pid").integer()
        bundle = try f.required("bundle").string()
        rootfs = try f.required("rootfs").string()
        created = try f.required("created").string()
        owner = try f.string("owner") ?? ""
        annotations = try f.stringMap("annotations")
        pidStartTime = try f.integer("pidStartTime") ?? 0
        cgroups = try f.strings("cgroups")
        cgroupPath = try f.string("cgroupPath") ?? "/hako/" + id
        ownPidNamespace = try f.bool("ownPidNamespace") ?? true
        poststop = try f.optional("poststop")?.json ?? .array([])
        freezer = try f.string("freezer")
        hasProcess = try f.bool("hasProcess") ?? true
        poststart = try f.optional("poststart")?.json ?? .array([])
        rootfsBind = try f.optional("rootfsBind").flatMap { $0.json == .null ? nil : try RootfsBind(stored: $0) }
        creating = try f.bool("creating") ?? false
        noNewKeyring = try f.bool("noNewKeyring") ?? false
        systemdUnit = try f.string("systemdUnit")
    }

    public init(id: String, pid: Int32, bundle: String, rootfs: String, annotations: [(String, String)],
                pidStartTime: UInt64, cgroups: [String], cgroupPath: String, ownPidNamespace: Bool, poststop: JSON, freezer: String?,
                hasProcess: Bool, poststart: JSON, rootfsBind: RootfsBind?, created: String, owner: String,
                systemdUnit: String? = nil) {
        self.id = id
        self.pid = pid
        self.bundle = bundle
        self.rootfs = rootfs
        self.created = created
        self.owner = owner
        self.annotations = annotations
        self.pidStartTime = pidStartTime
        self.cgroups = cgroups
        self.cgroupPath = cgroupPath
        self.ownPidNamespace = ownPidNamespace
        self.poststop = poststop
        self.freezer = freezer
        self.hasProcess = hasProcess
        self.poststart = poststart
        self.rootfsBind = rootfsBind
        self.systemdUnit = systemdUnit
    }

    static func userName(_ uid: uid_t) -> String { (try? Credentials.passwdField(0, of: uid)) ?? String(decimal: uid) }
}

/// What /proc says about a process: whether it lives, and since when.
public struct ProcessInfo {
    public let state: Character
    public let startTime: UInt64
    public let processGroup: Int32
    public let parentPid: Int32

    public init?(pid: Int32) {
        guard pid > 0, let text = Files.readText("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name, which may itself contain spaces and parens.
        let rest = text[text.index(after: close)...].split(byte: UInt8(ascii: " "))
        guard rest.count > 19, let st = rest[0].first, let t = UInt64(rest[19]) else { return nil }
        state = st
        startTime = t
        processGroup = Int32(rest[2]) ?? 0
        parentPid = Int32(rest[1]) ?? 0
        pendingSignals = rest.count > 28 ? UInt64(rest[28]) ?? 0 : 0
    }

    /// The thread's pending signals (stat field 31); a SIGKILL sent to the
    /// process shows here until it exits.
    public let pendingSignals: UInt64

    public var isAlive: Bool { state != "Z" && state != "X" }
    /// Exited, or killed and on its way out.
    public var isDying: Bool { !isAlive || pendingSignals & (1 << (UInt64(SIGKILL) - 1)) != 0 }
}
