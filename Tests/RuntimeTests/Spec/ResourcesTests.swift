import XCTest
@testable import HakoRuntime

/// linux.resources as read: the zeros runc skips are unset, the others kept.
final class ResourcesTests: XCTestCase {
    func resources(_ text: String) throws -> Resources {
        try Resources(Field(try JSON.parse(text), path: "linux.resources"))
    }

    func testDockersZerosAreUnset() throws {
        let r = try resources("""
            {"memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0, "disableOOMKiller": false},
             "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""},
             "pids": {"limit": 0},
             "blockIO": {"weight": 0, "leafWeight": 0, "weightDevice": [{"major": 8, "minor": 0, "weight": 0}]},
             "network": {"classID": 0}}
            """)
        XCTAssertNil(r.memory)
        XCTAssertNil(r.cpu)
        XCTAssertNil(r.pids)
        XCTAssertNil(r.blockIO)
        XCTAssertNil(r.network)
        XCTAssertFalse(r.hasLimits)
    }

    func testMeaningfulZerosStay() throws {
        let r = try resources("""
            {"memory": {"limit": 1048576, "swappiness": 0}, "cpu": {"shares": 512, "burst": 0, "idle": 0},
             "pids": {"limit": -1},
             "blockIO": {"weight": 0, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 0}]}}
            """)
        XCTAssertEqual(r.memory?.limit, 1_048_576)
        XCTAssertEqual(r.memory?.swappiness, 0)
        XCTAssertEqual(r.cpu?.shares, 512)
        XCTAssertEqual(r.cpu?.burst, 0)
        XCTAssertEqual(r.cpu?.idle, 0)
        XCTAssertEqual(r.pids, -1)
        XCTAssertNil(r.blockIO?.weight)
        XCTAssertEqual(r.blockIO?.throttleReadBpsDevice.first?.rate, 0)
    }

    func testSwappinessMinusOneIsUnset() throws {
        XCTAssertNil(try resources(#"{"memory": {"limit": 1048576, "swappiness": -1}}"#).memory?.swappiness)
        XCTAssertNil(try resources(#"{"memory": {"limit": 1048576, "swappiness": 18446744073709551615}}"#).memory?.swappiness)
    }
}
