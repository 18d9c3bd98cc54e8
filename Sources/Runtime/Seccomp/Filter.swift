// Installing a compiled filter with seccomp(2). hako does this itself, not
// through libseccomp, so that cached bytes can be installed and the kernel's
// flags (including WAIT_KILLABLE_RECV, which libseccomp 2.5 lacks) passed.
import CSeccomp
import CNamespaces
import Glibc

struct SeccompFilter {
    let bpf: [UInt8]
    let flags: UInt32
    /// SCMP_ACT_NOTIFY is used: the install yields a listener descriptor.
    let notify: Bool

    init(_ s: Seccomp, profile: JSON, cacheDir: String, logger: Logger) throws {
        bpf = try SeccompCache(dir: cacheDir).filter(s, profile: profile, logger: logger)
        notify = s.defaultAction == "SCMP_ACT_NOTIFY" || s.syscalls.contains { $0.action == "SCMP_ACT_NOTIFY" }
        var bits: UInt32 = notify ? HK_SECCOMP_FILTER_FLAG_NEW_LISTENER : 0
        for (k, name) in s.flags.enumerated() {
            // The spec's one table; a name it lacks is refused, never 0.
            guard let bit = Seccomp.flags[name] else {
                throw SpecError("linux.seccomp.flags[\(k)]", "unknown seccomp flag \"\(name)\"")
            }
            bits |= bit
        }
        flags = bits
    }

    /// Installs the filter on the calling process; returns the listener fd
    /// when the filter notifies, else nil.
    func install() throws -> Int32? {
        let r = bpf.withUnsafeBufferPointer { hk_seccomp_install($0.baseAddress, UInt($0.count), flags) }
        if r < 0 { throw SystemError("install the seccomp filter") }
        return notify ? r : nil
    }
}
