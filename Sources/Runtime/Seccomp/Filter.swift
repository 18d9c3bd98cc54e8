// Installing a compiled filter with seccomp(2). hako does this itself, not
// through libseccomp, so that cached bytes can be installed and the kernel's
// flags (including WAIT_KILLABLE_RECV, which libseccomp 2.5 lacks) passed.
import CSeccomp
import Glibc

struct SeccompFilter {
    let bpf: [UInt8]
    let flags: UInt32
    /// SCMP_ACT_NOTIFY is used: the install yields a listener descriptor.
    let notify: Bool

    static func flag(_ name: String) -> UInt32 {
        switch name {
        case "SECCOMP_FILTER_FLAG_TSYNC": return 1
        case "SECCOMP_FILTER_FLAG_LOG": return 2
        case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": return 4
        case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": return 32
        default: return 0
        }
    }

    init(_ s: Seccomp, profile: JSON, cacheDir: String, logger: Logger) throws {
        bpf = try SeccompCache(dir: cacheDir).filter(s, profile: profile, logger: logger)
        notify = s.defaultAction == "SCMP_ACT_NOTIFY" || s.syscalls.contains { $0.action == "SCMP_ACT_NOTIFY" }
        flags = s.flags.reduce(notify ? 8 : 0) { $0 | SeccompFilter.flag($1) } // 8: NEW_LISTENER
    }

    /// Installs the filter on the calling process; returns the listener fd
    /// when the filter notifies, else nil.
    func install() throws -> Int32? {
        let r = bpf.withUnsafeBufferPointer { hk_seccomp_install($0.baseAddress, UInt($0.count), flags) }
        if r < 0 { throw SystemError("install the seccomp filter") }
        return notify ? r : nil
    }
}
