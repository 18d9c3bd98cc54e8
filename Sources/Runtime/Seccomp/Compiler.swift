// linux.seccomp compiled into classic BPF by libseccomp (config-linux.md
// "Seccomp"). The result is plain bytes, installed later by the container's
// init (Seccomp/Filter.swift) and cached between runs (Seccomp/Cache.swift).
import CSeccomp
import Glibc

enum SeccompCompiler {
    // Return values (linux/seccomp.h), which libseccomp's SCMP_ACT_* are.
    static func action(_ name: String, errno ret: UInt32?) -> UInt32 {
        let data = (ret ?? UInt32(EPERM)) & 0xFFFF
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0x0000_0000
        case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_ERRNO": return 0x0005_0000 | data
        case "SCMP_ACT_TRACE": return 0x7FF0_0000 | data
        case "SCMP_ACT_LOG": return 0x7FFC_0000
        case "SCMP_ACT_NOTIFY": return 0x7FC0_0000
        default: return 0x7FFF_0000 // SCMP_ACT_ALLOW; names were checked by the spec model
        }
    }

    static let operators: [String: UInt32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
    ]

    /// libseccomp's name for an architecture: SCMP_ARCH_X86_64 -> x86_64.
    static func archName(_ spec: String) -> String {
        (spec.hasBytePrefix("SCMP_ARCH_") ? String(spec.dropFirst(10)) : spec).lowercased()
    }

    static func compile(_ s: Seccomp, logger: Logger) throws -> [UInt8] {
        let path = "linux.seccomp"
        guard let ctx = hk_seccomp_new(action(s.defaultAction, errno: s.defaultErrnoRet)) else {
            throw SpecError(path + ".defaultAction", "libseccomp refused \(s.defaultAction)")
        }
        defer { hk_seccomp_free(ctx) }
        for (i, arch) in s.architectures.enumerated() {
            let r = hk_seccomp_add_arch(ctx, archName(arch))
            if r == -ENOENT { throw SpecError("\(path).architectures[\(i)]", "unknown architecture \"\(arch)\" (libseccomp \(version))") }
            if r < 0 { throw SpecError("\(path).architectures[\(i)]", "add \(arch): \(SystemError.describe(-r))") }
        }
        let defaultAction = action(s.defaultAction, errno: s.defaultErrnoRet)
        for (i, rule) in s.syscalls.enumerated() {
            let act = action(rule.action, errno: rule.errnoRet)
            // libseccomp refuses a rule that only repeats the default; runc skips it too.
            if act == defaultAction { continue }
            let args = rule.args.map { hk_seccomp_arg(index: $0.index, op: operators[$0.op] ?? 4, value: $0.value, value_two: $0.valueTwo) }
            // Comparisons on different arguments all must hold (one rule);
            // several on the same argument are alternatives (one rule each),
            // which is how runc and crun read such profiles.
            let indexes = Set(rule.args.map(\.index))
            let groups: [[hk_seccomp_arg]] = indexes.count == args.count ? [args] : args.map { [$0] }
            for (j, name) in rule.names.enumerated() {
                let nr = hk_seccomp_resolve(name)
                if nr == -1 {
                    logger.debug("seccomp: \(path).syscalls[\(i)].names[\(j)]: \(name) is unknown to libseccomp \(version); skipped")
                    continue
                }
                for group in groups {
                    let r = group.withUnsafeBufferPointer { hk_seccomp_add_rule(ctx, act, nr, UInt32($0.count), $0.baseAddress) }
                    if r < 0 {
                        throw SpecError("\(path).syscalls[\(i)]", "libseccomp refused the rule for \(name): \(SystemError.describe(-r))")
                    }
                }
            }
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let n = hk_seccomp_export(ctx, &out)
        guard n >= 0, let out else { throw SystemError("compile the seccomp filter", errno: Int32(-n)) }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: n))
    }

    static var version: String {
        var buf = [CChar](repeating: 0, count: 32)
        hk_seccomp_version(&buf, UInt(buf.count))
        return String(cText: buf)
    }
}
