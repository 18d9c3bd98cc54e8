import XCTest
@testable import HakoRuntime

/// The conversions of v1-shaped spec fields to cgroup v2 files, as runc's
/// docs/cgroup-v2.md gives them; no cgroup needed.
final class V2Tests: XCTestCase {
    func testSharesToWeightIsRuncsLinearMap() {
        XCTAssertEqual(V2.weight(shares: 0), 0, "0 is unset")
        XCTAssertEqual(V2.weight(shares: 2), 1)
        XCTAssertEqual(V2.weight(shares: 1), 1, "below the v1 minimum is the minimum")
        XCTAssertEqual(V2.weight(shares: 1024), 39, "the v1 default")
        XCTAssertEqual(V2.weight(shares: 262_144), 10_000)
    }

    func testHugeSharesDoNotOverflow() {
        XCTAssertGreaterThan(V2.weight(shares: .max), 10_000, "left for the kernel to refuse, naming the field")
    }

    func testBlkioWeightToIOWeight() {
        XCTAssertEqual(V2.ioWeight(0), 0, "0 is unset")
        XCTAssertEqual(V2.ioWeight(10), 1)
        XCTAssertEqual(V2.ioWeight(5), 1, "below the v1 minimum is the minimum")
        XCTAssertEqual(V2.ioWeight(500), 4950)
        XCTAssertEqual(V2.ioWeight(1000), 10_000)
    }
}
