// POSIX rlimit names and their Linux resource numbers.

public struct RlimitType: Equatable {
    public let name: String
    public let resource: Int32

    static let table: [String] = [
        "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
        "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
        "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
    ]

    public init?(name: String) {
        guard let n = RlimitType.table.firstIndex(of: name) else { return nil }
        self.name = name
        resource = Int32(n)
    }
}
