import Foundation
import SwiftASN1
import WardenPKI
import X509

/// The per-certificate and per-path rules of the X509-SVID verifier, each failing with its own ``SPIFFEError`` code.
enum PathRules {
    static func name(_ certificate: Certificate, _ index: Int) -> String {
        CertificateNaming.name(certificate, at: index)
    }

    static func subject(_ name: DistinguishedName) -> String {
        CertificateNaming.subject(name)
    }

    static func checkValidity(_ certificate: Certificate, _ index: Int, at time: Date) throws(SPIFFEError) {
        do {
            try ValidityRule.check(certificate, at: time)
        } catch {
            throw SPIFFEError(
                error == .expired ? .expired : .notYetValid,
                ValidityRule.message(error, certificate, at: index, time: time)
            )
        }
    }

    static func checkCriticalExtensions(_ certificate: Certificate, _ index: Int) throws(SPIFFEError) {
        if let oid = CriticalExtensionRule.firstUnhandled(in: certificate) {
            throw SPIFFEError(.unhandledCriticalExtension, CriticalExtensionRule.message(oid, certificate, at: index))
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
        do {
            try PathLengthRule.check(path.certificates) { path.pathLengths[$0] }
        } catch {
            throw SPIFFEError(.pathLengthExceeded, PathLengthRule.message(error, path.certificates))
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
