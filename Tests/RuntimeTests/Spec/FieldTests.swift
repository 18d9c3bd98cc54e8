import XCTest
@testable import HakoRuntime

/// Integers are read from the number's text as Go's encoding/json reads
/// runc's fields: exactly, in the field's own type, never through Double.
final class FieldTests: XCTestCase {
    func read<T: FixedWidthInteger>(_ text: String, _: T.Type) throws -> T {
        try Field(JSON.parse("{\"v\": \(text)}")).required("v").integer(T.self)
    }

    func reason<T: FixedWidthInteger>(_ text: String, _ type: T.Type) -> String {
        do { _ = try read(text, type); return "accepted" } catch { return "\(error)" }
    }

    func testEveryBoundaryOfEveryType() throws {
        XCTAssertEqual(try read("4294967295", UInt32.self), UInt32.max)
        XCTAssertEqual(try read("18446744073709551615", UInt64.self), UInt64.max)
        XCTAssertEqual(try read("9223372036854775807", Int64.self), Int64.max)
        XCTAssertEqual(try read("-9223372036854775808", Int64.self), Int64.min)
        XCTAssertEqual(try read("-2147483648", Int32.self), Int32.min)
        XCTAssertEqual(try read("-1", Int64.self), -1)
        for (text, type) in [("4294967296", UInt32.self as any FixedWidthInteger.Type), ("18446744073709551616", UInt64.self),
                             ("9223372036854775808", Int64.self), ("-9223372036854775809", Int64.self),
                             ("2147483648", Int32.self), ("-2147483649", Int32.self), ("65536", UInt16.self),
                             ("-1", UInt32.self), ("-1", UInt64.self)] {
            func check<T: FixedWidthInteger>(_ t: T.Type) {
                XCTAssertEqual(reason(text, t), "config.json: v: \(text) is out of range (\(T.min)...\(T.max))", "\(text) as \(t)")
            }
            check(type)
        }
    }

    /// The decided answers (Go's): 1e3 and 1.0 are not integers, -0 is 0
    /// when the field is signed and refused when it is not.
    func testNumberFormsAreGos() throws {
        XCTAssertEqual(reason("1e3", UInt32.self), "config.json: v: must be an integer, not 1e3")
        XCTAssertEqual(reason("1E3", Int64.self), "config.json: v: must be an integer, not 1E3")
        XCTAssertEqual(reason("1.0", UInt32.self), "config.json: v: must be an integer, not 1.0")
        XCTAssertEqual(reason("1.5", Int64.self), "config.json: v: must be an integer, not 1.5")
        XCTAssertEqual(reason("1e999", UInt64.self), "config.json: v: must be an integer, not 1e999")
        XCTAssertEqual(try read("-0", Int64.self), 0)
        XCTAssertEqual(reason("-0", UInt32.self), "config.json: v: must be an unsigned integer, not -0")
        XCTAssertEqual(reason("\"5\"", UInt32.self), "config.json: v: must be a number, not string")
    }

    func testAHugeNumberIsQuotedShort() {
        let digits = String(repeating: "9", count: 5000)
        let r = reason(digits, UInt64.self)
        XCTAssertTrue(r.hasPrefix("config.json: v: " + String(repeating: "9", count: 40) + "... is out of range"), r)
    }

    func assertRefused(_ edit: (inout JSON) -> Void, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        var j = Spec.defaultConfig(rootless: false)
        edit(&j)
        XCTAssertThrowsError(try Spec.parse(Array(j.serialized().utf8)), file: file, line: line) { e in
            XCTAssertTrue("\(e)".hasPrefix(expected), "\(e)", file: file, line: line)
        }
    }

    /// The values that trapped with "Double value cannot be converted".
    func testValuesThatTrappedAreErrorsWithTheirPath() {
        assertRefused({ $0[["process", "rlimits"]] = .array([.object([("type", .string("RLIMIT_NOFILE")), ("soft", .int(1)),
                                                                      ("hard", .number("18446744073709551616"))])]) },
                      "config.json: process.rlimits[0].hard: 18446744073709551616 is out of range")
        assertRefused({ $0[["linux", "resources", "memory"]] = .object([("limit", .number("9223372036854775808"))]) },
                      "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range")
        assertRefused({ $0[["linux", "resources", "pids"]] = .object([("limit", .number("9223372036854775808"))]) },
                      "config.json: linux.resources.pids.limit: 9223372036854775808 is out of range")
        assertRefused({ $0[["hooks"]] = .object([("prestart", .array([.object([("path", .string("/bin/true")), ("timeout", .int(2147484))])]))]) },
                      "config.json: hooks.prestart[0].timeout: 2147484 is above 2147483 seconds")
        assertRefused({ $0[["linux", "devices"]] = .array([.object([("path", .string("/dev/x")), ("type", .string("c")),
                                                                   ("major", .number("4294967297")), ("minor", .int(1))])]) },
                      "config.json: linux.devices[0].major: 4294967297 is out of range (0...4294967295)")
        assertRefused({ $0[["linux", "resources", "devices"]] = .array([.object([("allow", .bool(true)), ("major", .int(-2))])]) },
                      "config.json: linux.resources.devices[0].major: -2 is out of range (-1 for any")
    }

    func testTheKernelsNoIDIsRefused() {
        assertRefused({ $0[["process", "user", "uid"]] = .number("4294967295") }, "config.json: process.user.uid: 4294967295 is (uid_t)-1")
        assertRefused({ $0[["process", "user", "gid"]] = .number("4294967295") }, "config.json: process.user.gid: 4294967295 is (uid_t)-1")
        assertRefused({ $0[["process", "user", "additionalGids"]] = .array([.int(1), .number("4294967295")]) },
                      "config.json: process.user.additionalGids[1]: 4294967295 is (uid_t)-1")
    }

    func testSignalsCannotOverflow() {
        XCTAssertThrowsError(try Signals.parse("RTMIN+2147483647"))
        XCTAssertThrowsError(try Signals.parse("RTMAX-2147483647"))
        XCTAssertThrowsError(try Signals.parse("RTMIN+31"))
        XCTAssertEqual(try Signals.parse("RTMIN+30"), 64)
        XCTAssertEqual(try Signals.parse("RTMAX-30"), 34)
    }
}

extension JSON {
    /// A member at a path of keys, made on the way when set (for editing configs).
    subscript(path: [String]) -> JSON? {
        get { path.reduce(self as JSON?) { $0?[$1] } }
        set {
            guard let first = path.first else { return }
            if path.count == 1 { set(first, newValue); return }
            var child = self[first] ?? .object([])
            child[Array(path.dropFirst())] = newValue
            set(first, child)
        }
    }
}
