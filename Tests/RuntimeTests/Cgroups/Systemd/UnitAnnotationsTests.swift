import XCTest
@testable import HakoRuntime

/// org.systemd.property.* annotations: the cases of runc's
/// TestInitSystemdProps, and hostile values, which are errors naming the
/// annotation, never traps.
final class UnitAnnotationsTests: XCTestCase {
    func one(_ name: String, _ value: String) throws -> (String, DBusValue) {
        try UnitAnnotations.property(name, value, path: "annotations.org.systemd.property." + name)
    }

    func testRuncsCases() throws {
        let good: [(String, String, String, DBusValue)] = [
            ("TimeoutStopUSec", "uint64 123456789", "TimeoutStopUSec", .uint64(123_456_789)),
            ("TimeoutStopSec", "456", "TimeoutStopUSec", .uint64(456_000_000)),
            ("TimeoutStopSec", "byte 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "int16 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "uint16 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "int32 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "uint32 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "int64 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "uint64 234", "TimeoutStopUSec", .uint64(234_000_000)),
            ("TimeoutStopSec", "234.789", "TimeoutStopUSec", .uint64(234_789_000)),
            ("FOOSec", "123", "FOOSec", .int32(123)),
            ("Sec", "123", "Sec", .int32(123)),
            ("CollectMode", "'inactive-or-failed'", "CollectMode", .string("inactive-or-failed")),
        ]
        for (name, value, wantName, want) in good {
            let (n, v) = try one(name, value)
            XCTAssertEqual(n, wantName, "\(name)=\(value)")
            XCTAssertEqual(v, want, "\(name)=\(value)")
        }
        for (name, value) in [("TimeoutStopSec", "false"), ("TimeoutStopSec", "'covfefe'"), ("Xo", "1"), ("Number1", "1"),
                              ("ValidName", "invalid-value")] {
            XCTAssertThrowsError(try one(name, value), "\(name)=\(value)") {
                XCTAssertTrue("\($0)".contains("annotations.org.systemd.property.\(name)"), "\($0)")
            }
        }
    }

    func testOtherForms() throws {
        XCTAssertEqual(try UnitAnnotations.parse("true"), .boolean(true))
        XCTAssertEqual(try UnitAnnotations.parse(" boolean false "), .boolean(false))
        XCTAssertEqual(try UnitAnnotations.parse("\"a b\""), .string("a b"))
        XCTAssertEqual(try UnitAnnotations.parse("'it\\'s'"), .string("it's"))
        XCTAssertEqual(try UnitAnnotations.parse("string 'x'"), .string("x"))
        XCTAssertEqual(try UnitAnnotations.parse("@t 5"), .uint64(5))
        XCTAssertEqual(try UnitAnnotations.parse("0x10"), .int32(16))
        XCTAssertEqual(try UnitAnnotations.parse("010"), .int32(8))
        XCTAssertEqual(try UnitAnnotations.parse("-7"), .int32(-7))
        XCTAssertEqual(try UnitAnnotations.parse("int64 -9223372036854775808"), .int64(Int64.min))
        XCTAssertEqual(try UnitAnnotations.parse("uint64 18446744073709551615"), .uint64(UInt64.max))
        XCTAssertEqual(try UnitAnnotations.parse("objectpath '/a/b'"), .objectPath("/a/b"))
    }

    func testHostileValuesAreErrorsNamingTheAnnotation() {
        let bad = ["", " ", "'", "'a", "'a'b'", "'a\\q'", "'a\u{0}'", "uint64 -1", "byte 256", "int32 2147483648",
                   "99999999999999999999999", "double nan", "double inf", "@v 5", "@ay 'x'", "@", "uint64", "boolean 1",
                   "string 5", "objectpath 'a//b'", "signature '(('", "[1, 2]", "1 2", "--1", "0x", "1e999", "int16 0x10000"]
        for value in bad {
            XCTAssertThrowsError(try one("CollectMode", value), value) {
                XCTAssertTrue("\($0)".contains("annotations.org.systemd.property.CollectMode"), "\($0)")
            }
        }
        for value in ["-1", "uint64 18446744073709551615", "1e300", "-0.5", "int64 -1"] {
            XCTAssertThrowsError(try one("TimeoutStopSec", value), value)
        }
        for name in ["", "Ab", "Tïmeout", "Time-out", "Time out", "CPUQuota%"] {
            XCTAssertThrowsError(try one(name, "1"), name)
        }
    }

    func testOnlyThePrefixedAnnotationsCountInTheirOrder() throws {
        let props = try UnitAnnotations.properties([
            ("some.other.annotation", "0"), ("org.systemd.property.CollectMode", "'inactive-or-failed'"),
            ("org.systemd.property.TimeoutStopSec", "1"),
        ])
        XCTAssertEqual(props, [
            .structure([.string("CollectMode"), .variant(.string("inactive-or-failed"))]),
            .structure([.string("TimeoutStopUSec"), .variant(.uint64(1_000_000))]),
        ])
        XCTAssertThrowsError(try UnitAnnotations.properties([("org.systemd.property.", "1")]))
    }

    /// A property systemd refuses at StartTransientUnit is blamed on its annotation.
    func testSystemdsRefusalNamesTheAnnotation() throws {
        let annotations = [("org.systemd.property.CollectMode", "'inactive'"), ("org.systemd.property.BogusSec", "1")]
        let refusal = DBusCallError(member: "StartTransientUnit", name: "org.freedesktop.DBus.Error.PropertyReadOnly",
                                    text: "Cannot set property BogusUSec, or unknown property.")
        let blamed = try XCTUnwrap(UnitAnnotations.blamed(refusal, in: annotations))
        XCTAssertEqual(blamed.path, "annotations.org.systemd.property.BogusSec")
        let other = DBusCallError(member: "StartTransientUnit", name: "x", text: "Unit hako-x.scope was already loaded")
        XCTAssertNil(UnitAnnotations.blamed(other, in: annotations))
    }
}
