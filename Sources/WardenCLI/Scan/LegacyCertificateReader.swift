import Crypto
import Foundation
import SwiftASN1
import WardenPKI
import X509

/// Reads the fields `warden scan` reports from a certificate swift-certificates refuses to load because of its key
/// (an RSA key below 2048 bits): exactly the certificates a scan is for. Only what the finding shows is read, from
/// the DER structure (RFC 5280 §4.1); nothing is verified.
enum LegacyCertificateReader {
    struct Summary {
        let subject: String
        let issuer: String
        let subjectName: DistinguishedName
        let issuerName: DistinguishedName
        let serialBytes: [UInt8]
        let serial: String
        let notBefore: Date
        let notAfter: Date
        let keyType: String
        let keyBits: Int
        let signatureAlgorithmOID: String
        let fingerprint: String
        let isCA: Bool
        let isSelfIssued: Bool
    }

    static func read(_ der: [UInt8]) -> Summary? {
        try? self.parse(der)
    }

    private static func children(_ node: ASN1Node) throws -> ASN1NodeCollection.Iterator {
        guard case .constructed(let nodes) = node.content else { throw ASN1Error.unexpectedFieldType(node.identifier) }
        return nodes.makeIterator()
    }

    private static func next(_ iterator: inout ASN1NodeCollection.Iterator) throws -> ASN1Node {
        guard let node = iterator.next() else { throw ASN1Error.invalidASN1Object(reason: "missing field") }
        return node
    }

    private static func parse(_ der: [UInt8]) throws -> Summary {
        var certificate = try Self.children(try DER.parse(der))
        var tbs = try Self.children(try Self.next(&certificate))
        let algorithm = try Self.next(&certificate)
        var field = try Self.next(&tbs)
        if field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            field = try Self.next(&tbs)
        }
        let serial = try ArraySlice<UInt8>(derEncoded: field)
        _ = try Self.next(&tbs)  // signature
        let issuer = try DistinguishedName(derEncoded: try Self.next(&tbs))
        var validity = try Self.children(try Self.next(&tbs))
        let notBefore = try DERTime.date(try Self.next(&validity))
        let notAfter = try DERTime.date(try Self.next(&validity))
        let subject = try DistinguishedName(derEncoded: try Self.next(&tbs))
        var spki = try Self.children(try Self.next(&tbs))
        var keyAlgorithm = try Self.children(try Self.next(&spki))
        let keyOID = try ASN1ObjectIdentifier(derEncoded: try Self.next(&keyAlgorithm))
        let keyBits = try ASN1BitString(derEncoded: try Self.next(&spki))
        var keyType = "\(keyOID)"
        var bits = 0
        if keyOID == [1, 2, 840, 113549, 1, 1, 1] {
            var rsa = try Self.children(try DER.parse(keyBits.bytes))
            let modulus = try ArraySlice<UInt8>(derEncoded: try Self.next(&rsa)).drop { $0 == 0 }
            bits = modulus.count * 8 - (modulus.first.map { $0.leadingZeroBitCount } ?? 0)
            keyType = "RSA \(bits)"
        }
        var isCA = false
        while let extra = tbs.next() {
            guard extra.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific) else { continue }
            var wrapper = try Self.children(extra)
            var extensions = try Self.children(try Self.next(&wrapper))
            while let item = extensions.next() {
                var parts = try Self.children(item)
                let oid = try ASN1ObjectIdentifier(derEncoded: try Self.next(&parts))
                guard oid == [2, 5, 29, 19] else { continue }
                var value = try Self.next(&parts)
                if value.identifier == .boolean { value = try Self.next(&parts) }
                var constraints = try Self.children(try DER.parse(try ASN1OctetString(derEncoded: value).bytes))
                if let flag = constraints.next(), flag.identifier == .boolean { isCA = try Bool(derEncoded: flag) }
            }
        }
        var signature = try Self.children(algorithm)
        let signatureOID = try ASN1ObjectIdentifier(derEncoded: try Self.next(&signature))
        return Summary(
            subject: DistinguishedNameFormatter.string(from: subject),
            issuer: DistinguishedNameFormatter.string(from: issuer),
            subjectName: subject,
            issuerName: issuer,
            serialBytes: Array(serial),
            serial: Hex.encode(serial.drop { $0 == 0 }.isEmpty ? [0] : Array(serial.drop { $0 == 0 })),
            notBefore: notBefore,
            notAfter: notAfter,
            keyType: keyType,
            keyBits: bits,
            signatureAlgorithmOID: "\(signatureOID)",
            fingerprint: Hex.encode(Array(SHA256.hash(data: der)), separator: UInt8(ascii: ":")),
            isCA: isCA,
            isSelfIssued: subject == issuer
        )
    }
}
