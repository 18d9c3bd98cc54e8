// The conversation between `hako create` (the runtime) and the container's
// init over a SOCK_SEQPACKET pair. Each message is one packet.
//
//   runtime -> init  mount:K   (with a descriptor) the idmapped mount for mounts[K]
//   runtime -> init  go        cgroup joined, id maps written: continue
//   init -> runtime  hooks     mounts done, before pivot_root: run prestart/createRuntime
//   runtime -> init  ok        hooks done
//   init -> runtime  pid:N     (an init joining a pid namespace, PodInit.swift)
//                              its first stage cloned the real init, pid N
//   init -> runtime  ready     waiting for start
//   runtime -> init  start     (run only) go ahead and exec
//   either way       error:... what failed; the sender then exits
// `exec` reuses go, ready and error with the process it starts.
import CNamespaces
import Glibc

public enum SyncMessage: Equatable {
    case go, hooks, ok, ready, start
    case mount(Int)
    case pid(Int32)
    case error(String)

    var text: String {
        switch self {
        case .go: return "go"
        case .hooks: return "hooks"
        case .ok: return "ok"
        case .ready: return "ready"
        case .start: return "start"
        case let .mount(k): return "mount:\(k)"
        case let .pid(p): return "pid:\(p)"
        case let .error(m): return "error:" + m
        }
    }

    init(text: String) {
        switch text {
        case "go": self = .go
        case "hooks": self = .hooks
        case "ok": self = .ok
        case "ready": self = .ready
        case "start": self = .start
        case _ where text.hasBytePrefix("mount:") && Int(text.dropFirst(6)) != nil: self = .mount(Int(text.dropFirst(6))!)
        case _ where text.hasBytePrefix("pid:") && Int32(text.dropFirst(4)) != nil: self = .pid(Int32(text.dropFirst(4))!)
        default: self = .error(text.hasBytePrefix("error:") ? String(text.dropFirst(6)) : "unexpected message \(text)")
        }
    }
}

public struct SyncChannel {
    public let fd: Int32

    public func send(_ m: SyncMessage) throws {
        let bytes = Array(m.text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0 { throw SystemError("sync send") }
    }

    /// A message with a descriptor attached.
    public func send(_ m: SyncMessage, passing descriptor: Int32) throws {
        let text = m.text
        if hk_send_fd(fd, descriptor, text, text.utf8.count) < 0 { throw SystemError("sync send") }
    }

    /// The next message, or nil when the other side is gone.
    public func receive() throws -> SyncMessage? {
        let (m, passed) = try receiveWithDescriptor()
        if let passed { close(passed) }
        return m
    }

    /// The next message and the descriptor sent with it, if any.
    public func receiveWithDescriptor() throws -> (SyncMessage?, Int32?) {
        var buf = [UInt8](repeating: 0, count: 65536)
        var passed: Int32 = -1
        let n = buf.withUnsafeMutableBytes { b in
            hk_recv_msg_fd(fd, b.baseAddress!.assumingMemoryBound(to: CChar.self), b.count, &passed)
        }
        if n < 0 { throw SystemError("sync receive") }
        if n == 0 { return (nil, passed >= 0 ? passed : nil) }
        return (SyncMessage(text: String(decoding: buf[0..<Int(n)], as: UTF8.self)), passed >= 0 ? passed : nil)
    }

    /// Waits for `expected`; an error message or EOF becomes a thrown error.
    public func expect(_ expected: SyncMessage, from who: String) throws {
        switch try receive() {
        case expected?: return
        case let .error(m)?: throw RuntimeError(m)
        case nil: throw RuntimeError("\(who) exited unexpectedly")
        case let other?: throw RuntimeError("\(who): expected \(expected.text), got \(other.text)")
        }
    }
}
