import XCTest
@testable import HakoRuntime

/// Mapping config.json: every error names its JSON path.
final class SpecTests: XCTestCase {
    func config(_ edit: (inout JSON) -> Void) -> [UInt8] {
        var j = Spec.defaultConfig(rootless: false)
        edit(&j)
        return Array(j.serialized().utf8)
    }

    func assertError(_ edit: (inout JSON) -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Spec.parse(config(edit)), file: file, line: line) { e in
            XCTAssertEqual("\(e)", expected, file: file, line: line)
        }
    }

    func testDefaultConfigMapsCompletely() throws {
        let s = try Spec.parse(config { _ in })
        XCTAssertEqual(s.process?.args, ["sh"])
        XCTAssertEqual(s.process?.capabilities?.effective.numbers, [5, 10, 29])
        XCTAssertEqual(s.process?.rlimits.first?.type.name, "RLIMIT_NOFILE")
        XCTAssertEqual(s.linux?.namespaces.map(\.type), [.pid, .network, .ipc, .uts, .mount])
        XCTAssertEqual(s.mounts.count, 7)
        XCTAssertEqual(s.root?.readonly, true)
    }

    func testErrorsNameTheirPath() {
        assertError({ $0.set("ociVersion", nil) }, "config.json: ociVersion: is required")
        assertError({ j in
            var p = j["process"]!
            p.set("rlimits", .array([.object([("type", .string("RLIMIT_FOO")), ("soft", .int(1)), ("hard", .int(1))])]))
            j.set("process", p)
        }, #"config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO""#)
        assertError({ j in
            var p = j["process"]!
            p.set("capabilities", .object([("bounding", .array([.string("CAP_NOPE")]))]))
            j.set("process", p)
        }, #"config.json: process.capabilities.bounding[0]: unknown capability "CAP_NOPE""#)
        assertError({ j in
            var l = j["linux"]!
            l.set("namespaces", .array([.object([("type", .string("pid"))]), .object([("type", .string("bogus"))])]))
            j.set("linux", l)
        }, #"config.json: linux.namespaces[1].type: unknown namespace type "bogus""#)
        assertError({ j in
            var l = j["linux"]!
            l.set("namespaces", .array([.object([("type", .string("user"))])]))
            l.set("uidMappings", .array([.object([("containerID", .int(0)), ("hostID", .int(1000)), ("size", .int(0))])]))
            j.set("linux", l)
        }, "config.json: linux.uidMappings[0].size: must be > 0")
        assertError({ j in
            var p = j["process"]!
            p.set("cwd", .string("relative"))
            j.set("process", p)
        }, #"config.json: process.cwd: must be an absolute path, not "relative""#)
        assertError({ j in
            var p = j["process"]!
            p.set("user", .object([("uid", .string("0")), ("gid", .int(0))]))
            j.set("process", p)
        }, "config.json: process.user.uid: must be a number, not string")
        assertError({ j in
            var p = j["process"]!
            p.set("user", .object([("uid", .int(-1)), ("gid", .int(0))]))
            j.set("process", p)
        }, "config.json: process.user.uid: -1 is out of range (0...4294967295)")
        assertError({ $0.set("mounts", .array([.object([("type", .string("tmpfs"))])])) },
                    "config.json: mounts[0].destination: is required")
    }

    func testOverlappingIdMapsAreRefused() {
        assertError({ j in
            var l = j["linux"]!
            l.set("namespaces", .array([.object([("type", .string("user"))])]))
            let m = { (c: Int, h: Int, n: Int) in JSON.object([("containerID", .int(c)), ("hostID", .int(h)), ("size", .int(n))]) }
            l.set("uidMappings", .array([m(0, 1000, 10), m(5, 5000, 10)]))
            l.set("gidMappings", .array([m(0, 1000, 10)]))
            j.set("linux", l)
        }, "config.json: linux.uidMappings[1]: overlaps linux.uidMappings[0]")
    }

    func testInvalidJSONIsReportedWithALine() {
        XCTAssertThrowsError(try Spec.parse(Array("{\n \"ociVersion\": }".utf8))) { e in
            XCTAssertTrue("\(e)".hasPrefix("config.json: invalid JSON: line 2:"), "\(e)")
        }
    }
}

final class TablesTests: XCTestCase {
    func testSignalNames() throws {
        XCTAssertEqual(try Signals.parse("TERM"), 15)
        XCTAssertEqual(try Signals.parse("SIGKILL"), 9)
        XCTAssertEqual(try Signals.parse("sigusr1"), 10)
        XCTAssertEqual(try Signals.parse("15"), 15)
        XCTAssertEqual(try Signals.parse("RTMIN+3"), 37)
        XCTAssertEqual(try Signals.parse("SIGRTMAX-1"), 63)
        XCTAssertThrowsError(try Signals.parse("NOPE"))
        XCTAssertThrowsError(try Signals.parse("0"))
        XCTAssertThrowsError(try Signals.parse("65"))
    }

    func testMountOptions() throws {
        let o = try MountOptions(["rbind", "ro", "nosuid", "rslave", "size=10m", "rnoexec", "mode=755"])
        XCTAssertEqual(o.flags, MountFlag.bind | MountFlag.rec | MountFlag.rdonly | MountFlag.nosuid)
        XCTAssertEqual(o.propagation, [MountFlag.slave | MountFlag.rec])
        XCTAssertEqual(o.attrSet, MountAttr.noexec)
        XCTAssertEqual(o.data, ["size=10m", "mode=755"])
        XCTAssertEqual(try MountOptions(["ro", "rw"]).flags, 0)
    }

    func testCgroupPathsNeverLandUnderTheCaller() {
        XCTAssertEqual(Cgroup.resolvePath("/hako-test/x", id: "x"), "/hako-test/x")
        XCTAssertEqual(Cgroup.resolvePath(nil, id: "x"), "/hako/x")
        XCTAssertEqual(Cgroup.resolvePath("", id: "x"), "/hako/x")
        XCTAssertEqual(Cgroup.resolvePath("rel/y", id: "x"), "/hako/rel/y")
    }

    func testContainerIds() {
        for ok in ["a", "abc-1.2_3+4", String(repeating: "x", count: 64)] { XCTAssertNoThrow(try StateStore.validate(id: ok)) }
        for bad in ["", ".", "..", "a/b", "a b", "a\nb", "ü"] { XCTAssertThrowsError(try StateStore.validate(id: bad), bad) }
    }

    func testPaths() {
        XCTAssertEqual(cleanPath("/a/../../b/./c//"), "/b/c")
        XCTAssertEqual(joinPath("/bundle", "rootfs"), "/bundle/rootfs")
        XCTAssertEqual(joinPath("/bundle", "../rootfs"), "/rootfs")
    }
}
