// linux.seccomp compiled into classic BPF by libseccomp (config-linux.md
// "Seccomp"). The result is plain bytes, installed later by the container's
// init (Seccomp/Filter.swift) and cached between runs (Seccomp/Cache.swift).
import CSeccomp
import CNamespaces
import Glibc

enum SeccompCompiler {
    /// An action's return value from the spec's one table (Spec/Seccomp.swift);
    /// a name it lacks is an error, never a guess such as ALLOW.
    static func action(_ name: String, errno ret: UInt32?, path: String) throws -> UInt32 {
        guard let v = Seccomp.returnValue(name, errno: ret) else { throw SpecError(path, "unknown seccomp action \"\(name)\"") }
        return v
    }

    static func compile(_ s: Seccomp, logger: Logger) throws -> [UInt8] {
        let path = "linux.seccomp"
        let defaultAction = try action(s.defaultAction, errno: s.defaultErrnoRet, path: path + ".defaultAction")
        guard let ctx = hk_seccomp_new(defaultAction) else {
            throw SpecError(path + ".defaultAction", "libseccomp refused \(s.defaultAction)")
        }
        defer { hk_seccomp_free(ctx) }
        for (i, arch) in s.architectures.enumerated() {
            let at = "\(path).architectures[\(i)]"
            guard let name = Seccomp.architectureNames[arch] else { throw SpecError(at, "unknown seccomp architecture \"\(arch)\"") }
            let r = hk_seccomp_add_arch(ctx, name)
            if r == -ENOENT { throw SpecError(at, "architecture \"\(arch)\" is unknown to libseccomp \(version)") }
            if r < 0 { throw SpecError(at, "add \(arch): \(SystemError.describe(-r))") }
        }
        // The highest native syscall number the profile names, for the ENOSYS stub.
        var newestKnown: Int32 = -1
        for rule in s.syscalls {
            for name in rule.names { newestKnown = max(newestKnown, hk_seccomp_resolve(name)) }
        }
        for (i, rule) in s.syscalls.enumerated() {
            let act = try action(rule.action, errno: rule.errnoRet, path: "\(path).syscalls[\(i)].action")
            // libseccomp refuses a rule that only repeats the default; runc skips it too.
            if act == defaultAction { continue }
            let args = try rule.args.enumerated().map { k, a in
                guard let op = Seccomp.operators[a.op] else {
                    throw SpecError("\(path).syscalls[\(i)].args[\(k)].op", "unknown seccomp operator \"\(a.op)\"")
                }
                return hk_seccomp_arg(index: a.index, op: op, value: a.value, value_two: a.valueTwo)
            }
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
        return enosysStub(defaultAction: defaultAction, newestKnown: newestKnown) + Array(UnsafeBufferPointer(start: out, count: n))
    }

    /// runc's -ENOSYS stub: a syscall newer than every one the profile names
    /// fails with ENOSYS, not with the default action. A C library tries a
    /// new call (clone3, faccessat2, close_range...) and falls back on
    /// ENOSYS; the EPERM of a deny-by-default profile written before the call
    /// existed would instead look like a real refusal. Native architecture
    /// only, and not for x32's numbers; a profile that allows by default is
    /// left as it is. Classic BPF, run before libseccomp's filter:
    ///   ld arch; jne native -> filter; ld nr; jge x32 bit -> filter;
    ///   jgt newest -> ret ERRNO(ENOSYS); filter
    static func enosysStub(defaultAction: UInt32, newestKnown: Int32) -> [UInt8] {
        let kind = defaultAction & HK_SECCOMP_RET_ACTION_FULL
        let allowing: [UInt32] = [HK_SECCOMP_RET_ALLOW, HK_SECCOMP_RET_LOG, HK_SECCOMP_RET_USER_NOTIF, HK_SECCOMP_RET_TRACE]
        guard newestKnown >= 0, !allowing.contains(kind), let arch = nativeAuditArch else { return [] }
        func insn(_ code: UInt16, _ jt: UInt8, _ jf: UInt8, _ k: UInt32) -> [UInt8] {
            [UInt8(code & 0xFF), UInt8(code >> 8), jt, jf,
             UInt8(k & 0xFF), UInt8((k >> 8) & 0xFF), UInt8((k >> 16) & 0xFF), UInt8(k >> 24)]
        }
        // x32's numbers (the bit set) go to the filter; without x32, none is that high.
        let x32 = HK_X32_SYSCALL_BIT != 0 ? HK_X32_SYSCALL_BIT : UInt32.max
        return insn(HK_BPF_LD_W_ABS, 0, 0, 4)                  // seccomp_data.arch
            + insn(HK_BPF_JEQ_K, 0, 4, arch)                   // another arch: the filter
            + insn(HK_BPF_LD_W_ABS, 0, 0, 0)                   // seccomp_data.nr
            + insn(HK_BPF_JGE_K, 2, 0, x32)                    // x32: the filter
            + insn(HK_BPF_JGT_K, 0, 1, UInt32(newestKnown))    // newer than the profile: ENOSYS
            + insn(HK_BPF_RET_K, 0, 0, HK_SECCOMP_RET_ERRNO | UInt32(ENOSYS))
    }

    static var nativeAuditArch: UInt32? {
        HK_AUDIT_ARCH_NATIVE != 0 ? HK_AUDIT_ARCH_NATIVE : nil
    }

    static var version: String {
        var buf = [CChar](repeating: 0, count: 32)
        hk_seccomp_version(&buf, UInt(buf.count))
        return String(cText: buf)
    }
}
