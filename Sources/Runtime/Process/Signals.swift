// Signal names as `kill` accepts them: TERM, SIGTERM, 15, RTMIN+3.

public enum Signals {
    static let names: [(String, Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7),
        ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14),
        ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20),
        ("TTIN", 21), ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27),
        ("WINCH", 28), ("IO", 29), ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]
    static let rtmin: Int32 = 34, rtmax: Int32 = 64

    /// `allowZero`: kill's signal 0, which only asks whether the process is alive.
    public static func parse(_ text: String, allowZero: Bool = false) throws -> Int32 {
        if let n = Int32(text) {
            guard n > 0 || (n == 0 && allowZero), n <= rtmax else { throw RuntimeError("invalid signal number \(text)") }
            return n
        }
        var name = text.uppercased()
        if name.hasBytePrefix("SIG") { name.removeFirst(3) }
        if let hit = names.first(where: { $0.0 == name }) { return hit.1 }
        for (base, value, sign) in [("RTMIN", rtmin, Int32(1)), ("RTMAX", rtmax, Int32(-1))] where name.hasBytePrefix(base) {
            let rest = name.dropFirst(base.count)
            if rest.isEmpty { return value }
            // The offset is bounded before any arithmetic: RTMIN+2147483647 must not overflow.
            if let off = Int32(rest.dropFirst()), (rest.first == "+" && sign == 1) || (rest.first == "-" && sign == -1),
               off >= 0, off <= rtmax - rtmin {
                return value + sign * off
            }
        }
        throw RuntimeError("unknown signal \"\(text)\"")
    }
}
