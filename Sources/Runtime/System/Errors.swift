// Typed errors. Every error a user sees says where it came from: the config
// path, the file, or the syscall and its errno.
import Glibc

/// A problem in config.json, named by its JSON path.
public struct SpecError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// The document the path is in: config.json, or update's resources.
    public let document: String
    public init(_ path: String, _ reason: String, document: String = "config.json") {
        self.path = path
        self.reason = reason
        self.document = document
    }
    public var description: String { "\(document): \(path.isEmpty ? "" : path + ": ")\(reason)" }
}

/// A failed system call, with what it was doing.
public struct SystemError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public init(_ operation: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.errno = errno
    }
    public var description: String { "\(operation): \(SystemError.describe(errno))" }
    public static func describe(_ e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cText: s)
    }
}

/// A failure of the runtime's own logic (bad state, bad arguments, ...).
public struct RuntimeError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
