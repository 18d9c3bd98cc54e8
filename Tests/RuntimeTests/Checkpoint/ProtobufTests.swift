import XCTest
@testable import HakoRuntime

/// The wire format against bytes worked out by hand from the encoding guide
/// (protobuf.dev/programming-guides/encoding) and rpc.proto's field numbers;
/// and the reader on what criu could send that is not a message.
final class ProtobufTests: XCTestCase {
    /// The guide's own examples: 150 in field 1, "testing" in field 2.
    func testGuideExamples() {
        var w = ProtobufWriter()
        w.uint(1, 150)
        w.string(2, "testing")
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01, 0x12, 0x07] + Array("testing".utf8))
    }

    /// A negative int32 takes ten bytes (sign-extended), and reads back.
    func testNegativeInt32() throws {
        var w = ProtobufWriter()
        w.int32(7, -1)
        XCTAssertEqual(w.bytes, [0x38] + [UInt8](repeating: 0xff, count: 9) + [0x01])
        var r = ProtobufReader(w.bytes)
        let f = try XCTUnwrap(r.next())
        XCTAssertEqual(f.field, 7)
        XCTAssertEqual(try f.value.int32(), -1)
        XCTAssertNil(try r.next())
    }

    /// A dump request as checkpoint builds one: fields in number order,
    /// field numbers above 15 in two-byte tags (23: 0xba 0x01, 34: 0x90
    /// 0x02, 44: 0xe2 0x02), a nested ext_mount_map, 1234 as 0xd2 0x09.
    func testDumpRequest() {
        var o = CriuOpts()
        o.imagesDirFd = 5
        o.pid = 1234
        o.leaveRunning = true
        o.logLevel = 4
        o.logFile = "dump.log"
        o.root = "/r"
        o.extMounts = [ExtMountMap(key: "/a", value: "/a")]
        o.manageCgroupsMode = .soft
        o.freezeCgroup = "/sys/fs/cgroup/x"
        let opts: [UInt8] = [0x08, 0x05, 0x10, 0xd2, 0x09, 0x18, 0x01, 0x48, 0x04]
            + [0x52, 0x08] + Array("dump.log".utf8) + [0x6a, 0x02] + Array("/r".utf8)
            + [0xba, 0x01, 0x08, 0x0a, 0x02, 0x2f, 0x61, 0x12, 0x02, 0x2f, 0x61]
            + [0x90, 0x02, 0x03] + [0xe2, 0x02, 0x10] + Array("/sys/fs/cgroup/x".utf8)
        XCTAssertEqual(opts.count, 0x38)
        XCTAssertEqual(CriuRequest(type: .dump, opts: o).encoded(), [0x08, 0x01, 0x12, 0x38] + opts)
    }

    /// What answers a NOTIFY: type 6 and notify_success.
    func testNotifyAcknowledgement() {
        XCTAssertEqual(CriuRequest(type: .notify, notifySuccess: true).encoded(), [0x08, 0x06, 0x18, 0x01])
    }

    func testInheritFdAndCgroupRoot() {
        var o = CriuOpts()
        o.imagesDirFd = 3
        o.cgroupRoots = [CgroupRoot(path: "/c")]
        o.inheritFds = [InheritFd(key: "k", fd: 4)]
        o.emptyNamespaces = 0x40000000
        XCTAssertEqual(o.encoded().bytes, [0x08, 0x03, 0xca, 0x01, 0x04, 0x12, 0x02, 0x2f, 0x63,
                                           0xda, 0x01, 0x05, 0x0a, 0x01, 0x6b, 0x10, 0x04,
                                           0xb0, 0x02, 0x80, 0x80, 0x80, 0x80, 0x04])
    }

    func testNotifyResponse() throws {
        let notify: [UInt8] = [0x0a, 0x09] + Array("post-dump".utf8) + [0x10, 0x2a]
        let bytes: [UInt8] = [0x08, 0x06, 0x10, 0x01, 0x2a, UInt8(notify.count)] + notify
        let r = try CriuResponse.decode(bytes)
        XCTAssertEqual(r.type, .notify)
        XCTAssertTrue(r.success)
        XCTAssertEqual(r.notify, CriuNotify(script: "post-dump", pid: 42))
    }

    /// A failed dump, with unknown fields of every wire type around it
    /// (a newer criu's), which are skipped.
    func testFailureWithUnknownFields() throws {
        let bytes: [UInt8] = [0x08, 0x01, 0x10, 0x00, 0x38, 0x02, 0x4a, 0x01, 0x78,
                              0x98, 0x06, 0x07,                  // 99: varint
                              0xa2, 0x06, 0x02, 0x01, 0x02,      // 100: bytes
                              0xad, 0x06, 1, 2, 3, 4,            // 101: fixed32
                              0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // 102: fixed64
                              0x1a, 0x02, 0x08, 0x01]            // dump: restored
        let r = try CriuResponse.decode(bytes)
        XCTAssertEqual(r.type, .dump)
        XCTAssertFalse(r.success)
        XCTAssertEqual(r.crErrno, 2)
        XCTAssertEqual(r.crErrmsg, "x")
        XCTAssertEqual(r.restored, true)
    }

    func testVersionResponse() throws {
        let v: [UInt8] = [0x08, 0x03, 0x10, 0x11, 0x20, 0x01]
        let r = try CriuResponse.decode([0x08, 0x0a, 0x10, 0x01, 0x52, UInt8(v.count)] + v)
        XCTAssertEqual(r.version, CriuVersion(major: 3, minor: 17, sublevel: 1))
    }

    /// restore's own fields: evasive_devices (6: 0x30), rst_sibling (26:
    /// 0xd0 0x01), lsm_profile (53: 0xaa 0x03) and lsm_mount_context (63:
    /// 0xfa 0x03), in number order around the shared ones.
    func testRestoreRequestFields() {
        var o = CriuOpts()
        o.imagesDirFd = 3
        o.evasiveDevices = true
        o.shellJob = true
        o.rstSibling = true
        o.lsmProfile = "apparmor:p"
        o.lsmMountContext = "c"
        XCTAssertEqual(o.encoded().bytes, [0x08, 0x03, 0x30, 0x01, 0x38, 0x01, 0xd0, 0x01, 0x01,
                                           0xaa, 0x03, 0x0a] + Array("apparmor:p".utf8) + [0xfa, 0x03, 0x01, 0x63])
    }

    /// criu_resp.restore (4) holds criu_restore_resp, whose pid is required.
    func testRestoreResponse() throws {
        let r = try CriuResponse.decode([0x08, 0x02, 0x10, 0x01, 0x22, 0x03, 0x08, 0xd2, 0x09])
        XCTAssertEqual(r.type, .restore)
        XCTAssertEqual(r.restoredPid, 1234)
        XCTAssertThrowsError(try CriuResponse.decode([0x08, 0x02, 0x10, 0x01, 0x22, 0x00]))
    }

    func testMalformedRefused() {
        let bad: [(String, [UInt8])] = [
            ("truncated varint", [0x08, 0x96]),
            ("length past the end", [0x08, 0x01, 0x10, 0x01, 0x4a, 0x05, 0x61]),
            ("field number 0", [0x00, 0x01]),
            ("group wire type", [0x0b, 0x0c]),
            ("wire type 7", [0x0f]),
            ("varint of eleven bytes", [0x08] + [UInt8](repeating: 0x80, count: 10) + [0x01]),
            ("tenth varint byte above 1", [0x08] + [UInt8](repeating: 0xff, count: 9) + [0x02]),
            ("truncated fixed64", [0x09, 1, 2, 3]),
            ("no success", [0x08, 0x01]),
            ("no type", [0x10, 0x01]),
            ("unknown request type", [0x08, 0x63, 0x10, 0x01]),
            ("string not UTF-8", [0x08, 0x01, 0x10, 0x00, 0x4a, 0x01, 0xff]),
            ("nested notify truncated", [0x08, 0x06, 0x10, 0x01, 0x2a, 0x02, 0x0a, 0x05]),
            ("success as bytes", [0x08, 0x01, 0x12, 0x00]),
            ("version without minor", [0x08, 0x0a, 0x10, 0x01, 0x52, 0x02, 0x08, 0x03]),
        ]
        for (why, bytes) in bad {
            XCTAssertThrowsError(try CriuResponse.decode(bytes), why)
        }
    }

    /// Every prefix of a valid answer, and pseudo-random bytes, either
    /// decode or throw: none traps.
    func testNoInputTraps() {
        let notify: [UInt8] = [0x0a, 0x09] + Array("post-dump".utf8) + [0x10, 0x2a]
        let valid: [UInt8] = [0x08, 0x06, 0x10, 0x01, 0x2a, UInt8(notify.count)] + notify + [0x38, 0xff, 0xff, 0xff, 0xff, 0x0f]
        for n in 0...valid.count { _ = try? CriuResponse.decode(Array(valid[..<n])) }
        var seed: UInt64 = 0x9e3779b97f4a7c15
        for _ in 0..<20_000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(seed >> 58)
            var bytes: [UInt8] = []
            for _ in 0..<count {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: seed >> 33))
            }
            _ = try? CriuResponse.decode(bytes)
        }
    }
}
