// A JSON value tree. config.json is parsed into this and then mapped onto the
// spec types by hand: Foundation's JSONDecoder costs ~2 ms on first use, more
// than a whole container start is allowed to.

public enum JSON: Equatable {
    case null
    case bool(Bool)
    /// Numbers keep their text so that 64-bit integers survive exactly.
    case number(String)
    case string(String)
    case array([JSON])
    /// Members in document order; config objects are small, so lookup is linear.
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A member by name, found as Go's encoding/json finds a struct
    /// field, which is how runc reads config.json: the last member named
    /// `key`, or else the last one naming it in letters of another case
    /// ("Args" for "args", "pagesize" for "pageSize"). Exact names first
    /// keep the lookups of present members as cheap as they were; Go
    /// would let a later folded duplicate override an exact one, a corner
    /// no config needs. Maps (annotations, sysctl) are read by `members`
    /// and stay exact.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        if let m = members.last(where: { $0.0 == key }) { return m.1 }
        return members.last(where: { JSON.sameName($0.0, key) })?.1
    }

    /// Go's bytes.EqualFold for a member's name against an ASCII key:
    /// ASCII letters of either case, and the only two other letters that
    /// fold onto ASCII ones, U+212A KELVIN SIGN (k) and U+017F LONG S (s).
    /// It runs on every member of an object that lacks the key exactly
    /// (every optional field left out), so the lengths reject most names
    /// first (an ASCII name folds onto the key only at its length, one with
    /// K or ſ is longer), and the first byte most of the rest.
    static func sameName(_ name: String, _ key: String) -> Bool {
        let n = name.utf8.count, k = key.utf8.count
        guard n >= k, n <= 3 * k, let x = name.utf8.first, let c = key.utf8.first else { return false }
        guard lowered(x) == lowered(c) || x >= 0x80 else { return false }
        return name.utf8.withContiguousStorageIfAvailable { a in
            key.utf8.withContiguousStorageIfAvailable { b in folds(a, onto: b) } ?? false
        } ?? false
    }

    static func folds(_ a: UnsafeBufferPointer<UInt8>, onto b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        for c in b {
            guard i < a.count else { return false }
            let x = a[i]
            i += 1
            if x < 0x80 {
                if x != c, !isLetter(x) || lowered(x) != lowered(c) { return false }
                continue
            }
            // The two folding letters, in UTF-8: E2 84 AA and C5 BF.
            var folded: UInt8 = 0
            if x == 0xE2, i + 1 < a.count, a[i] == 0x84, a[i + 1] == 0xAA {
                folded = UInt8(ascii: "k")
                i += 2
            } else if x == 0xC5, i < a.count, a[i] == 0xBF {
                folded = UInt8(ascii: "s")
                i += 1
            }
            if folded == 0 || lowered(c) != folded { return false }
        }
        return i == a.count
    }

    private static func isLetter(_ x: UInt8) -> Bool { lowered(x) >= UInt8(ascii: "a") && lowered(x) <= UInt8(ascii: "z") }
    private static func lowered(_ x: UInt8) -> UInt8 { x >= UInt8(ascii: "A") && x <= UInt8(ascii: "Z") ? x + 32 : x }

    /// Sets or replaces a member; used by `hako spec` and by tests editing configs.
    public mutating func set(_ key: String, _ value: JSON?) {
        guard case var .object(members) = self else { return }
        members.removeAll { $0.0 == key }
        if let value { members.append((key, value)) }
        self = .object(members)
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public static func int<T: BinaryInteger>(_ value: T) -> JSON { .number(String(decimal: value)) }
}

public struct JSONSyntaxError: Error, CustomStringConvertible {
    public let offset: Int
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
}

extension JSON {
    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws -> JSON {
        try parse(Array(text.utf8))
    }
}

/// Recursive-descent parser over UTF-8 bytes (RFC 8259).
struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSON {
        // A UTF-8 byte order mark is tolerated, as Go's encoding/json does not,
        // but editors write it and the error would be baffling.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        let value = try parseValue()
        skipSpace()
        if i != bytes.count { throw fail("unexpected data after the top-level value") }
        return value
    }

    func fail(_ reason: String) -> JSONSyntaxError {
        let line = 1 + bytes[0..<min(i, bytes.count)].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        return JSONSyntaxError(offset: i, line: line, reason: reason)
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func parseValue() throws -> JSON {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw fail("invalid literal") }
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        for k in 0..<n where bytes[i + k] != w[k] { throw fail("invalid literal") }
        i += n
    }

    mutating func enter() throws {
        depth += 1
        // Deep nesting is the classic way to blow the stack of a recursive parser.
        if depth > 512 { throw fail("nesting deeper than 512 levels") }
    }

    mutating func parseObject() throws -> JSON {
        try enter()
        i += 1
        var members: [(String, JSON)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; depth -= 1; return .object(members) }
        while true {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes") }
            let key = try parseString()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after member name") }
            i += 1
            members.append((key, try parseValue()))
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input in object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail("expected ',' or '}' in object")
        }
        depth -= 1
        return .object(members)
    }

    mutating func parseArray() throws -> JSON {
        try enter()
        i += 1
        var items: [JSON] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; depth -= 1; return .array(items) }
        while true {
            items.append(try parseValue())
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input in array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail("expected ',' or ']' in array")
        }
        depth -= 1
        return .array(items)
    }

    mutating func parseNumber() throws -> JSON {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while p.i < p.bytes.count, p.bytes[p.i] >= 0x30, p.bytes[p.i] <= 0x39 { p.i += 1 }
            return p.i - s
        }
        let intStart = i
        let n = digits(&self)
        if n == 0 { throw fail("invalid number") }
        if n > 1, bytes[intStart] == UInt8(ascii: "0") { throw fail("invalid number: leading zero") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits(&self) == 0 { throw fail("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            if digits(&self) == 0 { throw fail("invalid number") }
        }
        return .number(String(decoding: bytes[start..<i], as: UTF8.self))
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func parseString() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00, i + 1 < bytes.count,
                   bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    if low >= 0xDC00, low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else { scalar = 0xFFFD }
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: throw fail("invalid escape in string")
            }
        }
        throw fail("unterminated string")
    }
}
