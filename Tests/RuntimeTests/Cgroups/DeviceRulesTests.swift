import XCTest
@testable import HakoRuntime

/// The device cgroup alone decides access: linux.devices adds no rule.
final class DeviceRulesTests: XCTestCase {
    func testListedNodesAreNotAllowedByBeingListed() throws {
        let denyAll = Resources.DeviceRule(allow: false, type: nil, major: nil, minor: nil, access: "rwm")
        let rules = Resources.DeviceRule.effective(config: [denyAll])
        XCTAssertEqual(rules.map(\.v1Text), ["a *:* rwm", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",
                                             "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"])
        XCTAssertFalse(rules.contains { $0.allow && $0.major == 1 && $0.minor == 11 }, "/dev/kmsg is never allowed by default")
    }
}
