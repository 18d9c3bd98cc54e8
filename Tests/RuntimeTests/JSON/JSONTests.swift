import XCTest
@testable import HakoRuntime

final class JSONTests: XCTestCase {
    func testParsesEveryKindOfValue() throws {
        let j = try JSON.parse(#"{"a": [1, -2.5e3, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}}"#)
        XCTAssertEqual(j["a"], .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        XCTAssertEqual(j["b"]?["c"], .string("d\né😀"))
    }

    func testKeepsLargeIntegersExactly() throws {
        let j = try JSON.parse(#"{"v": 18446744073709551615}"#)
        XCTAssertEqual(try Field(j).required("v").integer(UInt64.self), UInt64.max)
    }

    func testRoundTripsThroughTheWriter() throws {
        let text = #"{"s":"quote\" back\\ tab\t ctl\u0001","n":[1,2],"o":{}}"#
        let j = try JSON.parse(text)
        XCTAssertEqual(j.serialized(), text)
        XCTAssertEqual(try JSON.parse(j.serialized(indent: "  ")), j)
    }

    func testRejectsMalformedInputWithALine() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "\"abc", "{} x", "[\"\u{01}\"]", "tru", "-"] {
            XCTAssertThrowsError(try JSON.parse(bad), bad) { e in
                XCTAssertTrue(e is JSONSyntaxError, "\(bad): \(e)")
            }
        }
        XCTAssertThrowsError(try JSON.parse("{\n\"a\": ?}")) { e in
            XCTAssertEqual((e as? JSONSyntaxError)?.line, 2)
        }
    }

    func testRefusesDeepNesting() {
        let deep = String(repeating: "[", count: 10000) + String(repeating: "]", count: 10000)
        XCTAssertThrowsError(try JSON.parse(deep))
    }

    func testSetReplacesMembers() {
        var j = JSON.object([("a", .int(1))])
        j.set("a", .int(2))
        j.set("b", .string("x"))
        XCTAssertEqual(j.serialized(), #"{"a":2,"b":"x"}"#)
    }
}
