// Every failure: exit status 1, a message naming the config path, and
// nothing left behind (mounts, cgroups, state, processes).
import Foundation
import HakoRuntime
import XCTest

final class ErrorsTests: ContainerTestCase {
    func assertFails(_ expected: String, command: String = "run", name: String = #function, file: StaticString = #filePath,
                     line: UInt = #line, rawConfig: String? = nil, _ edit: (inout JSON) -> Void = { _ in }) {
        let b = bundle(name, args: ["true"], edit)
        if let rawConfig { try? rawConfig.write(toFile: b.dir + "/config.json", atomically: true, encoding: .utf8) }
        let before = Leftovers.snapshot(id: b.id)
        let r = b.hako(command)
        XCTAssertEqual(r.code, 1, "exit status", file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), "stderr \(r.err.debugDescription) lacks \(expected.debugDescription)", file: file, line: line)
        let after = Leftovers.snapshot(id: b.id)
        XCTAssertEqual(after.mounts, before.mounts, "mounts left behind", file: file, line: line)
        XCTAssertEqual(after.cgroups, [], "cgroups left behind", file: file, line: line)
        XCTAssertEqual(after.processes, [], "processes left behind", file: file, line: line)
        XCTAssertFalse(after.stateEntries.contains(b.id), "state left behind", file: file, line: line)
    }

    func testBrokenJSON() {
        assertFails("config.json: invalid JSON: line 1:", rawConfig: "{\"ociVersion\": ")
    }
    func testWrongType() {
        assertFails("config.json: process.args: must be an array, not string") { $0[["process", "args"]] = .string("true") }
    }
    func testUnknownRlimit() {
        assertFails(#"config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO""#) {
            $0[["process", "rlimits"]] = .array([.object([("type", .string("RLIMIT_FOO")), ("soft", .int(1)), ("hard", .int(1))])])
        }
    }
    func testRlimitAboveTheHardLimitOfTheHost() {
        // Root here lacks CAP_SYS_RESOURCE beyond the hard limit; the kernel refuses, hako names the entry.
        assertFails("config.json: process.rlimits[0]: setrlimit RLIMIT_NOFILE") {
            $0[["process", "rlimits"]] = .array([.object([("type", .string("RLIMIT_NOFILE")), ("soft", .int(1 << 40)), ("hard", .int(1 << 40))])])
        }
    }
    func testUnknownCapability() {
        assertFails(#"config.json: process.capabilities.effective[0]: unknown capability "CAP_FLY""#) {
            $0[["process", "capabilities", "effective"]] = .array([.string("CAP_FLY")])
        }
    }
    func testUnknownNamespace() {
        assertFails(#"config.json: linux.namespaces[0].type: unknown namespace type "nope""#) {
            $0[["linux", "namespaces"]] = .array([.object([("type", .string("nope"))])])
        }
    }
    func testMissingRootfs() {
        assertFails("config.json: root.path: /nonexistent-rootfs is not a directory") { $0[["root", "path"]] = .string("/nonexistent-rootfs") }
    }
    func testMissingExecutable() {
        assertFails(#"config.json: process.args[0]: exec: "no-such-program": executable file not found in $PATH"#) {
            $0[["process", "args"]] = .array([.string("no-such-program")])
        }
    }
    func testMissingBindSource() {
        assertFails("config.json: mounts[7]: stat bind source /nonexistent: No such file or directory") { c in
            guard case var .array(m)? = c["mounts"] else { return }
            m.append(.object([("destination", .string("/x")), ("type", .string("bind")), ("source", .string("/nonexistent")),
                              ("options", .array([.string("bind")]))]))
            c.set("mounts", .array(m))
        }
    }
    func testBadNamespacePath() {
        assertFails("config.json: linux.namespaces[1].path: open /proc/nonexistent/ns/net") {
            $0.setNamespaces([.object([("type", .string("mount"))]),
                              .object([("type", .string("network")), ("path", .string("/proc/nonexistent/ns/net"))])])
        }
    }
    func testHostnameWithoutUTSNamespace() {
        assertFails("config.json: hostname: needs a uts namespace in linux.namespaces") {
            $0[["linux", "namespaces"]] = .array([.object([("type", .string("mount"))])])
        }
    }
    func testFailingPrestartHookUndoesEverything() {
        assertFails("config.json: hooks.prestart[0]: prestart hook /bin/false failed: exit status 1") {
            $0[["hooks", "prestart"]] = .array([.object([("path", .string("/bin/false"))])])
        }
    }
    func testInvalidID() {
        let r = Harness.hako(["run", "--bundle", "/tmp", "../escape"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("invalid container id"), r.err)
    }
    func testDuplicateID() {
        let b = bundle(args: ["sleep", "100"])
        XCTAssertEqual(b.hako("create").code, 0)
        let r = b.hako("create")
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("already exists"), r.err)
        XCTAssertTrue(b.hako("state").out.contains("created"), "the first container is untouched")
    }
    func testUnknownCommandAndFlag() {
        // runc (urfave/cli) exits 3 for an unknown command and 1 for an unknown flag.
        XCTAssertEqual(Harness.hako(["frobnicate"]).code, 3)
        XCTAssertEqual(Harness.hako(["create", "--nope", "x"]).code, 1)
    }

    func testJSONLogLine() throws {
        let log = Harness.work + "/log-\(getpid()).json"
        defer { unlink(log) }
        let r = Harness.run(Harness.hako, ["--root", Harness.stateRoot, "--log", log, "--log-format", "json", "state", "missing"])
        XCTAssertEqual(r.code, 1)
        let line = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        let j = try JSON.parse(line)
        XCTAssertEqual(j["level"], .string("error"))
        XCTAssertEqual(j["msg"], .string("container \"missing\" does not exist"))
        guard case let .string(t)? = j["time"] else { return XCTFail("no time") }
        XCTAssertTrue(t.hasSuffix("Z") && t.count == 30, t)
    }
}
