// config.md "Process": what runs in the container and with which privileges.

public struct Process {
    public var terminal: Bool
    public var consoleSize: (height: UInt16, width: UInt16)?
    public var user: User
    public var args: [String]
    public var commandLine: String?
    public var env: [String]
    public var cwd: String
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]
    public var noNewPrivileges: Bool
    public var apparmorProfile: String?
    public var oomScoreAdj: Int32?
    public var scheduler: Scheduler?
    public var selinuxLabel: String?
    public var ioPriority: IOPriority?
    public var execCPUAffinity: (initial: String?, final: String?)?

    public struct User {
        public var uid: UInt32
        public var gid: UInt32
        public var umask: UInt32?
        public var additionalGids: [UInt32]
        public var username: String?

        /// (uid_t)-1 is no id: setresuid(2) and setgroups read it as "leave
        /// unchanged", so the process would keep the init's root.
        public static let noID = UInt32.max

        static func id(_ f: Field) throws -> UInt32 {
            let v: UInt32 = try f.integer()
            if v == noID { throw f.error("4294967295 is (uid_t)-1, which the kernel reads as \"no id\", not a user or group") }
            return v
        }
    }

    public struct Capabilities {
        public var bounding: CapabilitySet
        public var effective: CapabilitySet
        public var inheritable: CapabilitySet
        public var permitted: CapabilitySet
        public var ambient: CapabilitySet
    }

    public struct Rlimit {
        public var type: RlimitType
        public var soft: UInt64
        public var hard: UInt64
    }

    public struct Scheduler {
        public var policy: String
        public var nice: Int32
        public var priority: Int32
        public var flags: [String]
        public var runtime: UInt64
        public var deadline: UInt64
        public var period: UInt64
    }

    public struct IOPriority {
        public var ioClass: String
        public var priority: Int32
    }

    /// `userDefaultsToRoot`: for exec's --process FILE, whose process runc
    /// runs as 0:0 when it has no user (its Go struct's zero value);
    /// config.json's process must name one (config.md: REQUIRED on Linux).
    public init(_ f: Field, userDefaultsToRoot: Bool = false) throws {
        terminal = try f.bool("terminal") ?? false
        if let cs = try f.optional("consoleSize") {
            consoleSize = (try cs.required("height").integer(UInt16.self), try cs.required("width").integer(UInt16.self))
        }
        if userDefaultsToRoot, try f.optional("user") == nil {
            user = User(uid: 0, gid: 0, umask: nil, additionalGids: [], username: nil)
        } else {
            let u = try f.required("user")
            user = User(
                uid: try User.id(u.required("uid")), gid: try User.id(u.required("gid")),
                umask: try u.integer("umask"),
                additionalGids: try u.list("additionalGids", User.id),
                username: try u.string("username"))
        }
        args = try f.strings("args")
        commandLine = try f.string("commandLine")
        env = try f.strings("env")
        for (k, e) in env.enumerated() where !e.contains("=") {
            throw SpecError(f.childPath("env") + "[\(k)]", "\"\(e)\" is not of the form KEY=value")
        }
        let cwdField = try f.required("cwd")
        cwd = try cwdField.string()
        if !cwd.hasBytePrefix("/") { throw cwdField.error("must be an absolute path, not \"\(cwd)\"") }
        capabilities = try f.optional("capabilities").map { c in
            Capabilities(
                bounding: try CapabilitySet(c.optional("bounding")),
                effective: try CapabilitySet(c.optional("effective")),
                inheritable: try CapabilitySet(c.optional("inheritable")),
                permitted: try CapabilitySet(c.optional("permitted")),
                ambient: try CapabilitySet(c.optional("ambient")))
        }
        var seen: Set<String> = []
        rlimits = try f.list("rlimits") { r in
            let typeField = try r.required("type")
            let name = try typeField.string()
            guard let type = RlimitType(name: name) else { throw typeField.error("unknown rlimit \"\(name)\"") }
            if !seen.insert(name).inserted { throw typeField.error("duplicate rlimit \"\(name)\"") }
            let soft: UInt64 = try r.required("soft").integer()
            let hard: UInt64 = try r.required("hard").integer()
            if soft > hard { throw r.error("soft limit \(soft) is above hard limit \(hard)") }
            return Rlimit(type: type, soft: soft, hard: hard)
        }
        noNewPrivileges = try f.bool("noNewPrivileges") ?? false
        apparmorProfile = try f.string("apparmorProfile")
        oomScoreAdj = try f.integer("oomScoreAdj")
        if let o = oomScoreAdj, !(-1000...1000).contains(o) {
            throw SpecError(f.childPath("oomScoreAdj"), "\(o) is outside -1000...1000")
        }
        scheduler = try f.optional("scheduler").map { s in
            let policy = try s.required("policy")
            let sched = Scheduler(
                policy: try policy.string(), nice: try s.integer("nice") ?? 0,
                priority: try s.integer("priority") ?? 0, flags: try s.strings("flags"),
                runtime: try s.integer("runtime") ?? 0, deadline: try s.integer("deadline") ?? 0,
                period: try s.integer("period") ?? 0)
            if ProcessSettings.schedPolicies[sched.policy] == nil { throw policy.error("unknown policy \"\(sched.policy)\"") }
            for (k, flag) in sched.flags.enumerated() where ProcessSettings.schedFlags[flag] == nil {
                throw SpecError(s.childPath("flags") + "[\(k)]", "unknown flag \"\(flag)\"")
            }
            if !(-20...19).contains(sched.nice) { throw SpecError(s.childPath("nice"), "\(sched.nice) is outside -20...19") }
            return sched
        }
        selinuxLabel = try f.string("selinuxLabel")
        ioPriority = try f.optional("ioPriority").map { p in
            let c = try p.required("class")
            let io = IOPriority(ioClass: try c.string(), priority: try p.integer("priority") ?? 0)
            if ProcessSettings.ioClasses[io.ioClass] == nil { throw c.error("unknown class \"\(io.ioClass)\"") }
            if !(0...7).contains(io.priority) { throw SpecError(p.childPath("priority"), "\(io.priority) is outside 0...7") }
            return io
        }
        if let a = try f.optional("execCPUAffinity") {
            execCPUAffinity = (try a.string("initial"), try a.string("final"))
            for key in ["initial", "final"] {
                if let list = try a.string(key), ProcessSettings.bitmap(list) == nil {
                    throw SpecError(a.childPath(key), "\"\(list)\" is not a CPU list like 0-3,7")
                }
            }
        }
    }
}
