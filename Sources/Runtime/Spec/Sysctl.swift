// config-linux.md "Sysctl": linux.sysctl. /proc/sys is only partly
// namespaced, and a write to the rest changes the host's kernel for every
// process on it. So a key is accepted only where the container has a
// namespace of its own that isolates it, by the rules runc validates
// (libcontainer/configs/validate): the ipc keys with a new ipc namespace,
// net.* with a new network namespace, kernel.domainname and kernel.hostname
// with a new uts namespace. Everything else is refused. kernel.hostname
// beside the hostname field is refused, as runc refuses it: two values for
// one name, and the sysctl would silently win. (runc refuses it even
// alone; it is as contained as kernel.domainname, so hako takes it then:
// docs/runc-parity.md.)
import Glibc

public enum Sysctl {
    /// The ipc namespace's keys besides fs.mqueue.* (ipc_namespaces(7)).
    static let ipcKeys: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    /// A key's components, as sysctl(8) reads it: "a.b.c", or "a/b/c" when
    /// the first separator is a slash, in which form a dot belongs to the
    /// component ("net/ipv4/conf/eth0.100/rp_filter"); in the dotted form a
    /// slash stands for a dot. nil for an empty, "." or ".." component,
    /// which could only name something outside the key's own directory.
    public static func components(_ key: String) -> [String]? {
        let slashForm = key.first(where: { $0 == "." || $0 == "/" }) == "/"
        let parts = key.split(separator: slashForm ? "/" : ".", omittingEmptySubsequences: false)
            .map { slashForm ? String($0) : String($0).replacingOccurrences("/", with: ".") }
        if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) { return nil }
        return parts
    }

    /// The file that holds the key.
    public static func file(_ components: [String]) -> String { "/proc/sys/" + components.joined(by: "/") }

    /// The namespace that isolates the key, or nil when none does.
    static func namespace(_ c: [String]) -> NamespaceType? {
        let dotted = c.map { $0.replacingOccurrences(".", with: "/") }.joined(by: ".")
        if ipcKeys.contains(dotted) || (c.count > 2 && c[0] == "fs" && c[1] == "mqueue") { return .ipc }
        if c.count > 1 && c[0] == "net" { return .network }
        if dotted == "kernel.hostname" || dotted == "kernel.domainname" { return .uts }
        return nil
    }

    /// create's rule (and so check's): each key must be written inside a
    /// namespace the container has for itself, never the host's.
    static func validate(_ spec: Spec) throws {
        guard let linux = spec.linux else { return }
        for (key, _) in linux.sysctl {
            let path = "linux.sysctl.\(key)"
            guard let c = components(key) else {
                throw SpecError(path, "is not a sysctl name: it has an empty, \".\" or \"..\" component")
            }
            guard let type = namespace(c) else {
                throw SpecError(path, "is not namespaced: writing it would change the host's kernel (only ipc, net and uts sysctls are isolated)")
            }
            guard let k = linux.namespaces.firstIndex(where: { $0.type == type }) else {
                throw SpecError(path, "needs a new \(type.rawValue) namespace in linux.namespaces; without one it is the host's")
            }
            if let joined = linux.namespaces[k].path, isHosts(joined, type) {
                throw SpecError(path, "linux.namespaces[\(k)].path \(joined) is the host's own \(type.rawValue) namespace")
            }
            if c == ["kernel", "hostname"], spec.hostname != nil {
                throw SpecError(path, "conflicts with the hostname field: set one of them")
            }
        }
    }

    /// Whether a namespace file is hako's own namespace of that type or
    /// the host init's (/proc/1): the same inode on the same nsfs device.
    static func isHosts(_ path: String, _ type: NamespaceType) -> Bool {
        var joined = stat()
        // A path that cannot be read fails at create with its own error.
        guard stat(path, &joined) == 0 else { return false }
        for host in ["/proc/self/ns/", "/proc/1/ns/"] {
            var st = stat()
            if stat(host + type.procName, &st) == 0, st.st_dev == joined.st_dev, st.st_ino == joined.st_ino { return true }
        }
        return false
    }
}
