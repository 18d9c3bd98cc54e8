// Who the process runs as: rlimits, user and groups, capabilities,
// no_new_privs. Order matters: the bounding set is dropped while
// CAP_SETPCAP is still held, and the user switch keeps capabilities
// (PR_SET_KEEPCAPS) so the configured sets can be applied after it.
import CNamespaces
import Glibc

enum Credentials {
    static let PR_CAPBSET_DROP: Int32 = 24, PR_SET_KEEPCAPS: Int32 = 8, PR_SET_NO_NEW_PRIVS: Int32 = 38
    static let PR_CAP_AMBIENT: Int32 = 47, PR_CAP_AMBIENT_RAISE: UInt = 2, PR_CAP_AMBIENT_CLEAR_ALL: UInt = 4

    static func applyRlimits(_ limits: [Process.Rlimit]) throws {
        for (k, r) in limits.enumerated() where hk_setrlimit(r.type.resource, r.soft, r.hard) != 0 {
            throw SpecError("process.rlimits[\(k)]", SystemError("setrlimit \(r.type.name)").description)
        }
    }

    /// Of process `pid` (0: the caller) as the host's /proc names it.
    static func setOOMScoreAdj(_ value: Int32, pid: Int32 = 0) throws {
        let file = "/proc/\(pid == 0 ? "self" : String(decimal: pid))/oom_score_adj"
        do { try Files.writeProcfs(file, String(decimal: value)) } catch let e as SystemError {
            throw SpecError("process.oomScoreAdj", e.description)
        }
    }

    /// `holdSysAdmin` keeps CAP_SYS_ADMIN effective beyond the configured
    /// sets, for installing seccomp later; setCapabilities then drops it.
    static func apply(user: Process.User, capabilities: Process.Capabilities?, noNewPrivileges: Bool,
                      holdSysAdmin: Bool = false, logger: Logger) throws {
        if let caps = capabilities {
            for cap in 0..<64 where !caps.bounding.contains(cap) {
                // EINVAL: the kernel has no such capability; nothing to drop.
                if hk_prctl(PR_CAPBSET_DROP, UInt(cap), 0, 0, 0) != 0, errno != EINVAL {
                    throw SystemError("drop capability \(cap) from the bounding set")
                }
            }
            try sys(hk_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)")
        }
        var groups = user.additionalGids.map { gid_t($0) }
        if hk_setgroups(groups.count, &groups) != 0 {
            // Refused in a user namespace whose setgroups is denied; harmless then.
            if errno != EPERM || !groups.isEmpty { throw SpecError("process.user.additionalGids", SystemError("setgroups").description) }
        }
        // EINVAL: an id the user namespace does not map.
        if hk_setresgid(user.gid, user.gid, user.gid) != 0 { throw SpecError("process.user.gid", SystemError("setresgid \(user.gid)").description) }
        if hk_setresuid(user.uid, user.uid, user.uid) != 0 { throw SpecError("process.user.uid", SystemError("setresuid \(user.uid)").description) }
        if let caps = capabilities {
            try sys(hk_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)")
            var held = caps
            if holdSysAdmin {
                held.effective.bits |= 1 << 21
                held.permitted.bits |= 1 << 21
            }
            try setCapabilities(held)
            _ = hk_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
            for cap in caps.ambient.numbers where hk_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, UInt(cap), 0, 0) != 0 {
                // Ambient needs the capability permitted and inheritable; runc warns and goes on.
                logger.debug("cannot raise ambient capability \(CapabilitySet.names[cap]): \(SystemError.describe(errno))")
            }
        }
        if noNewPrivileges { try sys(hk_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)") }
    }

    static func setCapabilities(_ caps: Process.Capabilities) throws {
        let e = [caps.effective.low, caps.effective.high], p = [caps.permitted.low, caps.permitted.high]
        let i = [caps.inheritable.low, caps.inheritable.high]
        if hk_capset(e, p, i) != 0 { throw SpecError("process.capabilities", SystemError("capset").description) }
    }

    /// Whether this process has `capability` in its effective set (CapEff
    /// in /proc/self/status).
    static func hasEffective(capability: Int) -> Bool {
        guard let status = Files.readText("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasBytePrefix("CapEff:") }),
              let mask = UInt64(String(line.dropFirst("CapEff:".count)).trimmingWhitespace, radix: 16) else { return false }
        return mask & (1 << UInt64(capability)) != 0
    }

    /// The home directory of `uid` in the container's /etc/passwd, or "/".
    static func home(of uid: UInt32) throws -> String { try passwdField(5, of: uid) ?? "/" }

    /// The most of /etc/passwd read: a few thousand users' lines.
    static let passwdLimit = 4 << 20

    /// Field `index` of uid's line in /etc/passwd ("name:x:uid:gid:gecos:home:shell");
    /// nil without the file. Static binaries cannot use NSS modules; the file
    /// is enough for a name and a home. In a container the image chose it:
    /// one that is not a regular file, or is huge, is an error (runc's
    /// reader fails on a line over 64 KiB, and waits forever on a FIFO).
    static func passwdField(_ index: Int, of uid: uid_t) throws -> String? {
        let bytes: [UInt8]
        do { bytes = try Files.readRegular("/etc/passwd", limit: passwdLimit) } catch let e as SystemError where e.errno == ENOENT || e.errno == EACCES {
            return nil
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let id = String(decimal: uid)
        for line in text.split(byte: UInt8(ascii: "\n")) {
            let f = line.split(byte: UInt8(ascii: ":"), omittingEmpty: false)
            if f.count > max(index, 2), f[2] == id { return f[index] }
        }
        return nil
    }
}
