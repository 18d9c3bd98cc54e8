// linux.uidMappings / gidMappings for a new user namespace, written by the
// runtime (as root) into /proc/PID/{uid,gid}_map before the init goes on.

enum UserNamespace {
    static func writeMaps(pid: Int32, uid: [IDMapping], gid: [IDMapping]) throws {
        func text(_ maps: [IDMapping]) -> String { maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined() }
        do { try Files.write("/proc/\(pid)/uid_map", text(uid)) } catch {
            throw SpecError("linux.uidMappings", "\(error)")
        }
        do { try Files.write("/proc/\(pid)/gid_map", text(gid)) } catch {
            throw SpecError("linux.gidMappings", "\(error)")
        }
    }
}
