import Glibc
import XCTest
@testable import HakoRuntime

final class ClockTests: XCTestCase {
    /// hako's own UTC calendar against glibc's gmtime_r, over leap days,
    /// century years and the ends of months.
    func testRFC3339MatchesGmtime() {
        let moments: [Int64] = [0, 59, 86_399, 86_400, 951_782_400, 951_868_799, 951_868_800, 1_709_164_800,
                                1_709_251_199, 4_107_542_400, 1_798_761_599, 1_798_761_600, 2_147_483_647, 253_402_300_799]
        for t in moments + (0..<200).map({ Int64($0) * 15_778_463 + 12_345 }) {
            var seconds = time_t(t)
            var tm = tm()
            gmtime_r(&seconds, &tm)
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let year = String(tm.tm_year + 1900)
            let expected = String(repeating: "0", count: 4 - year.count) + year + "-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T"
                + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)).000000042Z"
            XCTAssertEqual(Clock.rfc3339(seconds: t, nanoseconds: 42), expected, "t = \(t)")
        }
    }
}
