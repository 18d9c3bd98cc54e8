// Logging in runc's formats. Engines read `--log FILE --log-format json` and
// show the last error line to their users, so its shape matters.
import Glibc

public struct Logger {
    public enum Format { case text, json }
    public enum Level: String { case debug, info, warning, error }

    let fd: Int32?
    /// Whether warnings and debug lines go to stderr when there is no file.
    var toStderr = true
    let format: Format
    public let debugEnabled: Bool
    /// --trace: when the command started (monotonic microseconds); each
    /// step then prints its offset from it to stderr.
    public let traceOrigin: Int64?
    /// HAKO_FAIL_AT: the step at which create fails on purpose, so tests can
    /// prove that a create failing at any step leaves nothing behind.
    public let failAt: String?

    public init(path: String?, format: Format, debug: Bool, traceOrigin: Int64? = nil, failAt: String? = nil) {
        var fd: Int32? = nil
        if let path {
            let f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if f >= 0 { fd = f }
        }
        self.fd = fd
        self.format = format
        self.debugEnabled = debug
        self.traceOrigin = traceOrigin
        self.failAt = failAt
    }

    /// A named step of create: traced, and the place a test can make fail.
    public func step(_ name: StaticString) throws {
        trace("step \(name)")
        if let failAt, failAt == "\(name)" { throw RuntimeError("failing at step \"\(name)\" (HAKO_FAIL_AT)") }
    }

    /// A step of the --trace timeline: "hako trace: 1234 +567us clone".
    @inline(__always)
    public func trace(_ step: @autoclosure () -> String) {
        guard let origin = traceOrigin else { return }
        let line = "hako trace: \(getpid()) +\(Clock.micros() - origin)us \(step())\n"
        try? Files.writeAll(2, Array(line.utf8), "stderr")
    }

    public static let silent = Logger(path: nil, format: .text, debug: false)

    /// For a process that stands in the container, which must hold none of
    /// the host's descriptors (CloneInside): no file, and nothing on stderr,
    /// which is the container's process's. Its errors reach hako over the
    /// sync channel; warnings are hako's to give before the clone.
    func withoutFile() -> Logger {
        var l = Logger(path: nil, format: format, debug: debugEnabled, traceOrigin: traceOrigin, failAt: failAt)
        l.toStderr = false
        return l
    }

    public func debug(_ msg: @autoclosure () -> String) {
        guard debugEnabled else { return }
        emit(.debug, msg())
    }
    public func warn(_ msg: String) { emit(.warning, msg) }
    public func error(_ msg: String) {
        emit(.error, msg)
        // The user sees errors on stderr whatever the log file says.
        let line = Array("hako: \(msg)\n".utf8)
        try? Files.writeAll(2, line, "stderr")
    }

    func emit(_ level: Level, _ msg: String) {
        let line: String
        switch format {
        case .json:
            line = JSON.object([("level", .string(level.rawValue)), ("msg", .string(msg)),
                                ("time", .string(Clock.rfc3339Now()))]).serialized() + "\n"
        case .text:
            var quoted = ""
            JSON.writeString(msg, to: &quoted)
            line = "time=\"\(Clock.rfc3339Now())\" level=\(level.rawValue) msg=\(quoted)\n"
        }
        if let fd {
            try? Files.writeAll(fd, Array(line.utf8), "log")
        } else if level != .error, toStderr {
            try? Files.writeAll(2, Array(line.utf8), "stderr")
        }
    }
}
