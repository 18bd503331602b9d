import Foundation
import SwiftASN1
import X509

/// Decodes a `CertificateList` (RFC 5280 §5.1) into a ``CertificateRevocationList``, naming the field that fails.
struct CRLParser {
    let bytes: [UInt8]
    let limits: CRLLimits

    private static func fail(_ message: String) -> PKIError {
        PKIError(.malformedCRL, message)
    }

    func parse() throws -> CertificateRevocationList {
        let root: ASN1Node
        do { root = try DER.parse(self.bytes) } catch {
            throw Self.fail("the CRL is not well-formed DER: \(error)")
        }
        guard root.encodedBytes.count == self.bytes.count else {
            throw Self.fail("the CRL has \(self.bytes.count - root.encodedBytes.count) bytes after its end")
        }
        var outer = try Self.children(of: root, "CertificateList")
        guard let tbs = outer.next(), let outerAlgorithm = outer.next(), let signatureNode = outer.next(),
            outer.next() == nil
        else {
            throw Self.fail("CertificateList must hold tbsCertList, signatureAlgorithm and signatureValue")
        }
        let algorithm = try Self.algorithm(outerAlgorithm, "signatureAlgorithm")
        let signature: ASN1BitString
        do { signature = try ASN1BitString(derEncoded: signatureNode) } catch {
            throw Self.fail("signatureValue is not a BIT STRING: \(error)")
        }
        guard signature.paddingBits == 0 else { throw Self.fail("signatureValue has padding bits") }

        var fields = try Self.children(of: tbs, "tbsCertList")
        var node = try Self.next(&fields, "signature")
        var version = 1
        if node.identifier == .integer {
            let value: Int
            do { value = try Int(derEncoded: node) } catch { throw Self.fail("version is not an INTEGER: \(error)") }
            guard value == 1 else { throw Self.fail("version is \(value); a CRL with a version field is v2 (1)") }
            version = 2
            node = try Self.next(&fields, "signature")
        }
        guard
            try Self.algorithmIdentifier(node, "tbsCertList.signature")
                == Self.algorithmIdentifier(outerAlgorithm, "signatureAlgorithm")
        else {
            throw Self.fail("tbsCertList.signature differs from signatureAlgorithm (RFC 5280 §5.1.2.2)")
        }
        let issuer: DistinguishedName
        do { issuer = try DistinguishedName(derEncoded: try Self.next(&fields, "issuer")) } catch let error as PKIError
        {
            throw error
        } catch {
            throw Self.fail("issuer is not a Name: \(error)")
        }
        guard !issuer.isEmpty else { throw Self.fail("issuer is empty (RFC 5280 §5.1.2.3)") }
        let thisUpdate = try Self.time(try Self.next(&fields, "thisUpdate"), "thisUpdate")
        var nextUpdate: Date?
        var entriesNode: ASN1Node?
        var extensionsNode: ASN1Node?
        while let field = fields.next() {
            switch field.identifier {
            case .utcTime, .generalizedTime:
                guard nextUpdate == nil, entriesNode == nil, extensionsNode == nil else {
                    throw Self.fail("nextUpdate is out of order")
                }
                nextUpdate = try Self.time(field, "nextUpdate")
            case .sequence:
                guard entriesNode == nil, extensionsNode == nil else {
                    throw Self.fail("revokedCertificates is out of order or repeated")
                }
                entriesNode = field
            case ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific):
                guard extensionsNode == nil else { throw Self.fail("crlExtensions is repeated") }
                extensionsNode = field
            default:
                throw Self.fail("tbsCertList has an unexpected field \(field.identifier)")
            }
        }

        var entries: [RevokedCertificate] = []
        var index: [Certificate.SerialNumber: Int] = [:]
        if let entriesNode {
            guard case .constructed(let list) = entriesNode.content else {
                throw Self.fail("revokedCertificates is not a SEQUENCE")
            }
            // Counted before any entry is decoded: the limit bounds the work, not only the result.
            var count = 0
            for _ in list {
                count += 1
                if count > self.limits.maximumEntries {
                    throw PKIError(
                        .inputTooLarge,
                        "the CRL has more than \(self.limits.maximumEntries) entries, the limit"
                    )
                }
            }
            guard count > 0 else { throw Self.fail("revokedCertificates is present but empty (RFC 5280 §5.1.2.6)") }
            entries.reserveCapacity(count)
            index.reserveCapacity(count)
            for (position, entryNode) in list.enumerated() {
                let entry = try Self.entry(entryNode, position: position, version: version)
                if index.updateValue(entries.count, forKey: entry.serialNumber) != nil {
                    throw Self.fail("entry \(position + 1) repeats serial number \(entry.serialNumber)")
                }
                entries.append(entry)
            }
        }

        var number: CRLNumber?
        var baseNumber: CRLNumber?
        var authorityKeyIdentifier: [UInt8]?
        var distributionPoint: IssuingDistributionPoint?
        if let extensionsNode {
            guard version == 2 else { throw Self.fail("a v1 CRL has crlExtensions (RFC 5280 §5.1.2.1)") }
            var wrapper = try Self.children(of: extensionsNode, "crlExtensions")
            guard let list = wrapper.next(), wrapper.next() == nil else {
                throw Self.fail("crlExtensions must hold one SEQUENCE of extensions")
            }
            for crlExtension in try Self.extensions(list, "crlExtensions") {
                switch crlExtension.oid {
                case CRLExtensionID.crlNumber:
                    number = try Self.number(crlExtension, "cRLNumber")
                case CRLExtensionID.deltaCRLIndicator:
                    baseNumber = try Self.number(crlExtension, "deltaCRLIndicator")
                case CRLExtensionID.authorityKeyIdentifier:
                    do {
                        authorityKeyIdentifier = try AuthorityKeyIdentifier(crlExtension).keyIdentifier.map(Array.init)
                    } catch {
                        throw Self.fail("authorityKeyIdentifier does not decode: \(error)")
                    }
                case CRLExtensionID.issuingDistributionPoint:
                    distributionPoint = try Self.issuingDistributionPoint(crlExtension)
                case CRLExtensionID.issuerAlternativeName, CRLExtensionID.freshestCRL,
                    CRLExtensionID.authorityInformationAccess, CRLExtensionID.expiredCertificatesOnCRL:
                    if crlExtension.critical {
                        throw PKIError(
                            .unhandledCriticalExtension,
                            "the CRL marks \(crlExtension.oid) critical, which Warden does not process"
                        )
                    }
                default:
                    if crlExtension.critical {
                        throw PKIError(
                            .unhandledCriticalExtension,
                            "the CRL has critical extension \(crlExtension.oid), which Warden does not process"
                        )
                    }
                }
            }
        }
        if baseNumber != nil && number == nil {
            throw Self.fail("a delta CRL has no cRLNumber (RFC 5280 §5.2.4)")
        }

        return CertificateRevocationList(
            version: version,
            issuer: issuer,
            thisUpdate: thisUpdate,
            nextUpdate: nextUpdate,
            number: number,
            baseCRLNumber: baseNumber,
            authorityKeyIdentifier: authorityKeyIdentifier,
            issuingDistributionPoint: distributionPoint,
            signatureAlgorithm: algorithm,
            derBytes: self.bytes,
            revokedCertificates: entries,
            index: index,
            tbsRange: tbs.encodedBytes.startIndex..<tbs.encodedBytes.endIndex,
            signatureBytes: signature.bytes
        )
    }

    private static func entry(_ node: ASN1Node, position: Int, version: Int) throws -> RevokedCertificate {
        // Built only for a message: an interpolated string per entry would cost more than the entry's parse.
        func name() -> String { "entry \(position + 1)" }
        var fields = try Self.children(of: node, name())
        let serialNode = try Self.next(&fields, "\(name()).userCertificate")
        let serial: ArraySlice<UInt8>
        do { serial = try ArraySlice<UInt8>(derEncoded: serialNode) } catch {
            throw Self.fail("\(name()).userCertificate is not an INTEGER: \(error)")
        }
        let date = try Self.time(try Self.next(&fields, "\(name()).revocationDate"), "\(name()).revocationDate")
        var reason: CRLReason?
        var invalidity: Date?
        if let extensionsNode = fields.next() {
            guard version == 2 else { throw Self.fail("\(name()) has extensions in a v1 CRL") }
            guard fields.next() == nil else { throw Self.fail("\(name()) has fields after crlEntryExtensions") }
            for entryExtension in try Self.extensions(extensionsNode, "\(name()).crlEntryExtensions") {
                switch entryExtension.oid {
                case CRLExtensionID.reasonCode:
                    // ENUMERATED, one content octet: read in place, as it is in every entry of a large list.
                    let value = entryExtension.value
                    guard value.count == 3, value[value.startIndex] == 0x0A, value[value.startIndex + 1] == 1,
                        value[value.startIndex + 2] <= 10, value[value.startIndex + 2] != 7
                    else {
                        throw Self.fail("\(name()).reasonCode is not a CRLReason ENUMERATED")
                    }
                    reason = CRLReason(rawValue: Int(value[value.startIndex + 2]))
                case CRLExtensionID.invalidityDate:
                    do { invalidity = try DERTime.date(try DER.parse(entryExtension.value)) } catch {
                        throw Self.fail("\(name()).invalidityDate is not a GeneralizedTime: \(error)")
                    }
                case CRLExtensionID.certificateIssuer:
                    throw PKIError(
                        .unsupportedCRL,
                        "\(name()) names a certificate issuer: indirect CRLs are not supported"
                    )
                default:
                    if entryExtension.critical {
                        throw PKIError(
                            .unhandledCriticalExtension,
                            "\(name()) has critical extension \(entryExtension.oid), which Warden does not process"
                        )
                    }
                }
            }
        }
        return RevokedCertificate(
            serialNumber: Certificate.SerialNumber(bytes: serial),
            revocationDate: date,
            reason: reason,
            invalidityDate: invalidity
        )
    }

    private static func issuingDistributionPoint(
        _ crlExtension: Certificate.Extension
    ) throws -> IssuingDistributionPoint {
        let node: ASN1Node
        do { node = try DER.parse(crlExtension.value) } catch {
            throw Self.fail("issuingDistributionPoint is not DER: \(error)")
        }
        var fields = try Self.children(of: node, "issuingDistributionPoint")
        var uris: [String] = []
        var onlyUser = false
        var onlyCA = false
        while let field = fields.next() {
            guard field.identifier.tagClass == .contextSpecific else {
                throw Self.fail("issuingDistributionPoint has an untagged field")
            }
            switch field.identifier.tagNumber {
            case 0:
                uris = try CRLDistributionPoints.fullNameURIs(field, "issuingDistributionPoint.distributionPoint")
            case 1, 2:
                let value: Bool
                do { value = try Bool(derEncoded: field, withIdentifier: field.identifier) } catch {
                    throw Self.fail("issuingDistributionPoint flag [\(field.identifier.tagNumber)] is not a BOOLEAN")
                }
                if field.identifier.tagNumber == 1 { onlyUser = value } else { onlyCA = value }
            case 3:
                throw PKIError(
                    .unsupportedCRL,
                    "the CRL covers only some revocation reasons, which Warden does not support"
                )
            case 4:
                throw PKIError(.unsupportedCRL, "the CRL is indirect, which Warden does not support")
            case 5:
                throw PKIError(.unsupportedCRL, "the CRL covers attribute certificates, which Warden does not support")
            default:
                throw Self.fail("issuingDistributionPoint has an unknown field [\(field.identifier.tagNumber)]")
            }
        }
        guard !(onlyUser && onlyCA) else {
            throw Self.fail("issuingDistributionPoint sets both onlyContainsUserCerts and onlyContainsCACerts")
        }
        return IssuingDistributionPoint(
            distributionPointURIs: uris,
            onlyContainsUserCertificates: onlyUser,
            onlyContainsCACertificates: onlyCA
        )
    }

    private static func number(_ crlExtension: Certificate.Extension, _ name: String) throws -> CRLNumber {
        let bytes: ArraySlice<UInt8>
        do { bytes = try ArraySlice<UInt8>(derEncoded: try DER.parse(crlExtension.value)) } catch {
            throw Self.fail("\(name) is not an INTEGER: \(error)")
        }
        guard bytes.first.map({ $0 & 0x80 == 0 }) ?? false, bytes.count <= 21 else {
            throw Self.fail("\(name) is negative or longer than 20 octets (RFC 5280 §5.2.3)")
        }
        return CRLNumber(bytes: bytes)
    }

    private static func extensions(
        _ node: ASN1Node,
        _ name: @autoclosure () -> String
    ) throws -> [Certificate.Extension] {
        var list = try Self.children(of: node, name())
        var result: [Certificate.Extension] = []
        // Few extensions per list or entry: an array is cheaper than a set.
        var seen: [ASN1ObjectIdentifier] = []
        while let item = list.next() {
            var fields = try Self.children(of: item, name())
            let oidNode = try Self.next(&fields, "\(name()) extnID")
            let oid: ASN1ObjectIdentifier
            do { oid = try ASN1ObjectIdentifier(derEncoded: oidNode) } catch {
                throw Self.fail("\(name()) has an extension whose extnID is not an OID")
            }
            var valueNode = try Self.next(&fields, "\(name()) \(oid) extnValue")
            var critical = false
            if valueNode.identifier == .boolean {
                do { critical = try Bool(derEncoded: valueNode) } catch {
                    throw Self.fail("\(name()) \(oid) has a malformed critical flag")
                }
                valueNode = try Self.next(&fields, "\(name()) \(oid) extnValue")
            }
            let value: ASN1OctetString
            do { value = try ASN1OctetString(derEncoded: valueNode) } catch {
                throw Self.fail("\(name()) \(oid) extnValue is not an OCTET STRING")
            }
            guard fields.next() == nil else { throw Self.fail("\(name()) \(oid) has extra fields") }
            guard !seen.contains(oid) else { throw Self.fail("\(name()) repeats extension \(oid)") }
            seen.append(oid)
            result.append(Certificate.Extension(oid: oid, critical: critical, value: value.bytes))
        }
        guard !result.isEmpty else { throw Self.fail("\(name()) is empty") }
        return result
    }

    private static func algorithmIdentifier(_ node: ASN1Node, _ name: String) throws -> ArraySlice<UInt8> {
        guard node.identifier == .sequence else { throw Self.fail("\(name) is not an AlgorithmIdentifier") }
        return node.encodedBytes
    }

    private static func algorithm(_ node: ASN1Node, _ name: String) throws -> Certificate.SignatureAlgorithm {
        var fields = try Self.children(of: node, name)
        let oid: ASN1ObjectIdentifier
        do { oid = try ASN1ObjectIdentifier(derEncoded: try Self.next(&fields, name)) } catch let error as PKIError {
            throw error
        } catch {
            throw Self.fail("\(name) does not start with an OID")
        }
        switch oid {
        case [1, 2, 840, 10045, 4, 3, 2]: return .ecdsaWithSHA256
        case [1, 2, 840, 10045, 4, 3, 3]: return .ecdsaWithSHA384
        case [1, 2, 840, 10045, 4, 3, 4]: return .ecdsaWithSHA512
        case [1, 2, 840, 113549, 1, 1, 5]: return .sha1WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 11]: return .sha256WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 12]: return .sha384WithRSAEncryption
        case [1, 2, 840, 113549, 1, 1, 13]: return .sha512WithRSAEncryption
        case [1, 3, 101, 112]: return .ed25519
        default:
            throw PKIError(.unsupportedAlgorithm, "the CRL is signed with \(oid), which Warden does not support")
        }
    }

    private static func time(_ node: ASN1Node, _ name: @autoclosure () -> String) throws -> Date {
        do { return try DERTime.date(node) } catch {
            throw Self.fail("\(name()) is not a UTCTime or GeneralizedTime: \(error)")
        }
    }

    private static func children(
        of node: ASN1Node,
        _ name: @autoclosure () -> String
    ) throws -> ASN1NodeCollection.Iterator {
        guard case .constructed(let children) = node.content,
            node.identifier == .sequence || node.identifier.tagClass == .contextSpecific
        else {
            throw Self.fail("\(name()) is not a SEQUENCE")
        }
        return children.makeIterator()
    }

    private static func next(
        _ iterator: inout ASN1NodeCollection.Iterator,
        _ name: @autoclosure () -> String
    ) throws
        -> ASN1Node
    {
        guard let node = iterator.next() else { throw Self.fail("\(name()) is missing") }
        return node
    }
}

/// The OIDs of the CRL and CRL entry extensions RFC 5280 §5.2 and §5.3 define.
enum CRLExtensionID {
    static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
    static let issuerAlternativeName: ASN1ObjectIdentifier = [2, 5, 29, 18]
    static let crlNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
    static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
    static let freshestCRL: ASN1ObjectIdentifier = [2, 5, 29, 46]
    static let authorityInformationAccess: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 1]
    static let expiredCertificatesOnCRL: ASN1ObjectIdentifier = [2, 5, 29, 60]
    static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
    static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
    static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]
    static let crlDistributionPoints: ASN1ObjectIdentifier = [2, 5, 29, 31]
}
