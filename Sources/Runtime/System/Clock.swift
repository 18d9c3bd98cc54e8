// Timestamps in RFC 3339 with nanoseconds, UTC, as runc's state and logs use.
import Glibc

public enum Clock {
    public static func rfc3339Now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return rfc3339(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    /// UTC date and time of a moment since the epoch. Computed here rather
    /// than with gmtime_r, which in glibc first loads /etc/localtime.
    public static func rfc3339(seconds: Int64, nanoseconds: Int64) -> String {
        var days = seconds / 86_400
        var time = seconds % 86_400
        if time < 0 { time += 86_400; days -= 1 }
        // Civil date from a day count, in 400-year eras of 146097 days that
        // start on March 1st (so the leap day ends a year).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(decimal: v)
            return String(repeating: "0", count: max(0, n - s.utf8.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(time / 3600, 2)):\(pad(time / 60 % 60, 2)):\(pad(time % 60, 2))."
            + pad(nanoseconds, 9) + "Z"
    }

    /// Monotonic microseconds, for --trace.
    public static func micros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
