/// A strict RFC 8259 JSON parser for the small documents of JOSE and SPIFFE bundles.
///
/// Written by hand because a JWT's header and claims must be read in well under a microsecond for verification to
/// cost little more than its signature check, which Foundation's decoders do not allow. It is strict where
/// Foundation is lenient: duplicate object members are an error (RFC 7515 §5.2 lets a JWS parser reject them, and
/// a token whose `aud` appears twice must not mean two things), nesting is bounded, and the text must be valid UTF-8
/// with nothing after the value.
package struct JSONParser {
    /// The reason a document did not parse, with the byte offset.
    package struct Failure: Error, CustomStringConvertible {
        package let reason: String
        package let offset: Int
        package var description: String { "\(self.reason) at byte \(self.offset)" }
    }

    package static let maximumDepth = 32

    /// The document, borrowed for the duration of one static `parse` call; never stored beyond it.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let end: Int

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
    }

    /// Parses one JSON document.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            do throws(Failure) { return .success(try Self.parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses one JSON document.
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.end else { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    /// Parses a document that must be one JSON object, keeping its members in order (see ``JSONMembers``).
    package static func parseObjectMembers(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> JSONMembers? {
        var parser = JSONParser(bytes)
        parser.skipWhitespace()
        guard parser.index < parser.end, bytes[parser.index] == UInt8(ascii: "{") else { return nil }
        let members = try parser.parseMembers(depth: 1)
        parser.skipWhitespace()
        guard parser.index == parser.end else { throw parser.failure("unexpected data after the JSON value") }
        return members
    }

    private mutating func parseMembers(depth: Int) throws(Failure) -> JSONMembers {
        self.index += 1
        var members = JSONMembers()
        // Above this many members a name set is cheaper than a scan for duplicates (hostile input only).
        var seen: Set<String>?
        self.skipWhitespace()
        if self.index < self.end, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            return members
        }
        while true {
            self.skipWhitespace()
            guard self.index < self.end, self.bytes[self.index] == UInt8(ascii: "\"") else {
                throw self.failure("expected a member name")
            }
            let keyOffset = self.index
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.index < self.end, self.bytes[self.index] == UInt8(ascii: ":") else {
                throw self.failure("expected ':'")
            }
            self.index += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            let unique: Bool
            if members.count >= 32 {
                if seen == nil { seen = Set(members.names) }
                unique = seen!.insert(key).inserted
                if unique { members.appendUnchecked(key, value) }
            } else {
                unique = members.append(key, value)
            }
            guard unique else { throw Failure(reason: "duplicate member \"\(key)\"", offset: keyOffset) }
            self.skipWhitespace()
            guard self.index < self.end else { throw self.failure("unexpected end of input") }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return members
            default: throw self.failure("expected ',' or '}'")
            }
        }
    }

    private func failure(_ reason: String) -> Failure {
        Failure(reason: reason, offset: self.index)
    }

    private mutating func skipWhitespace() {
        while self.index < self.end {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard self.index < self.end else { throw self.failure("unexpected end of input") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber()
        default: throw self.failure("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard self.end - self.index >= count else { throw self.failure("unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { self.bytes[self.index + $0] == expected[$0] }
        }
        guard matches else { throw self.failure("invalid literal") }
        self.index += count
    }

    /// A nested object: the same member loop as a top-level one, duplicates refused there.
    private mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw self.failure("nesting deeper than \(Self.maximumDepth)") }
        return .object(try self.parseMembers(depth: depth).dictionary)
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw self.failure("nesting deeper than \(Self.maximumDepth)") }
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.index < self.end, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            guard self.index < self.end else { throw self.failure("unexpected end of input") }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default: throw self.failure("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = self.index
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < self.end, Self.isDigit(self.bytes[self.index]) else { throw self.failure("invalid number") }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
        } else {
            while self.index < self.end, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < self.end, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            guard self.index < self.end, Self.isDigit(self.bytes[self.index]) else {
                throw self.failure("invalid number")
            }
            while self.index < self.end, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        if self.index < self.end, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.index += 1
            if self.index < self.end,
                self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
            {
                self.index += 1
            }
            guard self.index < self.end, Self.isDigit(self.bytes[self.index]) else {
                throw self.failure("invalid number")
            }
            while self.index < self.end, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        }
        guard self.index - start <= 64 else { throw Failure(reason: "number longer than 64 characters", offset: start) }
        return .number(String(decoding: self.bytes[start..<self.index], as: UTF8.self))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func parseString() throws(Failure) -> String {
        self.index += 1
        let start = self.index
        // Fast path: no escapes, which is every string of a typical token.
        while self.index < self.end {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let string = try Self.string(
                    UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]),
                    offset: start
                )
                self.index += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw self.failure("control character in a string") }
            self.index += 1
        }
        guard self.index < self.end else { throw self.failure("unterminated string") }
        var decoded = Array(self.bytes[start..<self.index])
        while self.index < self.end {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                let result: Result<String, Failure> = decoded.withUnsafeBufferPointer { buffer in
                    do throws(Failure) { return .success(try Self.string(buffer, offset: start)) } catch {
                        return .failure(error)
                    }
                }
                let string = try result.get()
                self.index += 1
                return string
            case UInt8(ascii: "\\"):
                self.index += 1
                guard self.index < self.end else { throw self.failure("unterminated string") }
                let escape = self.bytes[self.index]
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try self.parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard self.end - self.index >= 6, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else {
                            throw self.failure("unpaired surrogate")
                        }
                        self.index += 2
                        let low = try self.parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw self.failure("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw self.failure("unpaired surrogate")
                    }
                    decoded.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
                default:
                    throw self.failure("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw self.failure("control character in a string") }
                decoded.append(byte)
                self.index += 1
            }
        }
        throw self.failure("unterminated string")
    }

    /// The string of `bytes`, which must be valid UTF-8. ASCII, the common case, skips the generic validator.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) throws(Failure) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw Failure(reason: "invalid UTF-8 in a string", offset: offset)
        }
        return string
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard self.end - self.index >= 4 else { throw self.failure("unterminated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }
}
