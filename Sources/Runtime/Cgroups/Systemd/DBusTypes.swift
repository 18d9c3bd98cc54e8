// D-Bus types and values (the D-Bus specification, "Type System"), for the
// systemd cgroup driver (issue 24): hako speaks the wire protocol itself
// rather than linking libsystemd or libdbus, so the binary stays static.
// Only what a systemd client needs: the basic types y b n q i u x t d s o g,
// arrays, structs, dict entries and variants; no unix fds ('h').
import Glibc

/// A malformed message or signature, from the bus or about to go to it, or a
/// connection that failed. Input from the bus is never trusted: every read
/// is bounds-checked and ends in this error rather than a trap.
public struct DBusError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "D-Bus: \(message)" }
}

/// An ERROR reply to a call: the error's name and its text.
public struct DBusCallError: Error, CustomStringConvertible {
    public let member: String
    public let name: String
    public let text: String
    public var description: String { "D-Bus: \(member): \(name)\(text.isEmpty ? "" : ": " + text)" }
}

/// One complete type, as a signature spells it.
public indirect enum DBusType: Equatable {
    case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, variant
    case array(DBusType)
    case structure([DBusType])
    case dictEntry(DBusType, DBusType)

    /// The boundary a value of this type starts on, from the message's start.
    var alignment: Int {
        switch self {
        case .byte, .signature, .variant: return 1
        case .int16, .uint16: return 2
        case .boolean, .int32, .uint32, .string, .objectPath, .array: return 4
        case .int64, .uint64, .double, .structure, .dictEntry: return 8
        }
    }

    /// The type's signature.
    public var signature: String {
        switch self {
        case .array(let element): return "a" + element.signature
        case .structure(let fields): return "(" + fields.map { $0.signature }.joined() + ")"
        case .dictEntry(let key, let value): return "{" + key.signature + value.signature + "}"
        default: return String(decoding: [DBusType.basicCodes[self] ?? 0x3F], as: UTF8.self)
        }
    }

    var isBasic: Bool {
        switch self {
        case .array, .structure, .dictEntry, .variant: return false
        default: return true
        }
    }

    private static let basicCodes: [DBusType: UInt8] = [
        .byte: 0x79, .boolean: 0x62, .int16: 0x6E, .uint16: 0x71, .int32: 0x69, .uint32: 0x75, .int64: 0x78,
        .uint64: 0x74, .double: 0x64, .string: 0x73, .objectPath: 0x6F, .signature: 0x67, .variant: 0x76,
    ]

    static func basic(_ code: UInt8) -> DBusType? {
        basicCodes.first { $0.value == code }?.key
    }
}

extension DBusType: Hashable {}

extension DBusType {
    /// The complete types a signature lists, in order (a message body's, or
    /// one for a variant). Enforces the specification's limits: 255 bytes, 32
    /// nested arrays, 32 nested structs, dict entries only in arrays with a
    /// basic key, no empty struct.
    public static func parse(_ signature: String) throws -> [DBusType] {
        let bytes = Array(signature.utf8)
        guard bytes.count <= 255 else { throw DBusError("signature longer than 255 bytes") }
        var parser = SignatureParser(bytes: bytes)
        var types: [DBusType] = []
        while parser.index < bytes.count { types.append(try parser.complete(arrays: 0, structs: 0)) }
        return types
    }

    /// The one complete type of a variant's signature.
    static func single(_ signature: String) throws -> DBusType {
        let types = try parse(signature)
        guard types.count == 1 else { throw DBusError("variant signature \"\(signature)\" is not one complete type") }
        return types[0]
    }
}

private struct SignatureParser {
    let bytes: [UInt8]
    var index = 0

    mutating func complete(arrays: Int, structs: Int) throws -> DBusType {
        guard index < bytes.count else { throw DBusError("signature ends inside a type") }
        let code = bytes[index]
        index += 1
        if let basic = DBusType.basic(code) { return basic }
        switch code {
        case 0x61:  // 'a'
            guard arrays < 32 else { throw DBusError("signature nests more than 32 arrays") }
            if index < bytes.count, bytes[index] == 0x7B { return .array(try dictEntry(arrays: arrays + 1, structs: structs)) }
            return .array(try complete(arrays: arrays + 1, structs: structs))
        case 0x28:  // '('
            guard structs < 32 else { throw DBusError("signature nests more than 32 structs") }
            var fields: [DBusType] = []
            while index < bytes.count, bytes[index] != 0x29 { fields.append(try complete(arrays: arrays, structs: structs + 1)) }
            guard index < bytes.count, !fields.isEmpty else { throw DBusError("struct without fields or ')'") }
            index += 1
            return .structure(fields)
        default:
            throw DBusError("signature has unknown or misplaced type code \(code)")
        }
    }

    /// A dict entry, after 'a': '{', a basic key, a value, '}'.
    mutating func dictEntry(arrays: Int, structs: Int) throws -> DBusType {
        index += 1
        let key = try complete(arrays: arrays, structs: structs + 1)
        guard key.isBasic else { throw DBusError("dict entry key is not a basic type") }
        let value = try complete(arrays: arrays, structs: structs + 1)
        guard index < bytes.count, bytes[index] == 0x7D else { throw DBusError("dict entry without '}'") }
        index += 1
        return .dictEntry(key, value)
    }
}

/// A value of a DBusType. An array carries its element type, so that an
/// empty one still has a signature.
public indirect enum DBusValue: Equatable {
    case byte(UInt8), boolean(Bool), int16(Int16), uint16(UInt16), int32(Int32), uint32(UInt32)
    case int64(Int64), uint64(UInt64), double(Double)
    case string(String), objectPath(String), signature(String)
    case array(DBusType, [DBusValue])
    case structure([DBusValue])
    case dictEntry(DBusValue, DBusValue)
    case variant(DBusValue)

    public var type: DBusType {
        switch self {
        case .byte: return .byte
        case .boolean: return .boolean
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .double: return .double
        case .string: return .string
        case .objectPath: return .objectPath
        case .signature: return .signature
        case .array(let element, _): return .array(element)
        case .structure(let fields): return .structure(fields.map { $0.type })
        case .dictEntry(let key, let value): return .dictEntry(key.type, value.type)
        case .variant: return .variant
        }
    }

    /// The text of a string, object path or signature; nil for other values.
    public var text: String? {
        switch self {
        case .string(let s), .objectPath(let s), .signature(let s): return s
        default: return nil
        }
    }
}

extension DBusValue {
    /// Whether `path` is an object path as the specification allows: "/", or
    /// "/"-separated non-empty elements of [A-Za-z0-9_] with no trailing "/".
    static func isObjectPath(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        guard bytes.first == 0x2F else { return false }
        if bytes.count == 1 { return true }
        var previous: UInt8 = 0x2F
        for b in bytes.dropFirst() {
            let word = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
            guard word || (b == 0x2F && previous != 0x2F) else { return false }
            previous = b
        }
        return previous != 0x2F
    }
}
