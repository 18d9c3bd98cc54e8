// The protobuf wire format (protobuf.dev/programming-guides/encoding), as
// much of it as CRIU's rpc.proto needs: varints (int32, uint32, bool,
// enums) and length-delimited fields (strings, nested messages). Written
// by hand, not generated: linking protobuf-c (or libcriu, which wraps it,
// the alternative issue 23 names) would put a shared library under the
// static hako binary for a dozen fields. The reader takes bytes from the
// criu process, so every length is checked and no input traps.

/// How a field's value is laid out (the low three bits of its tag).
public enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

public struct ProtobufError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Appends fields to a message. Fields go in the order they are written;
/// writers here write them by field number, as protoc's encoders do, so
/// the bytes can be compared with theirs.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    public mutating func uint(_ field: Int, _ value: UInt64) {
        tag(field, .varint)
        varint(value)
    }

    /// int32 and enums: a negative value is sign-extended to ten bytes,
    /// as the encoding guide says, so that int64 readers see it unchanged.
    public mutating func int32(_ field: Int, _ value: Int32) {
        uint(field, UInt64(bitPattern: Int64(value)))
    }

    public mutating func bool(_ field: Int, _ value: Bool) { uint(field, value ? 1 : 0) }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}

/// One field as read: its number and its raw value.
public enum ProtobufValue: Equatable {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case bytes(ArraySlice<UInt8>)

    /// int32, uint32 and enums keep the low 32 bits, as protobuf's parsers do.
    public func int32() throws -> Int32 {
        guard case let .varint(v) = self else { throw ProtobufError("expected a varint, got \(self)") }
        return Int32(truncatingIfNeeded: v)
    }

    public func uint32() throws -> UInt32 { UInt32(bitPattern: try int32()) }

    public func bool() throws -> Bool {
        guard case let .varint(v) = self else { throw ProtobufError("expected a varint (bool), got \(self)") }
        return v != 0
    }

    public func data() throws -> ArraySlice<UInt8> {
        guard case let .bytes(b) = self else { throw ProtobufError("expected a length-delimited field, got \(self)") }
        return b
    }

    /// A string must be UTF-8 (proto2 does not check; criu's come from C
    /// strings, and a message that is not text is not criu's).
    public func string() throws -> String {
        let b = try data()
        let s = String(decoding: b, as: UTF8.self)
        guard s.utf8.elementsEqual(b) else { throw ProtobufError("string field is not UTF-8") }
        return s
    }
}

/// Reads a message's fields in order. Unknown fields are the caller's to
/// skip (criu may be newer than rpc.proto here); malformed bytes throw.
public struct ProtobufReader {
    let bytes: ArraySlice<UInt8>
    var offset: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        offset = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// The next field, or nil at the end of the message.
    public mutating func next() throws -> (field: Int, value: ProtobufValue)? {
        guard offset < bytes.endIndex else { return nil }
        let key = try varint()
        let field = key >> 3
        guard field >= 1, field <= (1 << 29) - 1 else { throw ProtobufError("invalid field number \(field)") }
        guard let type = WireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufError("field \(field): unsupported wire type \(key & 7)")
        }
        return (Int(field), try value(type, field: Int(field)))
    }

    mutating func value(_ type: WireType, field: Int) throws -> ProtobufValue {
        switch type {
        case .varint: return .varint(try varint())
        case .fixed64: return .fixed64(try fixed(8))
        case .fixed32: return .fixed32(UInt32(truncatingIfNeeded: try fixed(4)))
        case .lengthDelimited:
            let n = try varint()
            guard n <= UInt64(bytes.endIndex - offset) else {
                throw ProtobufError("field \(field): length \(n) runs past the end of the message")
            }
            let start = offset
            offset += Int(n)
            return .bytes(bytes[start..<offset])
        }
    }

    /// At most ten bytes; the tenth may only carry the 64th bit.
    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        for i in 0..<10 {
            guard offset < bytes.endIndex else { throw ProtobufError("truncated varint") }
            let b = bytes[offset]
            offset += 1
            if i == 9, b > 1 { throw ProtobufError("varint longer than 64 bits") }
            result |= UInt64(b & 0x7f) << UInt64(7 * i)
            if b < 0x80 { return result }
        }
        throw ProtobufError("varint longer than ten bytes")
    }

    /// Little-endian, as the wire format lays fixed32 and fixed64 out.
    mutating func fixed(_ n: Int) throws -> UInt64 {
        guard bytes.endIndex - offset >= n else { throw ProtobufError("truncated fixed\(n * 8) field") }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += n
        return v
    }
}
