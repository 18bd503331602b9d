/// A JSON value, as read from a JWT header or claims set, or a JWKS.
///
/// Numbers keep their text, so that a 64-bit `spiffe_sequence` or a fractional `exp` loses nothing; read them with
/// ``int64Value``, ``uint64Value`` or ``doubleValue``.
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its JSON text.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; member names are unique.
    case object([String: JSONValue])

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, if this is a number.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The number as an `Int64`, if this is a number written as an integer that fits.
    public var int64Value: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// The number as a `UInt64`, if this is a number written as a non-negative integer that fits.
    public var uint64Value: UInt64? {
        if case .number(let text) = self { return UInt64(text) }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The value as compact JSON, object members in sorted order.
    public var description: String {
        var output = ""
        self.write(to: &output)
        return output
    }

    /// Writes compact JSON with object members in sorted order, so that the output is deterministic.
    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

extension JSONValue: Encodable {
    /// Encodes the value as itself; a number as an integer when it is written as one that fits `Int64`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let text):
            if let integer = Int64(text) {
                try container.encode(integer)
            } else {
                try container.encode(Double(text) ?? 0)
            }
        case .string(let value): try container.encode(value)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

extension JSONValue {
    /// Why a document is not JSON, with the byte offset.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// What was wrong.
        public let reason: String
        /// Where, counting bytes from 0.
        public let offset: Int
        /// `reason at byte offset`.
        public var description: String { "\(self.reason) at byte \(self.offset)" }
    }

    /// Parses a JSON document strictly (RFC 8259; duplicate object members, nesting deeper than 32 and trailing data
    /// are errors).
    public init(parsing bytes: [UInt8]) throws(ParseError) {
        do {
            self = try JSONParser.parse(bytes)
        } catch {
            throw ParseError(reason: error.reason, offset: error.offset)
        }
    }

    /// The value as compact JSON bytes, object members in sorted order.
    public var jsonBytes: [UInt8] { Array(self.description.utf8) }

    /// The member of an object, or `nil`.
    public subscript(member: String) -> JSONValue? {
        self.objectValue?[member]
    }

    /// The value if it is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }

    /// A number.
    public static func number(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }
}
