// Turns the C convention (-1 and errno) into thrown errors with context.
import CNamespaces
import Glibc

@discardableResult
@inline(__always)
public func sys(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if result < 0 { throw SystemError(operation()) }
    return result
}

/// Retries a call interrupted by a signal.
@inline(__always)
public func retryEINTR(_ body: () -> Int32) -> Int32 {
    var r: Int32
    repeat { r = body() } while r < 0 && errno == EINTR
    return r
}

/// A pair of connected SOCK_SEQPACKET sockets: messages keep their boundaries.
public func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    try sys(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds), "socketpair")
    return (fds[0], fds[1])
}
