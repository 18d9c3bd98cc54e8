// config-linux.md "Seccomp". Names are checked here against the table below;
// the filter is built by the seccomp module from the same table.

import CNamespaces
import Glibc

public struct Seccomp {
    // The one table of names: the spec model accepts exactly these, and
    // the compiler (Seccomp/Compiler.swift) and the installer
    // (Seccomp/Filter.swift) take their values from here, so a name can
    // never be valid in one place and unmapped in the other.

    /// SCMP_ACT_* to the kernel's SECCOMP_RET_* (linux/seccomp.h); ERRNO and
    /// TRACE carry errnoRet in their low 16 bits.
    public static let actions: [String: UInt32] = [
        "SCMP_ACT_KILL": HK_SECCOMP_RET_KILL_THREAD, "SCMP_ACT_KILL_THREAD": HK_SECCOMP_RET_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS": HK_SECCOMP_RET_KILL_PROCESS, "SCMP_ACT_TRAP": HK_SECCOMP_RET_TRAP,
        "SCMP_ACT_ERRNO": HK_SECCOMP_RET_ERRNO, "SCMP_ACT_TRACE": HK_SECCOMP_RET_TRACE,
        "SCMP_ACT_LOG": HK_SECCOMP_RET_LOG, "SCMP_ACT_NOTIFY": HK_SECCOMP_RET_USER_NOTIF, "SCMP_ACT_ALLOW": HK_SECCOMP_RET_ALLOW,
    ]
    /// SCMP_CMP_* to libseccomp's enum scmp_compare.
    public static let operators: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
    ]
    /// SECCOMP_FILTER_FLAG_* to their bits for seccomp(2).
    public static let flags: [String: UInt32] = [
        "SECCOMP_FILTER_FLAG_TSYNC": HK_SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_LOG": HK_SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW": HK_SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": HK_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
    ]
    /// SCMP_ARCH_* to libseccomp's architecture names.
    public static let architectureNames: [String: String] = [
        "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32",
        "SCMP_ARCH_ARM": "arm", "SCMP_ARCH_AARCH64": "aarch64",
        "SCMP_ARCH_MIPS": "mips", "SCMP_ARCH_MIPS64": "mips64", "SCMP_ARCH_MIPS64N32": "mips64n32",
        "SCMP_ARCH_MIPSEL": "mipsel", "SCMP_ARCH_MIPSEL64": "mipsel64", "SCMP_ARCH_MIPSEL64N32": "mipsel64n32",
        "SCMP_ARCH_PPC": "ppc", "SCMP_ARCH_PPC64": "ppc64", "SCMP_ARCH_PPC64LE": "ppc64le",
        "SCMP_ARCH_S390": "s390", "SCMP_ARCH_S390X": "s390x",
        "SCMP_ARCH_PARISC": "parisc", "SCMP_ARCH_PARISC64": "parisc64", "SCMP_ARCH_RISCV64": "riscv64",
    ]
    /// The return value for an action with its errnoRet, or nil for a name
    /// outside the table (which the compiler refuses rather than guess).
    public static func returnValue(_ action: String, errno ret: UInt32?) -> UInt32? {
        guard let base = actions[action] else { return nil }
        switch action {
        case "SCMP_ACT_ERRNO": return base | (ret ?? UInt32(EPERM)) & 0xFFFF
        case "SCMP_ACT_TRACE": return base | (ret ?? 1) & 0xFFFF
        default: return base
        }
    }

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
        func name<V>(_ field: Field, _ table: [String: V], _ what: String) throws -> String {
            let n = try field.string()
            guard table[n] != nil else { throw field.error("unknown seccomp \(what) \"\(n)\"") }
            return n
        }
        defaultAction = try name(f.required("defaultAction"), Seccomp.actions, "action")
        defaultErrnoRet = try f.integer("defaultErrnoRet")
        architectures = try f.list("architectures") { try name($0, Seccomp.architectureNames, "architecture") }
        flags = try f.list("flags") { try name($0, Seccomp.flags, "flag") }
        listenerPath = try f.string("listenerPath")
        listenerMetadata = try f.string("listenerMetadata")
        syscalls = try f.list("syscalls") { s in
            Rule(names: try s.required("names").array().map { try $0.string() },
                 action: try name(s.required("action"), Seccomp.actions, "action"), errnoRet: try s.integer("errnoRet"),
                 args: try s.list("args") { a in
                     let op = try name(a.required("op"), Seccomp.operators, "operator")
                     let index: UInt32 = try a.required("index").integer()
                     if index > 5 { throw SpecError(a.childPath("index"), "\(index) is above 5") }
                     return Arg(index: index, value: try a.required("value").integer(),
                                valueTwo: try a.integer("valueTwo") ?? 0, op: op)
                 })
        }
        let usesNotify = defaultAction == "SCMP_ACT_NOTIFY" || syscalls.contains { $0.action == "SCMP_ACT_NOTIFY" }
        if usesNotify, listenerPath == nil {
            throw SpecError(f.childPath("listenerPath"), "is required when SCMP_ACT_NOTIFY is used")
        }
    }
}
