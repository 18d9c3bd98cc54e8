// A D-Bus message (the D-Bus specification, "Message Format"): a 16-byte
// fixed header (byte order, type, flags, version 1, body length, serial),
// an array of header fields a(yv), padding to 8, the body. hako sends method
// calls and receives returns, errors and signals.
import Glibc

public struct DBusMessage {
    public enum Kind: UInt8 {
        case methodCall = 1, methodReturn = 2, error = 3, signal = 4
    }

    /// Header field codes (the specification's table of header fields).
    enum Field: UInt8 {
        case path = 1, interface = 2, member = 3, errorName = 4, replySerial = 5
        case destination = 6, sender = 7, signature = 8
    }

    public var kind: Kind
    public var flags: UInt8 = 0
    public var serial: UInt32 = 0
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var replySerial: UInt32?
    public var destination: String?
    public var sender: String?
    public var body: [DBusValue] = []

    public init(kind: Kind) { self.kind = kind }

    public static func methodCall(destination: String, path: String, interface: String, member: String,
                                  body: [DBusValue] = []) -> DBusMessage {
        var m = DBusMessage(kind: .methodCall)
        m.destination = destination
        m.path = path
        m.interface = interface
        m.member = member
        m.body = body
        return m
    }

    /// The body's signature, from its values.
    public var signature: String { body.map { $0.type.signature }.joined() }

    /// The first value of the body when it is text (an error's message, a
    /// name, an object path).
    public var firstText: String? { body.first?.text }
}

// MARK: writing

extension DBusMessage {
    /// The message's bytes, little-endian.
    public func encoded() throws -> [UInt8] {
        var body = DBusWriter()
        for value in self.body { try body.write(value) }
        var header = DBusWriter()
        header.bytes = [0x6C, kind.rawValue, flags, 1]  // 'l': little-endian
        header.fixed(UInt32(body.bytes.count))
        header.fixed(serial)
        try header.array(.structure([.byte, .variant]), headerFields())
        header.pad(8)
        let total = header.bytes.count + body.bytes.count
        guard total <= DBusLimits.message else { throw DBusError("message of \(total) bytes beyond the limit") }
        return header.bytes + body.bytes
    }

    private func headerFields() -> [DBusValue] {
        var fields: [DBusValue] = []
        func add(_ code: Field, _ value: DBusValue?) {
            if let value { fields.append(.structure([.byte(code.rawValue), .variant(value)])) }
        }
        add(.path, path.map { .objectPath($0) })
        add(.interface, interface.map { .string($0) })
        add(.member, member.map { .string($0) })
        add(.errorName, errorName.map { .string($0) })
        add(.replySerial, replySerial.map { .uint32($0) })
        add(.destination, destination.map { .string($0) })
        add(.sender, sender.map { .string($0) })
        if !body.isEmpty { add(.signature, .signature(signature)) }
        return fields
    }
}

// MARK: reading

extension DBusMessage {
    /// The whole message's length from its first 16 bytes, so that a reader
    /// knows how much to wait for; refuses what no valid message could be.
    static func frameLength(_ fixed: ArraySlice<UInt8>) throws -> Int {
        guard fixed.count >= 16 else { throw DBusError("fixed header shorter than 16 bytes") }
        let bytes = Array(fixed.prefix(16))
        guard bytes[0] == 0x6C || bytes[0] == 0x42 else { throw DBusError("unknown byte order \(bytes[0])") }
        guard bytes[3] == 1 else { throw DBusError("protocol version \(bytes[3]), not 1") }
        var reader = DBusReader(bytes, bigEndian: bytes[0] == 0x42)
        reader.offset = 4
        let bodyLength = try reader.unsigned(4)
        reader.offset = 12
        let fieldsLength = try reader.unsigned(4)
        guard fieldsLength <= UInt64(DBusLimits.array), bodyLength <= UInt64(DBusLimits.message) else {
            throw DBusError("header claims \(fieldsLength) bytes of fields and \(bodyLength) of body")
        }
        let total = 16 + (Int(fieldsLength) + 7) / 8 * 8 + Int(bodyLength)
        guard total <= DBusLimits.message else { throw DBusError("message of \(total) bytes beyond the limit") }
        return total
    }

    /// One whole message, exactly `bytes`.
    public static func decode(_ bytes: [UInt8]) throws -> DBusMessage {
        let total = try frameLength(bytes[...])
        guard total == bytes.count else { throw DBusError("message is \(bytes.count) bytes, its header says \(total)") }
        var reader = DBusReader(bytes, bigEndian: bytes[0] == 0x42)
        guard let kind = Kind(rawValue: bytes[1]) else { throw DBusError("unknown message type \(bytes[1])") }
        var m = DBusMessage(kind: kind)
        m.flags = bytes[2]
        reader.offset = 8
        m.serial = UInt32(truncatingIfNeeded: try reader.unsigned(4))
        guard m.serial != 0 else { throw DBusError("message serial 0") }
        guard case .array(_, let fields) = try reader.read(.array(.structure([.byte, .variant]))) else {
            throw DBusError("header fields unreadable")
        }
        let signature = try m.apply(fields)
        try reader.align(8)
        try m.readBody(&reader, signature: signature)
        try m.checkRequiredFields()
        return m
    }

    /// Sets the fields hako knows, checking each one's type; ignores the
    /// others, as the specification asks. Returns the body's signature.
    private mutating func apply(_ fields: [DBusValue]) throws -> String {
        var signature = ""
        for field in fields {
            guard case .structure(let pair) = field, pair.count == 2, case .byte(let code) = pair[0],
                  case .variant(let value) = pair[1] else { throw DBusError("header field unreadable") }
            guard let known = Field(rawValue: code) else { continue }
            switch (known, value) {
            case (.path, .objectPath(let s)): path = s
            case (.interface, .string(let s)): interface = s
            case (.member, .string(let s)): member = s
            case (.errorName, .string(let s)): errorName = s
            case (.replySerial, .uint32(let u)): replySerial = u
            case (.destination, .string(let s)): destination = s
            case (.sender, .string(let s)): sender = s
            case (.signature, .signature(let s)): signature = s
            default: throw DBusError("header field \(code) holds a \(value.type.signature)")
            }
        }
        return signature
    }

    private mutating func readBody(_ reader: inout DBusReader, signature: String) throws {
        body = try DBusType.parse(signature).map { try reader.read($0) }
        guard reader.offset == reader.end else {
            throw DBusError("body of signature \"\(signature)\" leaves \(reader.end - reader.offset) bytes unread")
        }
    }

    /// The fields each message type must have (the specification's table).
    private func checkRequiredFields() throws {
        let missing: String?
        switch kind {
        case .methodCall: missing = path == nil ? "PATH" : member == nil ? "MEMBER" : nil
        case .methodReturn: missing = replySerial == nil ? "REPLY_SERIAL" : nil
        case .error: missing = errorName == nil ? "ERROR_NAME" : replySerial == nil ? "REPLY_SERIAL" : nil
        case .signal: missing = path == nil ? "PATH" : interface == nil ? "INTERFACE" : member == nil ? "MEMBER" : nil
        }
        if let missing { throw DBusError("message of type \(kind.rawValue) without its \(missing) field") }
    }
}
