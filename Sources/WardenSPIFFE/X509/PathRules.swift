import Foundation
import SwiftASN1
import WardenPKI
import X509

/// The per-certificate and per-path rules of the X509-SVID verifier, each failing with its own ``SPIFFEError`` code.
enum PathRules {
    static let handledCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage, .X509ExtensionID.subjectAlternativeName,
        .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.nameConstraints,
    ]

    static func name(_ certificate: Certificate, _ index: Int) -> String {
        let role = index == 0 ? "the leaf" : "certificate \(index + 1) of the path"
        let subject = Self.subject(certificate.subject)
        return "\(role) (\(subject.isEmpty ? "empty subject" : subject))"
    }

    static func subject(_ name: DistinguishedName) -> String {
        DistinguishedNameFormatter.string(from: name)
    }

    static func checkValidity(_ certificate: Certificate, _ index: Int, at time: Date) throws(SPIFFEError) {
        if time < certificate.notValidBefore {
            throw SPIFFEError(
                .notYetValid,
                "\(Self.name(certificate, index)) is not valid before \(certificate.notValidBefore.formatted(.iso8601)) (verification time \(time.formatted(.iso8601)))"
            )
        }
        if time > certificate.notValidAfter {
            throw SPIFFEError(
                .expired,
                "\(Self.name(certificate, index)) expired at \(certificate.notValidAfter.formatted(.iso8601)) (verification time \(time.formatted(.iso8601)))"
            )
        }
    }

    static func checkCriticalExtensions(_ certificate: Certificate, _ index: Int) throws(SPIFFEError) {
        for ext in certificate.extensions where ext.critical && !Self.handledCriticalExtensions.contains(ext.oid) {
            throw SPIFFEError(
                .unhandledCriticalExtension,
                "\(Self.name(certificate, index)) has critical extension \(ext.oid) that the verifier does not process"
            )
        }
    }

    /// The signing-certificate rules, with the position in the path in the message; returns the pathLenConstraint.
    static func checkSigningCertificate(_ certificate: Certificate, _ index: Int) throws(SPIFFEError) -> Int? {
        do {
            return try X509SVID.signingCertificatePathLength(certificate)
        } catch {
            throw SPIFFEError(error.code, "\(error.message) (\(Self.name(certificate, index)))")
        }
    }

    /// RFC 5280 §4.2.1.9: a CA's pathLenConstraint bounds the non-self-issued intermediates below it.
    static func checkPathLengths(_ path: VerifiedPath) throws(SPIFFEError) {
        var intermediatesBelow = 0
        for index in path.certificates.indices.dropFirst() {
            if let limit = path.pathLengths[index], intermediatesBelow > limit {
                throw SPIFFEError(
                    .pathLengthExceeded,
                    "\(Self.name(path.certificates[index], index)) allows \(limit) intermediate CA(s) below it but the path has \(intermediatesBelow)"
                )
            }
            let certificate = path.certificates[index]
            if certificate.subject != certificate.issuer { intermediatesBelow += 1 }
        }
    }

    /// Applies URI and DNS name constraints (RFC 5280 §4.2.1.10) of every CA of the path to the leaf's names. A
    /// constraint of another form cannot be checked here, so it fails closed.
    static func checkNameConstraints(_ path: VerifiedPath, id: SPIFFEID) throws(SPIFFEError) {
        guard
            path.certificates.dropFirst().contains(where: {
                $0.extensions[oid: .X509ExtensionID.nameConstraints] != nil
            })
        else { return }
        let dnsNames =
            ((try? path.certificates[0].extensions.subjectAlternativeNames) ?? nil).map {
                SubjectAlternativeNameList($0).dns
            } ?? []
        let host = id.trustDomain.name
        for (index, certificate) in path.certificates.enumerated().dropFirst() {
            let constraints: NameConstraints?
            do { constraints = try certificate.extensions.nameConstraints } catch {
                throw SPIFFEError(
                    .malformedInput,
                    "\(Self.name(certificate, index)) has a malformed name constraints extension: \(error)"
                )
            }
            guard let constraints else { continue }
            let where_ = Self.name(certificate, index)
            var permittedURIs: [String] = []
            var excludedURIs: [String] = []
            var permittedDNS: [String] = []
            var excludedDNS: [String] = []
            for (subtrees, isPermitted) in [
                (constraints.permittedSubtrees, true), (constraints.excludedSubtrees, false),
            ] {
                for name in subtrees {
                    switch name {
                    case .uniformResourceIdentifier(let value):
                        isPermitted ? permittedURIs.append(value) : excludedURIs.append(value)
                    case .dnsName(let value): isPermitted ? permittedDNS.append(value) : excludedDNS.append(value)
                    default:
                        throw SPIFFEError(
                            .nameConstraintsViolated,
                            "\(where_) has a name constraint of a form Warden does not process (\(name)); it fails closed"
                        )
                    }
                }
            }
            if !permittedURIs.isEmpty, !permittedURIs.contains(where: { Self.hostMatches(host, $0, uri: true) }) {
                throw SPIFFEError(
                    .nameConstraintsViolated,
                    "\(id) is outside the URI names \(where_) permits (\(permittedURIs.joined(separator: ", ")))"
                )
            }
            if let excluded = excludedURIs.first(where: { Self.hostMatches(host, $0, uri: true) }) {
                throw SPIFFEError(
                    .nameConstraintsViolated,
                    "\(id) is within URI name \(excluded) that \(where_) excludes"
                )
            }
            for dns in dnsNames {
                if !permittedDNS.isEmpty,
                    !permittedDNS.contains(where: { Self.hostMatches(dns.lowercased(), $0, uri: false) })
                {
                    throw SPIFFEError(
                        .nameConstraintsViolated,
                        "DNS name \(dns) is outside the names \(where_) permits"
                    )
                }
                if let excluded = excludedDNS.first(where: { Self.hostMatches(dns.lowercased(), $0, uri: false) }) {
                    throw SPIFFEError(
                        .nameConstraintsViolated,
                        "DNS name \(dns) is within \(excluded), which \(where_) excludes"
                    )
                }
            }
        }
    }

    /// RFC 5280 §4.2.1.10: a URI constraint `.example.com` matches hosts below it and `example.com` only that host; a
    /// DNS constraint matches the name and every name below it.
    private static func hostMatches(_ host: String, _ constraint: String, uri: Bool) -> Bool {
        let constraint = constraint.lowercased()
        if constraint.hasPrefix(".") { return host.hasSuffix(constraint) }
        return host == constraint || (!uri && host.hasSuffix("." + constraint))
    }
}
