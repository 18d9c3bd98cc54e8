import XCTest
@testable import HakoRuntime

/// Ids the new user namespace cannot map are refused at create (and check).
final class IDsTests: XCTestCase {
    func reason(uid: Int, gid: Int, groups: [Int] = []) -> String {
        var j = Spec.defaultConfig(rootless: false)
        j[["process", "user"]] = .object([("uid", .int(uid)), ("gid", .int(gid)), ("additionalGids", .array(groups.map { .int($0) }))])
        guard case let .array(ns)? = j[["linux", "namespaces"]] else { return "no namespaces" }
        j[["linux", "namespaces"]] = .array(ns + [.object([("type", .string("user"))])])
        let map = JSON.array([.object([("containerID", .int(0)), ("hostID", .int(100000)), ("size", .int(1000))]),
                              .object([("containerID", .int(5000)), ("hostID", .int(200000)), ("size", .int(1))])])
        j[["linux", "uidMappings"]] = map
        j[["linux", "gidMappings"]] = map
        do { try UserNamespace.validateIDs(try Spec.parse(Array(j.serialized().utf8))); return "accepted" } catch { return "\(error)" }
    }

    func testIdsMustLieInTheMaps() {
        XCTAssertEqual(reason(uid: 0, gid: 999, groups: [5000]), "accepted")
        XCTAssertEqual(reason(uid: 1000, gid: 0), "config.json: process.user.uid: 1000 is not mapped by linux.uidMappings in the new user namespace")
        XCTAssertEqual(reason(uid: 5000, gid: 5001), "config.json: process.user.gid: 5001 is not mapped by linux.gidMappings in the new user namespace")
        XCTAssertEqual(reason(uid: 0, gid: 0, groups: [1, 4999]),
                       "config.json: process.user.additionalGids[1]: 4999 is not mapped by linux.gidMappings in the new user namespace")
    }
}
