// The root filesystem: mounts, devices, pivot_root, masked and read-only
// paths, sysctl.
import Foundation
import HakoRuntime
import XCTest

final class RootfsTests: ContainerTestCase {
    func testRootIsPivotedAndReadOnly() {
        let out = inside("ls /; touch /x 2>&1; echo rc=$?")
        XCTAssertTrue(out.contains("bin") && out.contains("proc"), out)
        XCTAssertTrue(out.contains("Read-only file system") && out.hasSuffix("rc=1"), out)
        // The host's root is gone: not even the test's own directory is visible.
        XCTAssertEqual(inside("ls \(Harness.work) 2>/dev/null; echo rc=$?"), "rc=1")
    }

    func testMaskedPaths() {
        // /proc/timer_list is masked by default and, unlike /proc/kcore, exists on every kernel.
        XCTAssertGreaterThan((try? String(contentsOfFile: "/proc/timer_list", encoding: .utf8))?.count ?? 0, 0)
        let out = inside("wc -c < /proc/timer_list; ls /sys/firmware | wc -l; touch /sys/firmware/x 2>&1 | grep -c Read-only")
        XCTAssertEqual(out, "0\n0\n1", "/proc/timer_list reads empty, /sys/firmware is an empty read-only tmpfs")
    }

    func testReadonlyPaths() {
        let out = inside("(echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1; echo rc=$?; (echo 1 > /proc/sysrq-trigger) 2>&1; echo rc=$?")
        XCTAssertTrue(out.contains("Read-only file system"), out)
        XCTAssertFalse(out.contains("rc=0"), out)
    }

    func testDefaultDevicesAndLinks() {
        let out = inside("for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a %u:%g' /dev/$d; done; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done")
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "/dev/null character special file 1:3 666 0:0", "/dev/zero character special file 1:5 666 0:0",
            "/dev/full character special file 1:7 666 0:0", "/dev/random character special file 1:8 666 0:0",
            "/dev/urandom character special file 1:9 666 0:0", "/dev/tty character special file 5:0 666 0:0",
            "pts/ptmx", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2",
        ])
    }

    func testConfiguredDevice() {
        let out = inside("stat -c '%F %t:%T %a %u:%g' /dev/sub/hako0") { c in
            c[["linux", "devices"]] = .array([.object([
                ("path", .string("/dev/sub/hako0")), ("type", .string("c")), ("major", .int(1)), ("minor", .int(5)),
                ("fileMode", .int(0o640)), ("uid", .int(7)), ("gid", .int(8)),
            ])])
        }
        XCTAssertEqual(out, "character special file 1:5 640 7:8")
    }

    func testMountsAndTheirOptions() throws {
        let hostDir = Harness.work + "/bind-src-\(getpid())"
        try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
        try "from host\n".write(toFile: hostDir + "/file", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: hostDir) }
        let out = inside("""
            cat /data/file; touch /data/new 2>&1 | grep -c Read-only
            cat /one-file
            grep -E ' /(data|scratch|one-file) ' /proc/self/mountinfo | cut -d' ' -f5,6 | sort
            grep ' /scratch ' /proc/mounts | grep -c size=1024k
            """) { c in
            guard case var .array(m)? = c["mounts"] else { return }
            m.append(.object([("destination", .string("/data")), ("type", .string("bind")), ("source", .string(hostDir)),
                              ("options", .array(["rbind", "ro", "nosuid", "nodev"].map { .string($0) }))]))
            m.append(.object([("destination", .string("/scratch")), ("type", .string("tmpfs")), ("source", .string("tmpfs")),
                              ("options", .array(["noexec", "size=1m"].map { .string($0) }))]))
            m.append(.object([("destination", .string("/one-file")), ("type", .string("none")), ("source", .string(hostDir + "/file")),
                              ("options", .array([.string("bind")]))]))
            c.set("mounts", .array(m))
        }
        XCTAssertEqual(out.split(separator: "\n").map(String.init), [
            "from host", "1", "from host",
            "/data ro,nosuid,nodev,relatime", "/one-file rw,relatime", "/scratch rw,noexec,relatime", "1",
        ])
    }

    func testSysctl() {
        let out = inside("cat /proc/sys/net/ipv4/ip_forward") { $0[["linux", "sysctl"]] = .object([("net.ipv4.ip_forward", .string("1"))]) }
        XCTAssertEqual(out, "1")
    }

    func testCgroupMountShowsTheContainersCgroup() {
        let out = inside("ls /sys/fs/cgroup | sort | tr '\\n' ' '; cat /sys/fs/cgroup/pids/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/cgroup.procs; touch /sys/fs/cgroup/x 2>&1 | grep -c Read-only")
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.last, "1", "the cgroup mount is read-only")
        XCTAssertTrue(lines.contains("1"), "pid 1 of the container is in the cgroup it sees: \(out)")
    }

    func testNoPivotUsesChroot() {
        let b = bundle(args: ["sh", "-c", "ls / | grep -c bin"])
        let r = b.hako("run", ["--no-pivot"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "1\n")
    }

    /// rro, rnoexec, ...: mount_setattr(AT_RECURSIVE) reaches the mounts
    /// under a recursive bind, which a plain "ro" leaves writable. The
    /// host's /dev has /dev/shm and /dev/pts below it; only mountinfo is read.
    func testRecursiveMountAttributesReachSubmounts() {
        let script = "awk '$5 == \"/hostdev/shm\" { print $6 }' /proc/self/mountinfo"
        let recursive = inside(script) { c in
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [.object([
                ("destination", .string("/hostdev")), ("type", .string("bind")), ("source", .string("/dev")),
                ("options", .array(["rbind", "rro", "rnoexec"].map { .string($0) }))])])
        }
        let opts = recursive.split(separator: ",").map(String.init)
        XCTAssertTrue(opts.contains("ro") && opts.contains("noexec"), "rro/rnoexec on the submount: \(recursive)")
        let plain = inside(script, name: "plain") { c in
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [.object([
                ("destination", .string("/hostdev")), ("type", .string("bind")), ("source", .string("/dev")),
                ("options", .array(["rbind", "ro"].map { .string($0) }))])])
        }
        XCTAssertTrue(plain.split(separator: ",").contains("rw"), "plain ro leaves the submount rw: \(plain)")
    }

    /// A user-namespaced container: root inside is host uid 100000.
    func userNamespace(_ c: inout JSON) {
        let map = JSON.array([.object([("containerID", .int(0)), ("hostID", .int(100000)), ("size", .int(65536))])])
        c[["linux", "uidMappings"]] = map
        c[["linux", "gidMappings"]] = map
        c[["linux", "namespaces"]] = .array((c["linux"]?["namespaces"]?.arrayValue ?? []) + [.object([("type", .string("user"))])])
    }

    func idmapSource() throws -> String {
        let dir = Harness.work + "/idmap-\(Harness.newID("src"))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/root-owned", contents: Data("x".utf8))
        FileManager.default.createFile(atPath: dir + "/user-owned", contents: Data("x".utf8))
        XCTAssertEqual(chown(dir + "/user-owned", 1000, 1000), 0)
        return dir
    }

    func idmapMount(_ source: String, _ options: [String], own: Bool = false) -> JSON {
        // /tmp exists in the shared test rootfs: the container's root,
        // host uid 100000, could not make a directory there.
        var m: [(String, JSON)] = [("destination", .string("/tmp")), ("type", .string("bind")), ("source", .string(source)),
                                   ("options", .array(options.map { .string($0) }))]
        if own {
            // On-disk 0 is shown as host 100005, which the container sees as 5.
            let map = JSON.array([.object([("containerID", .int(0)), ("hostID", .int(100005)), ("size", .int(1))])])
            m += [("uidMappings", map), ("gidMappings", map)]
        }
        return .object(m)
    }

    func testIdmappedMountShowsOwnersThroughTheContainersMapping() throws {
        let src = try idmapSource()
        defer { try? FileManager.default.removeItem(atPath: src) }
        let script = "stat -c '%u:%g' /tmp/root-owned /tmp/user-owned; touch /tmp/made-inside && echo made"
        let plain = inside(script + "; true", name: "plain") { c in
            self.userNamespace(&c)
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [self.idmapMount(src, ["bind"])])
        }
        XCTAssertTrue(plain.hasPrefix("65534:65534\n65534:65534"), "without idmap the host's owners are unmapped: \(plain)")
        let mapped = inside(script) { c in
            self.userNamespace(&c)
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [self.idmapMount(src, ["bind", "idmap"])])
        }
        XCTAssertEqual(mapped, "0:0\n1000:1000\nmade")
        var st = stat()
        XCTAssertEqual(stat(src + "/made-inside", &st), 0)
        XCTAssertEqual(st.st_uid, 0, "a file the container's root makes through the idmapped mount is the host's root's")
    }

    func testIdmappedMountWithItsOwnMappings() throws {
        let src = try idmapSource()
        defer { try? FileManager.default.removeItem(atPath: src) }
        let out = inside("stat -c '%u:%g' /tmp/root-owned /tmp/user-owned") { c in
            self.userNamespace(&c)
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [self.idmapMount(src, ["rbind", "ridmap"], own: true)])
        }
        XCTAssertEqual(out, "5:5\n65534:65534", "0 maps to 5; 1000 is outside the mount's mapping")
    }

    func testIdmapMistakesAreErrorsNamingTheMount() throws {
        let src = try idmapSource()
        defer { try? FileManager.default.removeItem(atPath: src) }
        let noUserns = bundle(args: ["true"]) { c in
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [self.idmapMount(src, ["bind", "idmap"])])
        }
        let k = noUserns.config["mounts"]!.arrayValue!.count - 1
        let r = noUserns.run()
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("config.json: mounts[\(k)].options: idmap without the mount's own uidMappings needs a new user namespace"), r.err)
        let noOption = bundle(args: ["true"]) { c in
            let map = JSON.array([.object([("containerID", .int(0)), ("hostID", .int(1)), ("size", .int(1))])])
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [.object([
                ("destination", .string("/tmp")), ("type", .string("bind")), ("source", .string(src)),
                ("options", .array([.string("bind")])), ("uidMappings", map), ("gidMappings", map)])])
        }
        let n = noOption.run()
        XCTAssertTrue(n.code == 1 && n.err.contains("config.json: mounts[\(k)].uidMappings: needs the idmap or ridmap option"), n.err)
    }

    /// tmpcopyup: /bin made a tmpfs still holds busybox and its ~400
    /// symlinks, or the container's sh could not even start.
    func testTmpcopyupFillsTheTmpfsWithWhatItCovers() {
        var st = stat()
        XCTAssertEqual(lstat(Harness.rootfs + "/bin/busybox", &st), 0)
        let mode = String(st.st_mode & 0o7777, radix: 8)
        let out = inside("awk '$2 == \"/bin\" { print $3 }' /proc/mounts; stat -c %a /bin/busybox; readlink /bin/ls; ls /bin | wc -l") { c in
            c[["mounts"]] = .array((c["mounts"]?.arrayValue ?? []) + [.object([
                ("destination", .string("/bin")), ("type", .string("tmpfs")), ("source", .string("tmpfs")),
                ("options", .array(["tmpcopyup", "mode=755"].map { .string($0) }))])])
        }
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(3)), ["tmpfs", mode, "busybox"], out)
        XCTAssertEqual(Int(lines.last ?? ""), Files.list(Harness.rootfs + "/bin").count)
    }
}
