import XCTest
@testable import HakoRuntime

final class TextTests: XCTestCase {
    func testDecimalText() {
        XCTAssertEqual(String(decimal: 0), "0")
        XCTAssertEqual(String(decimal: -7), "-7")
        XCTAssertEqual(String(decimal: Int64.min), "-9223372036854775808")
        XCTAssertEqual(String(decimal: UInt64.max), "18446744073709551615")
        XCTAssertEqual(String(decimal: Int8.min), "-128")
        XCTAssertEqual("pid \(Int32(-1)) \(UInt32.max)", "pid -1 4294967295")
    }

    func testBytewiseHelpers() {
        XCTAssertTrue("/proc/self".hasBytePrefix("/proc"))
        XCTAssertFalse("/pr".hasBytePrefix("/proc"))
        XCTAssertTrue("cgroup.freeze".hasByteSuffix("freeze"))
        XCTAssertFalse("eze".hasByteSuffix("freeze"))
        XCTAssertEqual("root:x:0:0::/root:/bin/sh".split(byte: UInt8(ascii: ":"), omittingEmpty: false),
                       ["root", "x", "0", "0", "", "/root", "/bin/sh"])
        XCTAssertEqual("a\n\nb\n".split(byte: UInt8(ascii: "\n")), ["a", "b"])
        XCTAssertEqual(["a", "b", "c"].joined(by: ", "), "a, b, c")
        XCTAssertEqual([String]().joined(by: ","), "")
        XCTAssertEqual("h\u{e9}llo".withCString { String(cText: $0) }, "h\u{e9}llo")
    }
}
