// config-linux.md "Seccomp". Names are checked here; the filter is built by
// the seccomp module from these values.

public struct Seccomp {
    public static let actions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    public static let operators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
        "SCMP_CMP_MASKED_EQ",
    ]
    public static let flagNames: Set<String> = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]

    public struct Arg { public var index: UInt32, value: UInt64, valueTwo: UInt64, op: String }
    public struct Rule { public var names: [String], action: String, errnoRet: UInt32?, args: [Arg] }

    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]
    public var flags: [String]
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Rule]

    public init(_ f: Field) throws {
        func action(_ field: Field) throws -> String {
            let a = try field.string()
            guard Seccomp.actions.contains(a) else { throw field.error("unknown seccomp action \"\(a)\"") }
            return a
        }
        defaultAction = try action(f.required("defaultAction"))
        defaultErrnoRet = try f.integer("defaultErrnoRet")
        architectures = try f.strings("architectures")
        flags = try f.strings("flags")
        for (k, flag) in flags.enumerated() where !Seccomp.flagNames.contains(flag) {
            throw SpecError(f.childPath("flags") + "[\(k)]", "unknown seccomp flag \"\(flag)\"")
        }
        listenerPath = try f.string("listenerPath")
        listenerMetadata = try f.string("listenerMetadata")
        syscalls = try f.list("syscalls") { s in
            Rule(names: try s.required("names").array().map { try $0.string() },
                 action: try action(s.required("action")), errnoRet: try s.integer("errnoRet"),
                 args: try s.list("args") { a in
                     let op = try a.required("op")
                     guard Seccomp.operators.contains(try op.string()) else {
                         throw op.error("unknown seccomp operator \"\(try op.string())\"")
                     }
                     let index: UInt32 = try a.required("index").integer()
                     if index > 5 { throw SpecError(a.childPath("index"), "\(index) is above 5") }
                     return Arg(index: index, value: try a.required("value").integer(),
                                valueTwo: try a.integer("valueTwo") ?? 0, op: try op.string())
                 })
        }
        let usesNotify = defaultAction == "SCMP_ACT_NOTIFY" || syscalls.contains { $0.action == "SCMP_ACT_NOTIFY" }
        if usesNotify, listenerPath == nil {
            throw SpecError(f.childPath("listenerPath"), "is required when SCMP_ACT_NOTIFY is used")
        }
    }
}
