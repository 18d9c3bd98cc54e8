// The session keyring. Without a keyring of its own a container would share
// the caller's session keyring, and with it every key the caller holds. Like
// runc, the init joins a new keyring named "_ses.<id>" unless
// --no-new-keyring says otherwise. The prefix is runc's, and it matters: the
// kernel reserves names starting with "." (EPERM), and ".foo" is a valid id.
import CNamespaces
import Glibc

enum SessionKeyring {
    static let joinSessionKeyring = HK_KEYCTL_JOIN_SESSION_KEYRING
    static let setPerm = HK_KEYCTL_SETPERM
    static let describe = HK_KEYCTL_DESCRIBE
    /// KEY_USR_SEARCH: processes of the keyring's owner may find keys in it
    /// after the init changes uid.
    static let userSearch = HK_KEY_USR_SEARCH

    /// `setSearch`: let the owner's processes search it (the init, which
    /// made it); an exec'd process only joins, as runc's does.
    static func join(name: String, setSearch: Bool = true) throws {
        let id = name.withCString { hk_keyctl(joinSessionKeyring, UInt(bitPattern: $0), 0, 0, 0) }
        if id < 0 {
            // Kernels without keyrings: nothing to share, nothing to isolate.
            if errno == ENOSYS { return }
            throw SystemError("join session keyring \"\(name)\"", errno: errno)
        }
        guard setSearch else { return }
        let perm = try permissions(Int(id))
        if hk_keyctl(setPerm, UInt(id), UInt(perm | userSearch), 0, 0) < 0 {
            throw SystemError("set session keyring permissions", errno: errno)
        }
    }

    /// The permission mask from KEYCTL_DESCRIBE's "type;uid;gid;perm;description".
    static func permissions(_ id: Int) throws -> UInt32 {
        var buf = [CChar](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBufferPointer { hk_keyctl(describe, UInt(id), UInt(bitPattern: $0.baseAddress), UInt($0.count), 0) }
        if n < 0 { throw SystemError("describe session keyring", errno: errno) }
        let fields = String(cText: buf).split(separator: ";", omittingEmptySubsequences: false)
        guard fields.count >= 4, let perm = UInt32(fields[3], radix: 16) else {
            throw RuntimeError("describe session keyring: unexpected answer \"\(String(cText: buf))\"")
        }
        return perm
    }
}
