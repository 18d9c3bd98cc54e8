// `hako spec`: runc's default config, and refusing to overwrite.
import Foundation
import HakoRuntime
import XCTest

final class SpecCommandTests: ContainerTestCase {
    func testSpecWritesAConfigThatRuns() throws {
        let dir = Harness.work + "/spec-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(Harness.hako(["spec", "--bundle", dir]).code, 0)
        let spec = try Spec.parse(Array(try String(contentsOfFile: dir + "/config.json", encoding: .utf8).utf8))
        XCTAssertEqual(spec.process?.args, ["sh"])
        XCTAssertEqual(spec.process?.terminal, true)
        let again = Harness.hako(["spec", "--bundle", dir])
        XCTAssertEqual(again.code, 1, "an existing config.json is not overwritten")
        try FileManager.default.removeItem(atPath: dir + "/config.json")
        XCTAssertEqual(Harness.hako(["spec", "--rootless", "--bundle", dir]).code, 0)
        let rootless = try Spec.parse(Array(try String(contentsOfFile: dir + "/config.json", encoding: .utf8).utf8))
        XCTAssertNotNil(rootless.linux?.namespace(.user))
        XCTAssertEqual(rootless.linux?.uidMappings.first?.size, 1)
    }

    func testVersionAndHelp() {
        let v = Harness.hako(["--version"])
        XCTAssertEqual(v.code, 0)
        XCTAssertTrue(v.out.hasPrefix("hako version "), v.out)
        XCTAssertTrue(v.out.contains("spec: 1.2.0"))
        XCTAssertTrue(Harness.hako(["create", "--help"]).out.hasPrefix("usage: hako create"))
    }

    func testFeatures() throws {
        let r = Harness.hako(["features"])
        XCTAssertEqual(r.code, 0, r.err)
        let f = try JSON.parse(r.out)
        XCTAssertEqual(f["ociVersionMax"], .string("1.2.0"))
        XCTAssertEqual(f["hooks"], .array(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"].map { .string($0) }))
        guard case let .array(ns)? = f[["linux", "namespaces"]], case let .array(actions)? = f[["linux", "seccomp", "actions"]] else {
            return XCTFail(r.out)
        }
        XCTAssertTrue(ns.contains(.string("user")) && actions.contains(.string("SCMP_ACT_NOTIFY")))
        XCTAssertEqual(f[["linux", "cgroup", "systemd"]], .bool(true))
    }

    func testSystemdCgroupIsRefusedClearly() {
        let r = Harness.hako(["--systemd-cgroup", "run", "--bundle", "/nonexistent", "x"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("--systemd-cgroup:"), r.err)
    }
}
