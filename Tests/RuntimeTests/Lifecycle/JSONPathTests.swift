import XCTest
@testable import HakoRuntime

// Check's paths as errors name them (Lifecycle/Check.swift, JSONPath): a key
// may itself hold dots, and value, replace and remove must agree on which
// member a path goes through.
final class JSONPathTests: XCTestCase {
    let tree = try! JSON.parse(#"{"linux": {"sysctl": {"net.ipv4.ip_forward": "1", "net": "x"}, "a": [{"b": 1}, {"b": 2}]}}"#)

    func testADottedKeyIsOneStep() {
        XCTAssertEqual(JSONPath.value(at: "linux.sysctl.net.ipv4.ip_forward", in: tree), .string("1"))
        XCTAssertEqual(JSONPath.value(at: "linux.sysctl.net", in: tree), .string("x"))
    }

    func testValueReplaceAndRemoveTakeTheSameMember() throws {
        let path = "linux.sysctl.net.ipv4.ip_forward"
        let replaced = try XCTUnwrap(JSONPath.replace(path, in: tree, with: .string("0")))
        XCTAssertEqual(JSONPath.value(at: path, in: replaced), .string("0"))
        XCTAssertEqual(JSONPath.value(at: "linux.sysctl.net", in: replaced), .string("x"))
        let removed = try XCTUnwrap(JSONPath.remove(path, from: tree)).tree
        XCTAssertNil(JSONPath.value(at: path, in: removed))
        XCTAssertEqual(JSONPath.value(at: "linux.sysctl.net", in: removed), .string("x"))
    }

    func testOfDuplicateKeysTheLastCounts() throws {
        let dup = try JSON.parse(#"{"k": 1, "k": 2}"#)
        XCTAssertEqual(JSONPath.value(at: "k", in: dup), .int(2))
        let replaced = try XCTUnwrap(JSONPath.replace("k", in: dup, with: .int(3)))
        XCTAssertEqual(JSONPath.value(at: "k", in: replaced), .int(3))
    }

    func testRemovingAnArrayElementSaysWhich() throws {
        let r = try XCTUnwrap(JSONPath.remove("linux.a[1].b", from: tree))
        XCTAssertNil(r.removedIndex)
        let e = try XCTUnwrap(JSONPath.remove("linux.a[0]", from: tree))
        XCTAssertEqual(e.removedIndex?.array, "linux.a")
        XCTAssertEqual(e.removedIndex?.index, 0)
    }

    func testAPathThroughNothingIsNil() {
        XCTAssertNil(JSONPath.value(at: "linux.nothing", in: tree))
        XCTAssertNil(JSONPath.replace("linux.a[0].b", in: tree, with: .null))
        XCTAssertNil(JSONPath.remove("linux.nothing", from: tree))
    }
}
