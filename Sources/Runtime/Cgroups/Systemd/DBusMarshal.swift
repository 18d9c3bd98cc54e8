// Marshalling of D-Bus values (the D-Bus specification, "Marshaling (Wire
// Format)"): every value starts on a multiple of its alignment counted from
// the message's start, padding is zero bytes. hako writes little-endian and
// reads either byte order. The reader trusts nothing: each length is checked
// against what is left, padding must be zero, strings valid UTF-8 without NUL.
import Glibc

/// The specification's limits: an array's data, a whole message.
enum DBusLimits {
    static let array = 1 << 26
    static let message = 1 << 27
    /// Nested containers, variants included.
    static let depth = 64
}

struct DBusWriter {
    var bytes: [UInt8] = []

    mutating func pad(_ alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    mutating func fixed<T: FixedWidthInteger>(_ value: T) {
        pad(MemoryLayout<T>.size)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: DBusValue) throws {
        switch value {
        case .byte(let v): bytes.append(v)
        case .boolean(let v): fixed(UInt32(v ? 1 : 0))
        case .int16(let v): fixed(v)
        case .uint16(let v): fixed(v)
        case .int32(let v): fixed(v)
        case .uint32(let v): fixed(v)
        case .int64(let v): fixed(v)
        case .uint64(let v): fixed(v)
        case .double(let v): fixed(v.bitPattern)
        case .string(let s): try string(s)
        case .objectPath(let s):
            guard DBusValue.isObjectPath(s) else { throw DBusError("invalid object path \"\(s)\"") }
            try string(s)
        case .signature(let s): try signature(s)
        case .array(let element, let items): try array(element, items)
        case .structure(let fields):
            pad(8)
            for field in fields { try write(field) }
        case .dictEntry(let key, let value):
            pad(8)
            try write(key)
            try write(value)
        case .variant(let inner):
            try signature(inner.type.signature)
            try write(inner)
        }
    }

    mutating func string(_ s: String) throws {
        let utf8 = Array(s.utf8)
        guard !utf8.contains(0) else { throw DBusError("string holds a NUL byte") }
        fixed(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    mutating func signature(_ s: String) throws {
        _ = try DBusType.parse(s)
        let utf8 = Array(s.utf8)
        bytes.append(UInt8(utf8.count))
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    /// The length, padding to the first element (not counted in the length,
    /// there even when the array is empty), the elements.
    mutating func array(_ element: DBusType, _ items: [DBusValue]) throws {
        pad(4)
        let lengthAt = bytes.count
        fixed(UInt32(0))
        pad(element.alignment)
        let start = bytes.count
        for item in items {
            guard item.type == element else { throw DBusError("array of \(element.signature) holds a \(item.type.signature)") }
            try write(item)
        }
        let length = bytes.count - start
        guard length <= DBusLimits.array else { throw DBusError("array longer than \(DBusLimits.array) bytes") }
        withUnsafeBytes(of: UInt32(length).littleEndian) { bytes.replaceSubrange(lengthAt..<lengthAt + 4, with: $0) }
    }
}

struct DBusReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int
    let bigEndian: Bool

    init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil, bigEndian: Bool = false) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
        self.bigEndian = bigEndian
    }

    mutating func align(_ alignment: Int) throws {
        let padded = (offset + alignment - 1) / alignment * alignment
        guard padded <= end else { throw DBusError("message ends inside padding") }
        for i in offset..<padded where bytes[i] != 0 { throw DBusError("non-zero padding at byte \(i)") }
        offset = padded
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, end - offset >= count else { throw DBusError("message ends inside a value (\(count) bytes wanted at byte \(offset))") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// An unsigned integer of `size` bytes, aligned to its size.
    mutating func unsigned(_ size: Int) throws -> UInt64 {
        try align(size)
        let raw = try take(size)
        var value: UInt64 = 0
        for b in bigEndian ? Array(raw) : raw.reversed() { value = value << 8 | UInt64(b) }
        return value
    }

    mutating func read(_ type: DBusType, depth: Int = 0) throws -> DBusValue {
        guard depth <= DBusLimits.depth else { throw DBusError("values nested deeper than \(DBusLimits.depth)") }
        switch type {
        case .byte: return .byte(try take(1).first!)
        case .boolean:
            let v = try unsigned(4)
            guard v <= 1 else { throw DBusError("boolean of value \(v)") }
            return .boolean(v == 1)
        case .int16: return .int16(Int16(truncatingIfNeeded: try unsigned(2)))
        case .uint16: return .uint16(UInt16(truncatingIfNeeded: try unsigned(2)))
        case .int32: return .int32(Int32(truncatingIfNeeded: try unsigned(4)))
        case .uint32: return .uint32(UInt32(truncatingIfNeeded: try unsigned(4)))
        case .int64: return .int64(Int64(bitPattern: try unsigned(8)))
        case .uint64: return .uint64(try unsigned(8))
        case .double: return .double(Double(bitPattern: try unsigned(8)))
        case .string: return .string(try string())
        case .objectPath:
            let s = try string()
            guard DBusValue.isObjectPath(s) else { throw DBusError("invalid object path \"\(s)\"") }
            return .objectPath(s)
        case .signature: return .signature(try signature())
        case .array(let element): return try array(element, depth: depth)
        case .structure(let fields):
            try align(8)
            return .structure(try fields.map { try read($0, depth: depth + 1) })
        case .dictEntry(let key, let value):
            try align(8)
            return .dictEntry(try read(key, depth: depth + 1), try read(value, depth: depth + 1))
        case .variant:
            let inner = try DBusType.single(try signature())
            return .variant(try read(inner, depth: depth + 1))
        }
    }

    mutating func string() throws -> String {
        let length = try unsigned(4)
        guard length < UInt64(DBusLimits.message) else { throw DBusError("string length \(length) beyond the message") }
        return try text(Int(length))
    }

    mutating func signature() throws -> String {
        let length = try take(1).first!
        let s = try text(Int(length))
        _ = try DBusType.parse(s)
        return s
    }

    /// `length` bytes of UTF-8 and the NUL after them.
    mutating func text(_ length: Int) throws -> String {
        let raw = try take(length)
        guard try take(1).first == 0 else { throw DBusError("string not terminated by NUL") }
        guard !raw.contains(0) else { throw DBusError("string holds a NUL byte") }
        let s = String(decoding: raw, as: UTF8.self)
        guard s.utf8.elementsEqual(raw) else { throw DBusError("string is not valid UTF-8") }
        return s
    }

    /// Elements until exactly the array's length is used; each consumes at
    /// least one byte, so a hostile length cannot make this loop forever.
    mutating func array(_ element: DBusType, depth: Int) throws -> DBusValue {
        let length = try unsigned(4)
        guard length <= UInt64(DBusLimits.array) else { throw DBusError("array length \(length) beyond the limit") }
        try align(element.alignment)
        let stop = offset + Int(length)
        guard stop <= end else { throw DBusError("array length \(length) beyond the message") }
        var items: [DBusValue] = []
        while offset < stop { items.append(try read(element, depth: depth + 1)) }
        guard offset == stop else { throw DBusError("array elements overrun its length") }
        return .array(element, items)
    }
}
