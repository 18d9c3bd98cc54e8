// Capability names (capabilities(7)) and sets as bit masks.

public struct CapabilitySet: Equatable {
    public var bits: UInt64 = 0

    /// Every capability this table knows, indexed by number.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    public init(bits: UInt64 = 0) { self.bits = bits }

    /// Unknown names are an error: runtime-spec says unknown values MUST be rejected.
    public init(_ f: Field?) throws {
        guard let f else { return }
        for item in try f.array() {
            let name = try item.string()
            guard let n = CapabilitySet.number(of: name) else { throw item.error("unknown capability \"\(name)\"") }
            bits |= 1 << UInt64(n)
        }
    }

    public static func number(of name: String) -> Int? {
        let full = name.hasBytePrefix("CAP_") ? name : "CAP_" + name
        return names.firstIndex(of: full.uppercased())
    }

    public func contains(_ n: Int) -> Bool { bits & (1 << UInt64(n)) != 0 }
    public var low: UInt32 { UInt32(truncatingIfNeeded: bits) }
    public var high: UInt32 { UInt32(truncatingIfNeeded: bits >> 32) }
    public var numbers: [Int] { (0..<64).filter(contains) }
}
