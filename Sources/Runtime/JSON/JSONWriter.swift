// Serialises a JSON tree: compact for state files and logs, indented for
// what people read (`state`, `spec`), as runc does.

extension JSON {
    public func serialized(indent: String? = nil) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n): out += n
        case let .string(s): JSON.writeString(s, to: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += "," }
                JSON.newline(&out, indent, level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out += "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (k, (key, value)) in members.enumerated() {
                if k > 0 { out += "," }
                JSON.newline(&out, indent, level + 1)
                JSON.writeString(key, to: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out += "}"
        }
    }

    static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    static func writeString(_ s: String, to out: inout String) {
        // Byte by byte: every byte of a multi-byte UTF-8 sequence is >= 0x80
        // and passes through unchanged.
        var bytes: [UInt8] = [0x22]
        bytes.reserveCapacity(s.utf8.count + 2)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes += [0x5C, 0x22]        // \"
            case 0x5C: bytes += [0x5C, 0x5C]        // \\
            case 0x0A: bytes += [0x5C, 0x6E]        // \n
            case 0x0D: bytes += [0x5C, 0x72]        // \r
            case 0x09: bytes += [0x5C, 0x74]        // \t
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]  // \u00XX
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
        out += String(decoding: bytes, as: UTF8.self)
    }
}
