import XCTest
@testable import HakoRuntime

/// linux.resources as unit properties, with runc's conversions, and what
/// is refused before the unit starts (naming the field).
final class UnitPropertiesTests: XCTestCase {
    func prop(_ name: String, _ v: DBusValue) -> DBusValue { .structure([.string(name), .variant(v)]) }
    func resources(_ members: [(String, JSON)]) throws -> Resources { try Resources(Field(.object(members))) }
    let field = UnitProperties.Field(prefix: "linux.resources")

    func testSharesBecomeRuncsLinearWeight() throws {
        for (shares, weight): (UInt64, UInt64) in [(2, 1), (1024, 39), (262_144, 10_000), (1, 1)] {
            let r = try resources([("cpu", .object([("shares", .int(Int64(shares)))]))])
            XCTAssertEqual(try UnitProperties.of(r, prefix: ""), [prop("CPUWeight", .uint64(weight))], "shares \(shares)")
        }
        let tooMany = try resources([("cpu", .object([("shares", .int(300_000))]))])
        XCTAssertThrowsError(try UnitProperties.of(tooMany, prefix: "linux.resources")) {
            XCTAssertTrue("\($0)".contains("linux.resources.cpu.shares"), "\($0)")
        }
    }

    func testQuotaIsRoundedUpToWholePercentsAsRuncDoes() throws {
        let exact = try UnitProperties.cpuQuota(quota: 50_000, period: 100_000, field: field)
        XCTAssertEqual(exact.properties.map { $0.0 }, ["CPUQuotaPeriodUSec", "CPUQuotaPerSecUSec"])
        XCTAssertEqual(exact.properties.map { $0.1 }, [.uint64(100_000), .uint64(500_000)])
        XCTAssertEqual(exact.quota, 50_000)
        let between = try UnitProperties.cpuQuota(quota: 12_345, period: 100_000, field: field)
        XCTAssertEqual(between.properties.last?.1, .uint64(130_000))
        XCTAssertEqual(between.quota, 13_000, "the files get the quota systemd sets")
        let noPeriod = try UnitProperties.cpuQuota(quota: 25_000, period: nil, field: field)
        XCTAssertEqual(noPeriod.properties.map { $0.0 }, ["CPUQuotaPerSecUSec"], "the default period is assumed, not sent")
        XCTAssertEqual(noPeriod.properties[0].1, .uint64(250_000))
    }

    func testNoQuotaIsInfinityAndNothingIsNothing() throws {
        XCTAssertEqual(try UnitProperties.cpuQuota(quota: -1, period: nil, field: field).properties.map { $0.1 }, [.uint64(UInt64.max)])
        XCTAssertEqual(try UnitProperties.cpuQuota(quota: 0, period: 50_000, field: field).properties.map { $0.1 },
                       [.uint64(50_000), .uint64(UInt64.max)])
        XCTAssertTrue(try UnitProperties.cpuQuota(quota: 0, period: nil, field: field).properties.isEmpty)
    }

    func testAQuotaTooBigForSystemdIsRefusedNotTrapped() {
        XCTAssertThrowsError(try UnitProperties.cpuQuota(quota: Int64.max, period: 1, field: field)) {
            XCTAssertTrue("\($0)".contains("linux.resources.cpu.quota"), "\($0)")
        }
        XCTAssertThrowsError(try UnitProperties.cpuQuota(quota: Int64.max, period: 100_000, field: field))
        // Near the edge, rounded without overflow.
        XCTAssertEqual(try UnitProperties.cpuQuota(quota: Int64.max / 1_000_000, period: 3, field: field).quota, 9_223_372_036_854)
    }

    func testRoundedResourcesCarryTheRoundedQuota() throws {
        let r = try resources([("cpu", .object([("quota", .int(12_345)), ("period", .int(100_000))]))])
        XCTAssertEqual(UnitProperties.rounded(r)?.cpu?.quota, 13_000)
        let keep = try resources([("cpu", .object([("quota", .int(-1))]))])
        XCTAssertEqual(UnitProperties.rounded(keep)?.cpu?.quota, -1)
        XCTAssertEqual(UnitProperties.rounded(try resources([("cpu", .object([("quota", .int(12_345))]))]), current: (-1, 50_000))?.cpu?.quota, 12_500,
                       "a quota without a period is rounded against the period in force")
    }

    func testCpusetListsBecomeRuncsBitMasks() throws {
        let cases: [(String, [UInt8])] = [("0", [0x01]), ("0-2,7", [0x87]), ("8", [0x00, 0x01]), ("1,3-5", [0x3A]),
                                          (" 0 , ,2", [0x05]), ("0-15", [0xFF, 0xFF]), ("2,2", [0x04])]
        for (list, mask) in cases {
            XCTAssertEqual(try UnitProperties.bits(list, field: "cpu.cpus"), mask, list)
        }
        for bad in ["", ",", "3-1", "a", "-1", "1-", "1-2-3", "0-70000", "99999999999999999999", "1 -2", "+1"] {
            XCTAssertThrowsError(try UnitProperties.bits(bad, field: "linux.resources.cpu.cpus"), bad) {
                XCTAssertTrue("\($0)".contains("linux.resources.cpu.cpus"), "\($0)")
            }
        }
    }

    func testSwapIsMemoryPlusSwapMinusMemory() throws {
        XCTAssertEqual(try UnitProperties.swapMax(swap: 200, memory: 100, field), 100)
        XCTAssertEqual(try UnitProperties.swapMax(swap: -1, memory: 100, field), UInt64.max)
        XCTAssertEqual(try UnitProperties.swapMax(swap: nil, memory: -1, field), UInt64.max, "unlimited memory, unlimited swap")
        XCTAssertEqual(try UnitProperties.swapMax(swap: 300, memory: -1, field), 300)
        XCTAssertNil(try UnitProperties.swapMax(swap: nil, memory: 100, field))
        XCTAssertNil(try UnitProperties.swapMax(swap: 0, memory: 100, field), "0 is unset, as runc says")
        XCTAssertThrowsError(try UnitProperties.swapMax(swap: 50, memory: 100, field)) {
            XCTAssertTrue("\($0)".contains("linux.resources.memory.swap"), "\($0)")
        }
        XCTAssertThrowsError(try UnitProperties.swapMax(swap: 200, memory: nil, field))
    }

    func testMemoryCpuAndPidsTogether() throws {
        let r = try resources([
            ("memory", .object([("limit", .int(67_108_864)), ("reservation", .int(33_554_432)), ("swap", .int(134_217_728))])),
            ("cpu", .object([("shares", .int(1024)), ("quota", .int(20_000)), ("period", .int(100_000)), ("cpus", .string("0"))])),
            ("pids", .object([("limit", .int(-1))])),
        ])
        XCTAssertEqual(try UnitProperties.of(r, prefix: "linux.resources"), [
            prop("MemoryMax", .uint64(67_108_864)), prop("MemoryLow", .uint64(33_554_432)), prop("MemorySwapMax", .uint64(67_108_864)),
            prop("CPUWeight", .uint64(39)), prop("CPUQuotaPeriodUSec", .uint64(100_000)), prop("CPUQuotaPerSecUSec", .uint64(200_000)),
            prop("AllowedCPUs", .array(.byte, [.byte(1)])), prop("TasksMax", .uint64(UInt64.max)),
        ])
        XCTAssertEqual(try UnitProperties.of(nil, prefix: ""), [])
        XCTAssertEqual(try UnitProperties.of(try resources([("memory", .object([("limit", .int(0))]))]), prefix: ""), [])
    }

    func testUnifiedKeysSystemdKnowsBecomeProperties() throws {
        let entries = [("memory.max", " max\n"), ("pids.max", "0"), ("cpu.max", "25000"), ("cpuset.cpus", "0-1"),
                       ("io.max", "8:0 rbps=1"), ("memory.low", "4096"), ("cpu.weight", "100")]
        XCTAssertEqual(try UnitProperties.unified(entries, field).map { $0.0 },
                       ["MemoryMax", "TasksMax", "CPUQuotaPeriodUSec", "CPUQuotaPerSecUSec", "AllowedCPUs", "MemoryLow", "CPUWeight"])
        XCTAssertEqual(try UnitProperties.unified(entries, field).map { $0.1 },
                       [.uint64(UInt64.max), .uint64(1), .uint64(100_000), .uint64(250_000), .array(.byte, [.byte(3)]), .uint64(4096), .uint64(100)])
        XCTAssertEqual(try UnitProperties.unified([("cpu.max", "max 50000")], field).map { $0.1 }, [.uint64(50_000), .uint64(UInt64.max)])
        for (key, bad) in [("cpu.max", "x"), ("cpu.max", "1 2 3"), ("cpu.max", ""), ("cpu.weight", "0"), ("cpu.weight", "10001"),
                           ("memory.max", "-1"), ("pids.max", "lots"), ("cpuset.mems", "")] {
            XCTAssertThrowsError(try UnitProperties.unified([(key, bad)], field), "\(key)=\(bad)") {
                XCTAssertTrue("\($0)".contains("linux.resources.unified.\(key)"), "\($0)")
            }
        }
    }

    /// update gives systemd both halves of cpu.max: the one it leaves out
    /// is the one in force.
    func testAnUpdateOfOneHalfOfCpuMaxKeepsTheOther() throws {
        let periodOnly = try resources([("cpu", .object([("period", .int(50_000))]))])
        XCTAssertEqual(try UnitProperties.of(periodOnly, prefix: "", current: (20_000, 100_000)),
                       [prop("CPUQuotaPeriodUSec", .uint64(50_000)), prop("CPUQuotaPerSecUSec", .uint64(400_000))])
        XCTAssertEqual(try UnitProperties.of(periodOnly, prefix: "", current: (-1, 100_000)),
                       [prop("CPUQuotaPeriodUSec", .uint64(50_000)), prop("CPUQuotaPerSecUSec", .uint64(UInt64.max))])
        let quotaOnly = try resources([("cpu", .object([("quota", .int(10_000))]))])
        XCTAssertEqual(try UnitProperties.of(quotaOnly, prefix: "", current: (-1, 50_000)),
                       [prop("CPUQuotaPeriodUSec", .uint64(50_000)), prop("CPUQuotaPerSecUSec", .uint64(200_000))])
        XCTAssertEqual(try UnitProperties.of(quotaOnly, prefix: ""), [prop("CPUQuotaPerSecUSec", .uint64(100_000))],
                       "at create the default period is assumed, as runc does")
    }
}
