import SwiftASN1
package import X509

/// RFC 5280's profile of every certificate in a path, beyond what swift-certificates checks: extensions that decode,
/// a positive serial number of at most 20 octets, key identifiers where §4.2.1.1–2 require them, no version 1
/// certificate outside the trust anchors, and keys of a strength the Web PKI accepts.
package enum CertificateProfileRule {
    package static func check(_ certificate: Certificate, at index: Int, isAnchor: Bool) throws(PKIError) {
        let name = CertificateNaming.name(certificate, at: index)
        if certificate.version == .v1 && !isAnchor {
            throw PKIError(.unsupportedCertificateVersion, "\(name) is a version 1 certificate; only v3 is accepted")
        }
        let decoded = try Self.decodeExtensions(certificate, name, isLeaf: index == 0 && !isAnchor)
        // A trust anchor is configuration, not a certificate to validate (RFC 5280 §6.1.1 (d)): old roots have serial
        // numbers this profile would refuse.
        if !isAnchor { try Self.checkSerialNumber(certificate, name) }
        try Self.checkKeyIdentifiers(certificate, decoded, name, isAnchor: isAnchor)
        try Self.checkPublicKey(certificate, name)
    }

    /// What the key-identifier checks need, decoded once.
    private struct DecodedExtensions {
        var isCA: Bool
        var authorityKeyIdentifier: AuthorityKeyIdentifier?
        var subjectKeyIdentifier: SubjectKeyIdentifier?
    }

    /// Decodes every extension no later rule decodes: the leaf's basic constraints, key usage and SANs are
    /// ``EndEntityRule``'s, an issuer's basic constraints and key usage ``SigningCertificateRule``'s.
    private static func decodeExtensions(
        _ certificate: Certificate,
        _ name: String,
        isLeaf: Bool
    ) throws(PKIError) -> DecodedExtensions {
        let extensions = certificate.extensions
        do {
            let basicConstraints = try extensions.basicConstraints
            if !isLeaf, extensions[oid: .X509ExtensionID.subjectAlternativeName] != nil {
                _ = try extensions.subjectAlternativeNames
            }
            _ = try extensions.nameConstraints
            _ = try extensions.authorityInformationAccess
            if let usages = try extensions.extendedKeyUsage, usages.isEmpty {
                throw PKIError(
                    .malformedExtension,
                    "\(name) has an empty extended key usage extension (RFC 5280 §4.2.1.12)"
                )
            }
            var isCA = false
            if case .isCertificateAuthority = basicConstraints { isCA = true }
            return DecodedExtensions(
                isCA: isCA,
                authorityKeyIdentifier: try extensions.authorityKeyIdentifier,
                subjectKeyIdentifier: try extensions.subjectKeyIdentifier
            )
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedExtension, "\(name) has an extension that does not decode: \(error)")
        }
    }

    private static func checkSerialNumber(_ certificate: Certificate, _ name: String) throws(PKIError) {
        // swift-certificates keeps the magnitude only; the sign is in the DER of the TBS certificate.
        guard let content = Self.serialNumberContent(certificate.tbsCertificateBytes), let first = content.first else {
            throw PKIError(.invalidSerialNumber, "\(name) has no readable serial number")
        }
        if first & 0x80 != 0 {
            throw PKIError(.invalidSerialNumber, "\(name) has a negative serial number (RFC 5280 §4.1.2.2)")
        }
        if content.allSatisfy({ $0 == 0 }) {
            throw PKIError(.invalidSerialNumber, "\(name) has serial number 0 (RFC 5280 §4.1.2.2: positive)")
        }
        // 20 octets, plus the leading zero DER needs when the first of them has its high bit set.
        let significant = first == 0 ? content.count - 1 : content.count
        if significant > 20 {
            throw PKIError(
                .invalidSerialNumber,
                "\(name) has a serial number of \(significant) octets, more than RFC 5280 §4.1.2.2's 20"
            )
        }
    }

    /// The content octets of the serialNumber INTEGER: the TBSCertificate SEQUENCE, an optional [0] version, then it.
    static func serialNumberContent(_ tbs: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard let sequence = Self.element(tbs, at: tbs.startIndex), sequence.tag == 0x30 else { return nil }
        var cursor = sequence.content.startIndex
        guard var field = Self.element(tbs, at: cursor) else { return nil }
        if field.tag == 0xA0 {
            cursor = field.content.endIndex
            guard let next = Self.element(tbs, at: cursor) else { return nil }
            field = next
        }
        return field.tag == 0x02 ? field.content : nil
    }

    /// One DER element's tag and content, starting at `index`.
    private static func element(_ bytes: ArraySlice<UInt8>, at index: Int) -> (tag: UInt8, content: ArraySlice<UInt8>)?
    {
        guard index + 1 < bytes.endIndex else { return nil }
        let tag = bytes[index]
        var cursor = index + 1
        var length = Int(bytes[cursor])
        cursor += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), cursor + count <= bytes.endIndex else { return nil }
            length = 0
            for byte in bytes[cursor..<(cursor + count)] { length = length << 8 | Int(byte) }
            cursor += count
        }
        guard length <= bytes.endIndex - cursor else { return nil }
        return (tag, bytes[cursor..<(cursor + length)])
    }

    private static func checkKeyIdentifiers(
        _ certificate: Certificate,
        _ decoded: DecodedExtensions,
        _ name: String,
        isAnchor: Bool
    ) throws(PKIError) {
        let extensions = certificate.extensions
        let isCA = decoded.isCA
        let isSelfIssued = certificate.subject == certificate.issuer
        let authority = extensions[oid: .X509ExtensionID.authorityKeyIdentifier]
        let subject = extensions[oid: .X509ExtensionID.subjectKeyIdentifier]
        if authority?.critical == true {
            throw PKIError(
                .invalidKeyIdentifier,
                "\(name) marks its authority key identifier critical (RFC 5280 §4.2.1.1)"
            )
        }
        if subject?.critical == true {
            throw PKIError(
                .invalidKeyIdentifier,
                "\(name) marks its subject key identifier critical (RFC 5280 §4.2.1.2)"
            )
        }
        if isCA && subject == nil {
            throw PKIError(
                .invalidKeyIdentifier,
                "\(name) is a CA without a subject key identifier (RFC 5280 §4.2.1.2 requires one)"
            )
        }
        guard let aki = decoded.authorityKeyIdentifier else {
            // §4.2.1.1: every certificate but a trust anchor names its issuer's key.
            if !isAnchor {
                throw PKIError(
                    .invalidKeyIdentifier,
                    "\(name) has no authority key identifier (RFC 5280 §4.2.1.1 requires one)"
                )
            }
            return
        }
        if aki.keyIdentifier == nil {
            throw PKIError(.invalidKeyIdentifier, "\(name) has an authority key identifier without a keyIdentifier")
        }
        if isAnchor && isSelfIssued {
            if aki.authorityCertIssuer != nil || aki.authorityCertSerialNumber != nil {
                throw PKIError(
                    .invalidKeyIdentifier,
                    "\(name) is a self-signed root whose authority key identifier names an issuer and serial number"
                )
            }
            if let ski = decoded.subjectKeyIdentifier, ski.keyIdentifier != aki.keyIdentifier {
                throw PKIError(
                    .invalidKeyIdentifier,
                    "\(name) is a self-signed root whose authority and subject key identifiers differ"
                )
            }
        }
    }

    private static func checkPublicKey(_ certificate: Certificate, _ name: String) throws(PKIError) {
        let key = PublicKeyInfo(certificate.publicKey)
        if key.algorithm == "unknown" {
            throw PKIError(.unsupportedKeyType, "\(name) has a public key of a type Warden does not accept")
        }
        if key.algorithm == "RSA" && (key.bits < 2048 || key.bits % 8 != 0) {
            throw PKIError(
                .unsupportedKeyType,
                "\(name) has a \(key.bits)-bit RSA key; at least 2048 bits, in whole bytes, are required"
            )
        }
    }
}
