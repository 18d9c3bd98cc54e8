import XCTest
@testable import HakoRuntime

final class IntentTests: XCTestCase {
    /// Every value comes back byte for byte, whatever bytes it holds.
    func testEscapeRoundTripsEveryByte() {
        let all = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        for value in [all, "r\r\ncgroup /x", "a\\nb", "\\", "é\r\n\u{301}", "\\\r\n"] {
            let escaped = CreateIntent.escape(value)
            XCTAssertFalse(escaped.utf8.contains { $0 < 0x20 || $0 == 0x7f }, "raw control byte in \(escaped.debugDescription)")
            XCTAssertEqual(Array(CreateIntent.unescape(escaped).utf8), Array(value.utf8))
        }
    }

    /// A rootfs holding "\r\n" lines stays one value; it forges no line.
    func testRootfsCannotForgeLines() throws {
        var intent = CreateIntent(id: "c")
        intent.rootfs = "/b/r\r\ncgroup /sys/fs/cgroup/pids/victim\r\nmade /tmp/victim\r\nx"
        intent.cgroupPath = "/hako/c"
        let read = try XCTUnwrap(CreateIntent(parsing: intent.serialized(), id: "c"))
        XCTAssertEqual(read.rootfs, intent.rootfs)
        XCTAssertEqual(read.cgroups, [])
        XCTAssertEqual(read.made, [])
    }

    /// Only the recorded cgroupsPath, and directories on the way to it.
    func testBoundsKeepOnlyTheRecordedCgroup() {
        let layout = CgroupLayout.legacy(hierarchies: ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory"])
        let bounds = CgroupBounds(path: "/hako/c", layout: layout)
        XCTAssertTrue(bounds.holds("/sys/fs/cgroup/pids/hako/c"))
        XCTAssertFalse(bounds.holds("/sys/fs/cgroup/pids/victim"))
        XCTAssertTrue(bounds.couldHaveMade("/sys/fs/cgroup/memory/hako"))
        XCTAssertFalse(bounds.couldHaveMade("/sys/fs/cgroup/memory"))
        XCTAssertFalse(bounds.couldHaveMade("/tmp/victim"))
        XCTAssertFalse(bounds.couldHaveMade("/sys/fs/cgroup/pids/hako/c/../../victim"))
        XCTAssertTrue(bounds.isFreezer("/sys/fs/cgroup/pids/hako/c/freezer.state"))
        XCTAssertFalse(bounds.isFreezer("/etc/passwd"))
        XCTAssertTrue(CgroupBounds(path: "/hako/../x", layout: layout).directories.isEmpty)
    }
}
