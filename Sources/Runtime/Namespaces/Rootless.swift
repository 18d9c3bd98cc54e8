// Whether hako runs without root on the host, decided as runc decides it:
// as a user other than root, or as root of a user namespace, which is how
// podman's rootless mode and rootlesskit run a runtime. Such a hako cannot
// create cgroups without delegation, and keeps its state in the user's
// runtime directory.
import Glibc

public enum Rootless {
    /// Not in the initial user namespace, whose uid_map is the identity.
    public static func inUserNamespace() -> Bool {
        guard let map = Files.readText("/proc/self/uid_map") else { return false }
        let f = map.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return !(f.count == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
    }

    public static var active: Bool { geteuid() != 0 || inUserNamespace() }
}
