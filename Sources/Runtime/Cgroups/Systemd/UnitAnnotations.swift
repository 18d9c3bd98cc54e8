// Unit properties from annotations: "org.systemd.property.NAME": VALUE sets
// NAME on the container's unit, as runc's initSystemdProps does (its
// docs/systemd.md, "Auxiliary properties"). VALUE is GVariant text
// (docs.gtk.org/glib/gvariant-text-format.html); hako reads the part of it
// a unit property needs: an optional type ("uint64 123", "@t 123"), then a
// boolean, a number or a quoted string. Untyped, a number is an int32 or,
// with '.' or 'e', a double, as GVariant says.
//
// As runc: a NAME is letters only, three at least; NAMEs that end in a
// lowercase letter and "Sec" (TimeoutStopSec) are the seconds systemd's unit
// files take, sent as the "USec" property D-Bus knows, in microseconds.
//
// The values come from whoever wrote config.json: each one is checked
// here, and what hako cannot read is an error naming the annotation.

enum UnitAnnotations {
    static let prefix = "org.systemd.property."

    /// The properties the annotations ask for, in their order.
    static func properties(_ annotations: [(String, String)]) throws -> [DBusValue] {
        try annotations.compactMap { key, value in
            guard key.hasBytePrefix(prefix) else { return nil }
            let (name, v) = try property(String(key.dropFirst(prefix.count)), value, path: "annotations." + key)
            return SystemdManager.limit(name, v)
        }
    }

    /// The annotation a refusal of StartTransientUnit is about: systemd
    /// names the property it cannot set ("Cannot set property Bogus, or
    /// unknown property."), which hako only checked for its form. nil when
    /// the error names none of the annotations' properties.
    static func blamed(_ error: DBusCallError, in annotations: [(String, String)]) -> SpecError? {
        for (key, value) in annotations where key.hasBytePrefix(prefix) {
            let path = "annotations." + key
            guard let (name, _) = try? property(String(key.dropFirst(prefix.count)), value, path: path),
                  error.text.utf8.split(whereSeparator: { !isLetter($0) }).contains(where: { $0.elementsEqual(name.utf8) }) else { continue }
            return SpecError(path, "systemd refused the property \(name): \(error.text)")
        }
        return nil
    }

    /// One annotation's property name and value.
    static func property(_ name: String, _ text: String, path: String) throws -> (String, DBusValue) {
        guard name.utf8.count >= 3, name.utf8.allSatisfy(isLetter) else {
            throw SpecError(path, "\"\(name)\" is not a systemd property name (letters only, at least 3)")
        }
        let value: DBusValue
        do {
            value = try parse(text)
        } catch let reason as Reason {
            throw SpecError(path, "\"\(text)\" \(reason.text)")
        }
        let bytes = Array(name.utf8)
        guard bytes.count > 3, name.hasByteSuffix("Sec"), isLowercase(bytes[bytes.count - 4]) else { return (name, value) }
        guard let micros = microseconds(value) else {
            throw SpecError(path, "\"\(text)\" is not a number of seconds (\(name) is sent as \(name.dropLast(3))USec)")
        }
        return (String(name.dropLast(3)) + "USec", .uint64(micros))
    }

    /// Seconds as microseconds; nil for what is not a number of seconds
    /// that fits (runc would wrap a negative or huge one around).
    static func microseconds(_ v: DBusValue) -> UInt64? {
        let whole: Int64
        switch v {
        case .byte(let n): whole = Int64(n)
        case .int16(let n): whole = Int64(n)
        case .uint16(let n): whole = Int64(n)
        case .int32(let n): whole = Int64(n)
        case .uint32(let n): whole = Int64(n)
        case .int64(let n): whole = n
        case .uint64(let n):
            guard n <= UInt64(Int64.max) else { return nil }
            whole = Int64(n)
        case .double(let d):
            let us = d * 1_000_000
            guard us.isFinite, us >= 0, us < 1.8e19 else { return nil }
            return UInt64(us)
        default: return nil
        }
        guard whole >= 0 else { return nil }
        let (us, over) = UInt64(whole).multipliedReportingOverflow(by: 1_000_000)
        return over ? nil : us
    }

    static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || isLowercase(b) }
    static func isLowercase(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
}

// MARK: GVariant text

extension UnitAnnotations {
    /// Why a value is refused, completing "VALUE ...".
    struct Reason: Error { let text: String }

    /// GVariant's type keywords, with the D-Bus type each one means.
    static let keywords: [(String, DBusType)] = [
        ("boolean", .boolean), ("byte", .byte), ("int16", .int16), ("uint16", .uint16), ("int32", .int32),
        ("uint32", .uint32), ("int64", .int64), ("uint64", .uint64), ("double", .double), ("string", .string),
        ("objectpath", .objectPath), ("signature", .signature),
    ]

    /// One value: [TYPE] LITERAL, spaces around allowed.
    static func parse(_ text: String) throws -> DBusValue {
        let (type, rest) = try typePrefix(text.trimmingSpaces)
        let literal = rest.trimmingSpaces
        guard let first = literal.utf8.first else { throw Reason(text: "has no value") }
        if first == 0x27 || first == 0x22 { return try typed(.string(try quoted(literal)), as: type ?? .string) }
        if literal == "true" || literal == "false" { return try typed(.boolean(literal == "true"), as: type ?? .boolean) }
        return try number(literal, as: type)
    }

    /// "uint64 5" or "@t 5": the type and what follows it.
    static func typePrefix(_ text: String) throws -> (DBusType?, String) {
        let words = text.split(separator: " ", maxSplits: 1)
        guard words.count == 2 else { return (nil, text) }
        let word = String(words[0])
        if word.hasBytePrefix("@") {
            guard let t = try? DBusType.single(String(word.dropFirst())), t.isBasic, t != .variant else {
                throw Reason(text: "has a type \(word) hako cannot set (basic D-Bus types only)")
            }
            return (t, String(words[1]))
        }
        guard let t = keywords.first(where: { $0.0 == word })?.1 else { return (nil, text) }
        return (t, String(words[1]))
    }

    /// A string or boolean literal given as `type`.
    static func typed(_ v: DBusValue, as type: DBusType) throws -> DBusValue {
        switch (v, type) {
        case (.boolean, .boolean), (.string, .string): return v
        case (.string(let s), .objectPath):
            guard DBusValue.isObjectPath(s) else { throw Reason(text: "is not an object path") }
            return .objectPath(s)
        case (.string(let s), .signature):
            guard (try? DBusType.parse(s)) != nil else { throw Reason(text: "is not a D-Bus signature") }
            return .signature(s)
        default: throw Reason(text: "is not a value of type \(type.signature)")
        }
    }

    /// 'text' or "text", with GVariant's backslash escapes.
    static func quoted(_ literal: String) throws -> String {
        let bytes = Array(literal.utf8)
        let quote = bytes[0]
        guard bytes.count >= 2, bytes.last == quote else { throw Reason(text: "has a string without its closing quote") }
        var out: [UInt8] = []
        var i = 1
        while i < bytes.count - 1 {
            var b = bytes[i]
            if b == quote { throw Reason(text: "has text after its closing quote") }
            if b == 0x5C {
                i += 1
                guard i < bytes.count - 1, let e = escapes[bytes[i]] else { throw Reason(text: "has an escape hako does not read") }
                b = e
            }
            guard b != 0 else { throw Reason(text: "has a NUL in its string") }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let escapes: [UInt8: UInt8] = [
        0x5C: 0x5C, 0x27: 0x27, 0x22: 0x22, 0x6E: 0x0A, 0x74: 0x09, 0x72: 0x0D, 0x62: 0x08, 0x66: 0x0C, 0x76: 0x0B, 0x61: 0x07,
    ]
}

// MARK: numbers

extension UnitAnnotations {
    /// A number as `type` (none: int32, or double with '.' or 'e').
    static func number(_ literal: String, as type: DBusType?) throws -> DBusValue {
        let isFloat = literal.utf8.contains(0x2E) || literal.utf8.contains(0x65)
        let type = type ?? (isFloat ? .double : .int32)
        if type == .double {
            guard let d = Double(literal), d.isFinite else { throw Reason(text: "is not a number") }
            return .double(d)
        }
        guard let n = integer(literal) else { throw Reason(text: "is not a number, boolean or quoted string") }
        let signed = n.signed
        let out: DBusValue?
        switch type {
        case .byte: out = signed.flatMap { UInt8(exactly: $0) }.map { .byte($0) }
        case .int16: out = signed.flatMap { Int16(exactly: $0) }.map { .int16($0) }
        case .uint16: out = signed.flatMap { UInt16(exactly: $0) }.map { .uint16($0) }
        case .int32: out = signed.flatMap { Int32(exactly: $0) }.map { .int32($0) }
        case .uint32: out = signed.flatMap { UInt32(exactly: $0) }.map { .uint32($0) }
        case .int64: out = signed.map { .int64($0) }
        case .uint64: out = n.negative ? nil : .uint64(n.magnitude)
        default: throw Reason(text: "is a number, not a value of type \(type.signature)")
        }
        guard let out else { throw Reason(text: "is out of range for type \(type.signature)") }
        return out
    }

    /// An integer: [-]digits, decimal, 0x hexadecimal or 0 octal, as GVariant.
    struct Integer {
        let negative: Bool
        let magnitude: UInt64

        /// As an Int64, if it is one.
        var signed: Int64? {
            if !negative { return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil }
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
    }

    static func integer(_ literal: String) -> Integer? {
        var s = Substring(literal)
        let negative = s.hasPrefix("-")
        if negative { s = s.dropFirst() }
        var radix = 10
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            (radix, s) = (16, s.dropFirst(2))
        } else if s.hasPrefix("0"), s.count > 1 {
            (radix, s) = (8, s.dropFirst())
        }
        guard !s.isEmpty, !s.hasPrefix("+"), !s.hasPrefix("-"), let m = UInt64(s, radix: radix) else { return nil }
        return Integer(negative: negative && m != 0, magnitude: m)
    }
}
