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
}
