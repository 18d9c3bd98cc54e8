// Text helpers for the hot paths of every command.
//
// Why not the standard library's own: hako links it statically, and its code
// is one monolithic section that the linker cannot reorder, so each of its
// functions a command calls maps another 64 KB window of it (peak RSS, see
// bench/RESULTS.md). Decimal printing (BinaryInteger.description and its
// witnesses), hasPrefix and hasSuffix (grapheme-boundary checks),
// String(cString:), split(separator:) and joined(separator:) each lie in
// windows that nothing else a run calls needs. These versions are small, byte-wise (paths, numbers and options are
// ASCII or compared byte for byte anyway) and get laid out with hako's code.

extension String {
    /// The decimal text of an integer, as String(value) but written here.
    @inlinable public init<T: BinaryInteger>(decimal value: T) {
        let negative = value < 0
        var magnitude = UInt64(truncatingIfNeeded: value)  // two's complement for negatives
        if negative { magnitude = 0 &- magnitude }
        self = String.decimal(magnitude, negative: negative)
    }

    @usableFromInline static func decimal(_ magnitude: UInt64, negative: Bool) -> String {
        // 20 digits hold UInt64.max; one more for the sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            var i = buffer.count
            var m = magnitude
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            } while m != 0
            if negative { i -= 1; buffer[i] = 0x2D }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[i...]), as: UTF8.self)
        }
    }

    /// A NUL-terminated C string's text, as String(cString:).
    public init(cText pointer: UnsafePointer<CChar>) {
        self = pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
            var n = 0
            while bytes[n] != 0 { n += 1 }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self)
        }
    }

    /// Whether the UTF-8 bytes end with `suffix`'s: hasSuffix without the
    /// grapheme-cluster check.
    @inlinable public func hasByteSuffix(_ suffix: String) -> Bool {
        let (a, b) = (utf8, suffix.utf8)
        var (i, j) = (a.endIndex, b.endIndex)
        while j > b.startIndex {
            guard i > a.startIndex else { return false }
            i = a.index(before: i)
            j = b.index(before: j)
            if a[i] != b[j] { return false }
        }
        return true
    }
}

extension StringProtocol {
    /// Whether the UTF-8 bytes begin with `prefix`'s: hasPrefix without the
    /// grapheme-cluster check at its end.
    @inlinable public func hasBytePrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    /// The pieces between `byte`s (an ASCII separator: a newline, a colon), as
    /// split(separator:) without its Character-by-Character walk.
    public func split(byte: UInt8, omittingEmpty: Bool = true) -> [String] {
        func pieces(_ bytes: UnsafeBufferPointer<UInt8>) -> [String] {
            var result: [String] = []
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == byte {
                if i > start || !omittingEmpty {
                    result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                }
                start = i + 1
            }
            return result
        }
        return utf8.withContiguousStorageIfAvailable(pieces) ?? Array(utf8).withUnsafeBufferPointer(pieces)
    }
}

extension Sequence where Element == String {
    /// The elements with `separator` between them, as joined(separator:).
    public func joined(by separator: String) -> String {
        var result = ""
        var first = true
        for s in self {
            if !first { result += separator }
            result += s
            first = false
        }
        return result
    }
}

extension DefaultStringInterpolation {
    /// Integers in interpolations print through String(decimal:).
    @inlinable public mutating func appendInterpolation<T: BinaryInteger>(_ value: T) {
        appendLiteral(String(decimal: value))
    }
}
