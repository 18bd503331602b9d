import Foundation
import SwiftASN1
public import X509

/// Formats and parses distinguished names as RFC 4514 strings.
public enum DistinguishedNameFormatter {
    /// The RFC 4514 string of `name`: relative names from last to first, separated by commas, multi-valued ones
    /// joined by `+`, with RFC 4514's short names (CN, L, ST, O, OU, C, STREET, DC, UID) and dotted OIDs for the rest.
    /// Values that are not strings are written as `#` and the hex of their DER encoding.
    public static func string(from name: DistinguishedName) -> String {
        var result = ""
        for rdn in name.reversed() {
            if !result.isEmpty { result += "," }
            var firstAttribute = true
            for attribute in rdn {
                if !firstAttribute { result += "+" }
                firstAttribute = false
                result += Self.shortName(of: attribute.type) ?? attribute.type.description
                result += "="
                if let text = String(attribute.value) ?? Self.legacyString(attribute.value) {
                    Self.appendEscaped(text, to: &result)
                } else {
                    var serializer = DER.Serializer()
                    if (try? serializer.serialize(ASN1Any(attribute.value))) != nil {
                        result += "#" + Hex.encode(serializer.serializedBytes).lowercased()
                    }
                }
            }
        }
        return result
    }

    /// Parses an RFC 4514 string such as `CN=svc,O=Example Inc.,C=GB` into a distinguished name.
    ///
    /// Accepts RFC 4514's short names, `emailAddress`, `serialNumber` and dotted OIDs as attribute types, `\,`-style
    /// and `\2C`-style escapes, and `+` for multi-valued relative names. The empty string is the empty name.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/invalidDistinguishedName`` naming the attribute that failed.
    public static func parse(_ string: String) throws -> DistinguishedName {
        let text = Array(string.utf8)
        if text.allSatisfy({ $0 == UInt8(ascii: " ") }) { return DistinguishedName() }
        var rdns: [RelativeDistinguishedName] = []
        var attributes: [RelativeDistinguishedName.Attribute] = []
        var index = 0
        while true {
            // attribute type
            while index < text.count && text[index] == UInt8(ascii: " ") { index += 1 }
            let typeStart = index
            while index < text.count && text[index] != UInt8(ascii: "=") { index += 1 }
            guard index < text.count else {
                throw PKIError(
                    .invalidDistinguishedName,
                    "'\(string)': attribute '\(String(decoding: text[typeStart...], as: UTF8.self))' has no '='"
                )
            }
            let typeName = String(decoding: text[typeStart..<index], as: UTF8.self).trimmingSpaces()
            guard let oid = Self.oid(forName: typeName) else {
                throw PKIError(.invalidDistinguishedName, "'\(string)': unknown attribute type '\(typeName)'")
            }
            index += 1
            // value, up to an unescaped ',' or '+'
            var value = [UInt8]()
            var trailingSpaces = 0
            while index < text.count && text[index] == UInt8(ascii: " ") { index += 1 }
            var separator: UInt8?
            while index < text.count {
                let byte = text[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "+") {
                    separator = byte
                    index += 1
                    break
                }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < text.count else {
                        throw PKIError(
                            .invalidDistinguishedName,
                            "'\(string)': attribute \(typeName) ends with a lone backslash"
                        )
                    }
                    let next = text[index + 1]
                    if let high = Self.hexValue(next), index + 2 < text.count, let low = Self.hexValue(text[index + 2])
                    {
                        value.append(high << 4 | low)
                        index += 3
                    } else {
                        value.append(next)
                        index += 2
                    }
                    trailingSpaces = 0
                    continue
                }
                value.append(byte)
                trailingSpaces = byte == UInt8(ascii: " ") ? trailingSpaces + 1 : 0
                index += 1
            }
            value.removeLast(trailingSpaces)
            guard !value.isEmpty else {
                throw PKIError(.invalidDistinguishedName, "'\(string)': attribute \(typeName) has an empty value")
            }
            let text = String(decoding: value, as: UTF8.self)
            do {
                attributes.append(try Self.attribute(oid: oid, value: text))
            } catch {
                throw PKIError(
                    .invalidDistinguishedName,
                    "'\(string)': attribute \(typeName) has a value that cannot be encoded: \(error)"
                )
            }
            if separator == UInt8(ascii: "+") { continue }
            rdns.append(RelativeDistinguishedName(attributes))
            attributes = []
            if separator == nil { break }
        }
        // RFC 4514 strings list the most specific name first; the DER sequence is the other way round.
        return DistinguishedName(rdns.reversed())
    }

    /// The text of the legacy DirectoryString types swift-certificates leaves undecoded: TeletexString (read as
    /// Latin-1, as OpenSSL and pyca/cryptography do), BMPString (UTF-16BE), UniversalString (UTF-32BE) and
    /// VisibleString.
    private static func legacyString(_ value: RelativeDistinguishedName.Attribute.Value) -> String? {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(ASN1Any(value))) != nil,
            let node = try? DER.parse(serializer.serializedBytes),
            node.identifier.tagClass == .universal,
            case .primitive(let bytes) = node.content
        else { return nil }
        switch node.identifier.tagNumber {
        case 20:  // TeletexString
            return String(String.UnicodeScalarView(bytes.map(Unicode.Scalar.init)))
        case 26:  // VisibleString
            return bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? String(decoding: bytes, as: UTF8.self) : nil
        case 30:  // BMPString
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: bytes.startIndex, to: bytes.endIndex, by: 2).map {
                UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])
            }
            return String(utf16CodeUnits: units, count: units.count)
        case 28:  // UniversalString
            guard bytes.count % 4 == 0 else { return nil }
            var text = ""
            for index in stride(from: bytes.startIndex, to: bytes.endIndex, by: 4) {
                let value = bytes[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                text.unicodeScalars.append(scalar)
            }
            return text
        default:
            return nil
        }
    }

    private static func attribute(
        oid: ASN1ObjectIdentifier,
        value: String
    ) throws -> RelativeDistinguishedName.Attribute {
        switch oid {
        case .RDNAttributeType.countryName:
            return try .init(type: oid, printableString: value)
        case .RDNAttributeType.emailAddress, .RDNAttributeType.domainComponent:
            return try .init(type: oid, ia5String: value)
        default:
            return .init(type: oid, utf8String: value)
        }
    }

    static func shortName(of oid: ASN1ObjectIdentifier) -> String? {
        switch oid {
        case .RDNAttributeType.commonName: "CN"
        case .RDNAttributeType.countryName: "C"
        case .RDNAttributeType.localityName: "L"
        case .RDNAttributeType.stateOrProvinceName: "ST"
        case .RDNAttributeType.organizationName: "O"
        case .RDNAttributeType.organizationalUnitName: "OU"
        case .RDNAttributeType.streetAddress: "STREET"
        case .RDNAttributeType.domainComponent: "DC"
        case Self.userID: "UID"
        default: nil
        }
    }

    private static let userID: ASN1ObjectIdentifier = [0, 9, 2342, 19_200_300, 100, 1, 1]

    private static func oid(forName name: String) -> ASN1ObjectIdentifier? {
        switch name.uppercased() {
        case "CN", "COMMONNAME": return .RDNAttributeType.commonName
        case "C", "COUNTRYNAME": return .RDNAttributeType.countryName
        case "L", "LOCALITYNAME": return .RDNAttributeType.localityName
        case "ST", "STATEORPROVINCENAME": return .RDNAttributeType.stateOrProvinceName
        case "O", "ORGANIZATIONNAME": return .RDNAttributeType.organizationName
        case "OU", "ORGANIZATIONALUNITNAME": return .RDNAttributeType.organizationalUnitName
        case "STREET", "STREETADDRESS": return .RDNAttributeType.streetAddress
        case "DC", "DOMAINCOMPONENT": return .RDNAttributeType.domainComponent
        case "UID", "USERID": return Self.userID
        case "E", "EMAILADDRESS": return .RDNAttributeType.emailAddress
        case "SERIALNUMBER": return [2, 5, 4, 5]
        default:
            guard let first = name.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                return nil
            }
            return try? ASN1ObjectIdentifier(dotRepresentation: name)
        }
    }

    private static func appendEscaped(_ value: String, to result: inout String) {
        let bytes = Array(value.utf8)
        var escaped = [UInt8]()
        escaped.reserveCapacity(bytes.count)
        for (position, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"),
                UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ";"):
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(byte)
            case UInt8(ascii: "#") where position == 0,
                UInt8(ascii: " ") where position == 0 || position == bytes.count - 1:
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(byte)
            case 0:
                escaped.append(contentsOf: Array("\\00".utf8))
            default:
                escaped.append(byte)
            }
        }
        result += String(decoding: escaped, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
