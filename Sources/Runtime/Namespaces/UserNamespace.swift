// linux.uidMappings / gidMappings for a new user namespace, written into
// /proc/PID/{uid,gid}_map while the init waits (user-namespaces(7)).
//
// Root writes any map. Another user may write only a map of its own id,
// and a gid map only once setgroups is denied; anything more goes through
// the setuid helpers newuidmap/newgidmap (Debian's uidmap), which check
// the ranges against /etc/subuid and /etc/subgid.
import CNamespaces
import Glibc

enum UserNamespace {
    /// create's rule (and check's): in a new user namespace, the process's
    /// ids must be ones its maps give it; any other id is unmapped there
    /// and setresuid(2) would fail only once the container is half made.
    /// Joined namespaces and hako's own are checked by the kernel at the
    /// switch, which Credentials reports by the same paths.
    static func validateIDs(_ spec: Spec) throws {
        guard let p = spec.process, let linux = spec.linux, let ns = linux.namespace(.user), ns.path == nil else { return }
        func mapped(_ id: UInt32, _ maps: [IDMapping]) -> Bool {
            maps.contains { UInt64(id) >= UInt64($0.containerID) && UInt64(id) < UInt64($0.containerID) + UInt64($0.size) }
        }
        if !mapped(p.user.uid, linux.uidMappings) {
            throw SpecError("process.user.uid", "\(p.user.uid) is not mapped by linux.uidMappings in the new user namespace")
        }
        if !mapped(p.user.gid, linux.gidMappings) {
            throw SpecError("process.user.gid", "\(p.user.gid) is not mapped by linux.gidMappings in the new user namespace")
        }
        for (k, g) in p.user.additionalGids.enumerated() where !mapped(g, linux.gidMappings) {
            throw SpecError("process.user.additionalGids[\(k)]", "\(g) is not mapped by linux.gidMappings in the new user namespace")
        }
    }

    static func writeMaps(pid: Int32, uid: [IDMapping], gid: [IDMapping], logger: Logger) throws {
        try write(pid: pid, kind: "uid", uid, own: geteuid(), logger: logger)
        try write(pid: pid, kind: "gid", gid, own: getegid(), logger: logger)
    }

    static func write(pid: Int32, kind: String, _ maps: [IDMapping], own: UInt32, logger: Logger) throws {
        let field = "linux.\(kind)Mappings"
        let text = UserNamespace.text(maps)
        let privileged = geteuid() == 0
        let selfMap = maps.count == 1 && maps[0].hostID == own && maps[0].size == 1
        if privileged || selfMap {
            if !privileged, kind == "gid" {
                // The kernel's condition for an unprivileged gid_map; it
                // also means the container cannot call setgroups.
                do { try Files.writeProcfs("/proc/\(pid)/setgroups", "deny") } catch {
                    throw SpecError(field, "\(error)")
                }
            }
            do { try Files.writeProcfs("/proc/\(pid)/\(kind)_map", text) } catch { throw SpecError(field, "\(error)") }
            return
        }
        let tool = "new\(kind)map"
        let candidates: [String] = ["/usr/bin/", "/bin/", "/usr/sbin/"].map { $0 + tool }
        guard let path = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw SpecError(field, "mapping more than uid/gid \(own) itself needs \(tool) (Debian package uidmap) and ranges in /etc/sub\(kind)")
        }
        var args = [tool, String(decimal: pid)]
        for m in maps { args += [String(decimal: m.containerID), String(decimal: m.hostID), String(decimal: m.size)] }
        logger.debug("\(args.joined(by: " "))")
        let (status, stderr) = try run(path, args)
        if status != 0 {
            let why = stderr.split(separator: "\n").last.map(String.init) ?? Exec.describe(status: status)
            throw SpecError(field, "\(tool) failed: \(why)")
        }
    }

    /// The uid_map/gid_map format: "inside outside count" per line.
    static func text(_ maps: [IDMapping]) -> String {
        maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    /// Runs a helper with an empty environment; its exit status and stderr.
    static func run(_ path: String, _ args: [String]) throws -> (Int32, String) {
        var fds: [Int32] = [0, 0]
        try sys(hk_pipe2(&fds, O_CLOEXEC), "pipe")
        let pid = fork()
        if pid < 0 {
            close(fds[0]); close(fds[1])
            throw SystemError("fork \(path)")
        }
        if pid == 0 {
            dup2(fds[1], 2)
            _ = hk_unblock_all_signals()
            _ = hk_default_signal_handlers()
            Exec.execve(path, args, [])
            _exit(127)
        }
        close(fds[1])
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        close(fds[0])
        let status = try Exec.wait(pid, timeoutSeconds: nil) ?? -1
        return (status, String(decoding: out, as: UTF8.self))
    }
}
