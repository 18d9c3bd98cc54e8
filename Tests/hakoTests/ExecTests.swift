// exec: a second process in a running container joins its namespaces and
// cgroup and gets the process settings of config.md, as runc's exec does.
import CNamespaces
import CTestSupport
import Foundation
import HakoRuntime
import XCTest

final class ExecTests: ContainerTestCase {
    func running(_ name: String = #function, _ edit: (inout JSON) -> Void = { _ in }) -> Bundle {
        let b = bundle(name, args: ["sleep", "100"], edit)
        let r = b.hako("run", ["--detach"])
        XCTAssertEqual(r.code, 0, r.err)
        return b
    }

    func testExecJoinsTheContainersNamespacesAndCgroup() {
        let b = running()
        let r = Harness.hako(["exec", b.id, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$; grep -m1 hako-test /proc/self/cgroup"])
        XCTAssertEqual(r.code, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "hako", "the container's uts namespace")
        XCTAssertEqual(lines.dropFirst().first, "sleep 100 ", "the container's pid namespace: its init is pid 1")
        XCTAssertNotEqual(lines.dropFirst(2).first, "1")
        XCTAssertTrue(lines.last?.hasSuffix(":/hako-test/\(b.id)") == true, "the container's cgroup: \(r.out)")
    }

    func testExitCodeAndFlags() {
        let b = running()
        XCTAssertEqual(Harness.hako(["exec", b.id, "sh", "-c", "exit 7"]).code, 7)
        let r = Harness.hako(["exec", "--user", "1000:1001", "--env", "FOO=bar", "--env", "X=1", "--cwd", "/tmp",
                              "--additional-gids", "10", b.id, "sh", "-c", "id; echo $FOO$X; pwd"])
        XCTAssertEqual(r.out, "uid=1000(user) gid=1001 groups=10\nbar1\n/tmp\n", r.err)
        let caps = Harness.hako(["exec", "--cap", "CAP_SYS_ADMIN", b.id, "sh", "-c", "grep CapEff /proc/self/status"])
        XCTAssertEqual(caps.out, "CapEff:\t0000000020200420\n", "CAP_SYS_ADMIN added to runc spec's set")
    }

    func testExecUsesTheConfigTheContainerWasCreatedWith() throws {
        var b = running { $0[["process", "env"]] = .array([.string("PATH=/bin"), .string("AT=create")]) }
        b.config[["process", "env"]] = .array([.string("PATH=/bin"), .string("AT=changed")])
        b.write()
        XCTAssertEqual(Harness.hako(["exec", b.id, "sh", "-c", "echo $AT"]).out, "create\n", "an edited bundle")
        try FileManager.default.removeItem(atPath: b.dir + "/config.json")
        let r = Harness.hako(["exec", b.id, "sh", "-c", "echo $AT"])
        XCTAssertEqual(r.out, "create\n", "a bundle without config.json: \(r.err)")
    }

    /// The init's steps that runc's exec (setns_init_linux.go) takes as
    /// well: hako's exec once dropped linux.personality, linux.memoryPolicy
    /// and the session keyring.
    func testExecGetsTheInitsPersonalityMemoryPolicyAndKeyring() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/numa_maps") else {
            throw XCTSkip("this kernel has no NUMA support (no /proc/self/numa_maps): exec's memory policy is NOT tested")
        }
        var expected = ["interleave"]
        var lines = ["grep -q interleave /proc/self/numa_maps && echo interleave"]
        #if arch(x86_64)
        expected.append("i686")
        lines.append("uname -m")
        #endif
        let b = running {
            $0[["linux", "personality"]] = .object([("domain", .string("LINUX32"))])
            $0[["linux", "memoryPolicy"]] = .object([("mode", .string("MPOL_INTERLEAVE")), ("nodes", .string("0"))])
            // /proc/keys is masked by default.
            $0[["linux", "maskedPaths"]] = .array([])
        }
        let r = Harness.hako(["exec", b.id, "sh", "-c", lines.joined(separator: "; ")])
        XCTAssertEqual(r.out.split(separator: "\n").map(String.init), expected, r.err)
        // The init's keyring lets only its possessors, and root, view it:
        // uid 1000 sees it in /proc/keys only if it is its session keyring.
        let keys = Harness.hako(["exec", "--user", "1000", b.id, "grep", "-c", "_ses.\(b.id)", "/proc/keys"])
        XCTAssertEqual(keys.out, "1\n", "exec joins the container's session keyring, as runc's does: \(keys.err)")
    }

    func testProcessFile() throws {
        let b = running()
        let file = b.dir + "/process.json"
        try #"{"terminal": false, "user": {"uid": 5, "gid": 6}, "args": ["sh", "-c", "id; echo $A"], "env": ["A=from-file", "PATH=/bin"], "cwd": "/etc"}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = Harness.hako(["exec", "--process", file, b.id])
        XCTAssertEqual(r.out, "uid=5 gid=6\nfrom-file\n", r.err)
        try #"{"args": ["true"], "cwd": "relative"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = Harness.hako(["exec", "--process", file, b.id])
        XCTAssertEqual(bad.code, 255, "runc's exec exits 255 for whatever stops the process from starting")
        XCTAssertTrue(bad.err.contains("process.json: user: is required") || bad.err.contains("process.json: cwd"), bad.err)
    }

    func testDetachWritesThePidFile() throws {
        let b = running()
        let pidFile = b.dir + "/exec.pid"
        let r = Harness.hako(["exec", "--detach", "--pid-file", pidFile, b.id, "sleep", "50"])
        XCTAssertEqual(r.code, 0, r.err)
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8)
        let json = Harness.hako(["ps", "--format", "json", b.id])
        XCTAssertTrue(json.out.contains(pid), "ps lists the exec'd process: \(json.out) \(pid)")
        let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        XCTAssertEqual(cmdline, "sleep\u{0}50\u{0}")
    }

    func testExecTtyOverConsoleSocket() throws {
        let b = running()
        let sock = Harness.work + "/exec-console-\(getpid()).sock"
        let server = hk_test_listen(sock)
        XCTAssertGreaterThanOrEqual(server, 0)
        defer { close(server); unlink(sock) }
        let r = Harness.hako(["exec", "--tty", "--detach", "--console-socket", sock, b.id, "sh", "-c", "tty; echo done"])
        XCTAssertEqual(r.code, 0, r.err)
        let conn = accept(server, nil, nil)
        var name = [CChar](repeating: 0, count: 64)
        let master = hk_recv_fd(conn, &name, 63)
        close(conn)
        XCTAssertGreaterThanOrEqual(master, 0)
        var output = ""
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(master, &buf, buf.count)
            if n <= 0 { break }
            output += String(decoding: buf[0..<n], as: UTF8.self)
        }
        close(master)
        XCTAssertEqual(output.replacingOccurrences(of: "\r", with: ""), "/dev/pts/0\ndone\n")
    }

    func testSeccompAppliesToExec() throws {
        let b = running { c in
            c[["linux", "seccomp"]] = try! JSON.parse(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}"#)
        }
        let r = Harness.hako(["exec", b.id, "sh", "-c", "mkdir /dev/shm/x 2>&1; true"])
        XCTAssertEqual(r.out, "mkdir: can't create directory '/dev/shm/x': Operation not permitted\n", r.err)
    }

    func testExecInAStoppedContainerIsAnError() {
        let b = bundle(args: ["true"])
        XCTAssertEqual(b.hako("create").code, 0)
        XCTAssertEqual(b.hako("start").code, 0)
        usleep(200_000)
        let r = Harness.hako(["exec", b.id, "true"])
        XCTAssertEqual(r.code, 255, "runc's exec exits 255 for whatever stops the process from starting")
        XCTAssertTrue(r.err.contains("stopped"), r.err)
        XCTAssertEqual(Harness.hako(["exec", "no-such-container", "true"]).code, 255)
    }
}
