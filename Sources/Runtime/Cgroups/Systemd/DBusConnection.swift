// A connection to a D-Bus message bus over a unix socket: SASL EXTERNAL
// authentication, Hello, method calls that wait for their reply, and bounded
// waits for signals. Every wait has a deadline (poll with a timeout), so a
// bus that stops answering makes hako fail with an error, never hang.
import Glibc

public final class DBusConnection {
    let fd: Int32
    /// Bytes read and not yet consumed as a message.
    private var input: [UInt8] = []
    private var nextSerial: UInt32 = 1
    /// Signals that arrived while a call waited for its reply, oldest first.
    private var signals: [DBusMessage] = []
    /// The name the bus gave this connection in its reply to Hello.
    public private(set) var uniqueName: String?

    /// A bound to the signals kept: a bus that floods hako costs memory no further.
    static let maxQueuedSignals = 1024

    /// Takes ownership of a connected stream socket (tests hand it one end of a socketpair).
    init(descriptor: Int32) { fd = descriptor }

    deinit { close(fd) }

    /// Connects to the socket at `path` and authenticates; Hello is left to
    /// the caller (hello()). Sends and connect are bounded by `timeout`.
    public convenience init(path: String, timeout: Int = 5000) throws {
        self.init(descriptor: try DBusConnection.connectSocket(path, timeout: timeout))
        try authenticate(uid: getuid(), timeout: timeout)
    }

    /// The system bus's socket: DBUS_SYSTEM_BUS_ADDRESS's first unix:path=,
    /// else the specification's default.
    public static func systemBusPath(address: String?) -> String {
        if let address, let path = unixPath(in: address) { return path }
        return "/run/dbus/system_bus_socket"
    }
}

// MARK: calls

extension DBusConnection {
    /// Registers with the bus (org.freedesktop.DBus.Hello), which every
    /// connection must do before anything else; returns the unique name.
    @discardableResult
    public func hello(timeout: Int = 5000) throws -> String {
        let reply = try call(.bus(member: "Hello"), timeout: timeout)
        guard let name = reply.firstText else { throw DBusError("Hello's reply has no name") }
        uniqueName = name
        return name
    }

    /// Asks the bus to route signals matching `rule` here (AddMatch).
    public func addMatch(_ rule: String, timeout: Int = 5000) throws {
        _ = try call(.bus(member: "AddMatch", body: [.string(rule)]), timeout: timeout)
    }

    /// Sends a method call and waits, `timeout` ms at most, for its reply;
    /// an ERROR reply is thrown as DBusCallError. Signals arriving meanwhile
    /// are kept for waitForSignal.
    public func call(_ message: DBusMessage, timeout: Int = 5000) throws -> DBusMessage {
        let serial = try send(message)
        let deadline = Clock.micros() + Int64(timeout) * 1000
        let name = message.member ?? "call"
        while true {
            guard let reply = try receive(until: deadline) else {
                throw DBusError("no reply to \(name) within \(timeout) ms")
            }
            if reply.kind == .signal { keep(reply); continue }
            guard reply.replySerial == serial else { continue }
            if reply.kind == .error {
                throw DBusCallError(member: name, name: reply.errorName ?? "", text: reply.firstText ?? "")
            }
            return reply
        }
    }

    /// The first signal that `matches`, queued or arriving within `timeout`
    /// ms; nil when none came. Others stay queued.
    public func waitForSignal(timeout: Int, where matches: (DBusMessage) -> Bool) throws -> DBusMessage? {
        if let i = signals.firstIndex(where: matches) { return signals.remove(at: i) }
        let deadline = Clock.micros() + Int64(timeout) * 1000
        while let message = try receive(until: deadline) {
            guard message.kind == .signal else { continue }
            if matches(message) { return message }
            keep(message)
        }
        return nil
    }

    /// Sends a message with the next serial; returns the serial.
    @discardableResult
    public func send(_ message: DBusMessage) throws -> UInt32 {
        var m = message
        m.serial = nextSerial
        nextSerial = nextSerial == UInt32.max ? 1 : nextSerial + 1
        try write(try m.encoded())
        return m.serial
    }

    private func keep(_ signal: DBusMessage) {
        if signals.count >= DBusConnection.maxQueuedSignals { signals.removeFirst() }
        signals.append(signal)
    }
}

extension DBusMessage {
    /// A call to the bus itself (org.freedesktop.DBus).
    static func bus(member: String, body: [DBusValue] = []) -> DBusMessage {
        .methodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                    interface: "org.freedesktop.DBus", member: member, body: body)
    }
}

// MARK: the socket

extension DBusConnection {
    static func connectSocket(_ path: String, timeout: Int) throws -> Int32 {
        let fd = try sys(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        // A unix connect waits while the listener's backlog is full, and a
        // send while the peer's buffer is: both end after SO_SNDTIMEO.
        var limit = timeval(tv_sec: timeout / 1000, tv_usec: timeout % 1000 * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw DBusError("bus socket path \"\(path)\" is empty or too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            let e = errno
            close(fd)
            throw SystemError("connect to the D-Bus socket \(path)", errno: e)
        }
        return fd
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write to the D-Bus socket")
            }
            done += n
        }
    }

    /// Reads what the socket has, waiting until `deadline` (monotonic µs) at
    /// most. False when the deadline passed with nothing to read.
    func fill(until deadline: Int64) throws -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let left = max(0, (deadline - Clock.micros() + 999) / 1000)
            let ready = poll(&p, 1, Int32(min(left, Int64(Int32.max))))
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw SystemError("poll on the D-Bus socket") }
            if ready == 0 { return false }
            break
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { return true }
        if n < 0 { throw SystemError("read from the D-Bus socket") }
        if n == 0 { throw DBusError("the bus closed the connection") }
        input.append(contentsOf: chunk[0..<n])
        return true
    }

    /// The next whole message, or nil when `deadline` passed first.
    func receive(until deadline: Int64) throws -> DBusMessage? {
        while true {
            if input.count >= 16 {
                let length = try DBusMessage.frameLength(input[0..<16])
                if input.count >= length {
                    let bytes = Array(input[0..<length])
                    input.removeFirst(length)
                    return try DBusMessage.decode(bytes)
                }
            }
            guard try fill(until: deadline) else { return nil }
        }
    }
}

// MARK: authentication

extension DBusConnection {
    /// SASL as the specification's "Authentication Protocol" has it: a NUL
    /// byte, AUTH EXTERNAL with the uid's decimal digits in hex (the kernel
    /// vouches for the uid through SO_PEERCRED), OK from the server, BEGIN.
    func authenticate(uid: uid_t, timeout: Int) throws {
        let hex = String(decimal: uid).utf8.map { b -> String in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
        }.joined()
        try write([0] + Array("AUTH EXTERNAL \(hex)\r\n".utf8))
        let line = try readLine(until: Clock.micros() + Int64(timeout) * 1000)
        guard line.hasBytePrefix("OK ") else { throw DBusError("the bus refused authentication: \(line)") }
        try write(Array("BEGIN\r\n".utf8))
    }

    /// One line of the SASL exchange, without its CR LF. The server says
    /// nothing more until BEGIN, so no message bytes follow it.
    func readLine(until deadline: Int64) throws -> String {
        while true {
            if let end = lineEnd() {
                let line = String(decoding: input[0..<end], as: UTF8.self)
                input.removeFirst(end + 2)
                return line
            }
            guard input.count < 4096 else { throw DBusError("authentication line longer than 4096 bytes") }
            guard try fill(until: deadline) else { throw DBusError("no answer to authentication in time") }
        }
    }

    private func lineEnd() -> Int? {
        guard input.count >= 2 else { return nil }
        return (0..<input.count - 1).first { input[$0] == 0x0D && input[$0 + 1] == 0x0A }
    }
}

// MARK: addresses

extension DBusConnection {
    /// The path of the first `unix:path=` in a bus address (entries separated
    /// by ';', keys by ','), its %XX escapes undone.
    static func unixPath(in address: String) -> String? {
        for entry in address.split(byte: 0x3B) where entry.hasBytePrefix("unix:") {
            for pair in String(entry.utf8.dropFirst(5))!.split(byte: 0x2C) where pair.hasBytePrefix("path=") {
                return unescape(Array(pair.utf8.dropFirst(5)))
            }
        }
        return nil
    }

    static func unescape(_ bytes: [UInt8]) -> String? {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25 {
                guard i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
