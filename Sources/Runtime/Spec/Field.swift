// A JSON value together with its path in config.json, so that every mapping
// error can say exactly where it is: `process.rlimits[2].type: ...`.

public struct Field {
    public let json: JSON
    public let path: String

    public init(_ json: JSON, path: String = "") {
        self.json = json
        self.path = path
    }

    func error(_ reason: String) -> SpecError { SpecError(path, reason) }

    func childPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// A member, or nil when it is absent or null (the spec treats both as
    /// unset). Its name is matched as runc's Go decoding matches it, in
    /// either case (JSON's subscript).
    public func optional(_ key: String) throws -> Field? {
        guard case .object = json else { throw error("must be an object, not \(json.typeName)") }
        guard let v = json[key] else { return nil }
        if case .null = v { return nil }
        return Field(v, path: childPath(key))
    }

    public func required(_ key: String) throws -> Field {
        guard let f = try optional(key) else { throw SpecError(childPath(key), "is required") }
        return f
    }

    public func string() throws -> String {
        guard case let .string(s) = json else { throw error("must be a string, not \(json.typeName)") }
        return s
    }

    public func bool() throws -> Bool {
        guard case let .bool(b) = json else { throw error("must be a boolean, not \(json.typeName)") }
        return b
    }

    /// An integer of exactly type T, read from the number's text as Go's
    /// encoding/json reads it into runc's spec types: decimal digits only,
    /// never through Double (which cannot hold every 64-bit value). So 1.0
    /// and 1e3 are refused, as Go refuses them for integer fields; -0 is 0
    /// for a signed field and refused for an unsigned one (strconv.ParseUint
    /// takes no sign).
    public func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        guard case let .number(text) = json else { throw error("must be a number, not \(json.typeName)") }
        if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            throw error("must be an integer, not \(Field.shown(text))")
        }
        let negative = text.utf8.first == UInt8(ascii: "-")
        if negative, !T.isSigned {
            throw error(text == "-0" ? "must be an unsigned integer, not -0" : "\(Field.shown(text)) is out of range (\(T.min)...\(T.max))")
        }
        guard let v = T(text, radix: 10) else { throw error("\(Field.shown(text)) is out of range (\(T.min)...\(T.max))") }
        return v
    }

    /// A number as an error quotes it: a value of thousands of digits is cut.
    static func shown(_ text: String) -> String {
        text.utf8.count <= 40 ? text : String(text.prefix(40)) + "..."
    }

    public func array() throws -> [Field] {
        guard case let .array(items) = json else { throw error("must be an array, not \(json.typeName)") }
        return items.enumerated().map { Field($1, path: "\(path)[\($0)]") }
    }

    public func members() throws -> [(String, Field)] {
        guard case let .object(members) = json else { throw error("must be an object, not \(json.typeName)") }
        return members.map { ($0.0, Field($0.1, path: childPath($0.0))) }
    }

    // Shorthands for the common optional scalars.
    public func string(_ key: String) throws -> String? { try optional(key)?.string() }

    /// A string that names a host path hako writes into its records (the
    /// intent record, state.json): no control character, which no real
    /// path needs and which once let a bundle forge lines of a record.
    public func pathString(_ key: String) throws -> String? {
        guard let f = try optional(key) else { return nil }
        let s = try f.string()
        if let b = s.utf8.first(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw f.error("must not contain control characters (byte 0x\(String(b, radix: 16)))")
        }
        return s
    }
    public func bool(_ key: String) throws -> Bool? { try optional(key)?.bool() }
    public func integer<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws -> T? {
        try optional(key)?.integer(T.self)
    }
    public func strings(_ key: String) throws -> [String] {
        try optional(key)?.array().map { try $0.string() } ?? []
    }
    public func stringMap(_ key: String) throws -> [(String, String)] {
        try optional(key)?.members().map { ($0.0, try $0.1.string()) } ?? []
    }
    public func list<T>(_ key: String, _ map: (Field) throws -> T) throws -> [T] {
        try optional(key)?.array().map(map) ?? []
    }
}
