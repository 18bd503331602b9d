import Foundation
import SwiftASN1
import Synchronization
@_spi(FixedExpiryValidationTime) import X509

/// The policy ``CertificateChainVerifier`` applies to each candidate chain.
///
/// It runs the rules it can name itself first, each with its own ``PKIError`` code, then swift-certificates'
/// `RFC5280Policy` (name constraints and the rest) and `ServerIdentityPolicy`. The first failure of each candidate is
/// recorded, so that the verifier can report a typed reason instead of a list of strings.
struct ChainPolicy: VerifierPolicy {
    let time: Date
    let dnsName: String?
    let requiredUsage: ExtendedKeyUsage.Usage?
    let rfc5280: RFC5280Policy
    var serverIdentity: ServerIdentityPolicy?
    /// Shared with the verifier, which cannot read a policy back out of swift-certificates' `Verifier`.
    let failures: FailureLog

    static let handledCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.nameConstraints,
        .X509ExtensionID.keyUsage,
        // Processed here: names by name constraints and the DNS check, usages by the EKU check. Without the SAN, a
        // certificate with an empty subject and the critical SAN RFC 5280 §4.2.1.6 requires would be refused.
        .X509ExtensionID.subjectAlternativeName,
        .X509ExtensionID.extendedKeyUsage,
    ]

    init(time: Date, dnsName: String?, requiredUsage: ExtendedKeyUsage.Usage?, failures: FailureLog) {
        self.failures = failures
        self.time = time
        self.dnsName = dnsName
        self.requiredUsage = requiredUsage
        self.rfc5280 = RFC5280Policy(fixedExpiryValidationTime: time)
        self.serverIdentity = dnsName.map { ServerIdentityPolicy(serverHostname: $0, serverIP: nil) }
    }

    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { Self.handledCriticalExtensions }

    mutating func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        if let failure = self.evaluate(chain) {
            self.failures.record(failure)
            return .failsToMeetPolicy(reason: failure.message)
        }
        return .meetsPolicy
    }

    private mutating func evaluate(_ unverified: UnverifiedCertificateChain) -> PKIError? {
        let chain = Array(unverified)
        for (index, certificate) in chain.enumerated() {
            if certificate.version == .v1 && !certificate.extensions.isEmpty {
                return PKIError(
                    .unsupportedCertificateVersion,
                    "\(Self.name(certificate, index)) is a version 1 certificate with extensions"
                )
            }
            if self.time < certificate.notValidBefore {
                return PKIError(
                    .notYetValid,
                    "\(Self.name(certificate, index)) is not valid before \(Self.format(certificate.notValidBefore)) (verification time \(Self.format(self.time)))"
                )
            }
            if self.time > certificate.notValidAfter {
                return PKIError(
                    .expired,
                    "\(Self.name(certificate, index)) expired at \(Self.format(certificate.notValidAfter)) (verification time \(Self.format(self.time)))"
                )
            }
        }
        var nonSelfIssuedBelow = 0
        for index in chain.indices.dropFirst() {
            let issuer = chain[index]
            let pathLength: Int?
            do {
                pathLength = try SigningCertificateRule.check(issuer, requireKeyUsage: false)
            } catch {
                switch error {
                case .malformedExtension(let detail):
                    return PKIError(
                        .chainPolicyViolation,
                        "\(Self.name(issuer, index)) has a malformed extension: \(detail)"
                    )
                case .notCA(let absent):
                    return PKIError(
                        .issuerNotCA,
                        "\(Self.name(issuer, index)) issues \(Self.name(chain[index - 1], index - 1)) but is not a CA (basic constraints \(absent ? "absent" : "cA=false"))"
                    )
                case .missingKeyCertSign:
                    return PKIError(
                        .issuerMissingKeyCertSign,
                        "\(Self.name(issuer, index)) issues certificates but its key usage lacks keyCertSign"
                    )
                }
            }
            if let pathLength, nonSelfIssuedBelow > pathLength {
                return PKIError(
                    .pathLengthExceeded,
                    "\(Self.name(issuer, index)) allows \(pathLength) intermediate CA(s) below it (pathLenConstraint) but the chain has \(nonSelfIssuedBelow)"
                )
            }
            // RFC 5280 §6.1.4 (l): self-issued certificates do not count towards the path length.
            if issuer.subject != issuer.issuer { nonSelfIssuedBelow += 1 }
        }
        if case .failsToMeetPolicy(let reason) = self.rfc5280.chainMeetsPolicyRequirements(chain: unverified) {
            let hasNameConstraints = chain.contains { $0.extensions[oid: .X509ExtensionID.nameConstraints] != nil }
            return PKIError(hasNameConstraints ? .nameConstraintsViolated : .chainPolicyViolation, "\(reason)")
        }
        if let requiredUsage, let leaf = chain.first {
            let usages: ExtendedKeyUsage?
            do { usages = try leaf.extensions.extendedKeyUsage } catch {
                return PKIError(
                    .chainPolicyViolation,
                    "\(Self.name(leaf, 0)) has a malformed extended key usage extension: \(error)"
                )
            }
            if let usages, !usages.contains(requiredUsage), !usages.contains(.any) {
                let found = usages.map(ObjectIdentifierNames.extendedKeyUsageName).joined(separator: ", ")
                return PKIError(
                    .extendedKeyUsageMismatch,
                    "\(Self.name(leaf, 0)) allows extended key usages [\(found)], not \(ObjectIdentifierNames.extendedKeyUsageName(requiredUsage))"
                )
            }
        }
        if var serverIdentity = self.serverIdentity, let dnsName {
            if case .failsToMeetPolicy = serverIdentity.chainMeetsPolicyRequirements(chain: unverified) {
                let names =
                    (try? chain.first?.extensions.subjectAlternativeNames).flatMap { $0 }
                    .map { SubjectAlternativeNameList($0).dns.joined(separator: ", ") } ?? ""
                return PKIError(
                    .hostnameMismatch,
                    "\(Self.name(chain[0], 0)) is not valid for DNS name '\(dnsName)' (DNS SANs: \(names.isEmpty ? "none" : names))"
                )
            }
            self.serverIdentity = serverIdentity
        }
        return nil
    }

    static func name(_ certificate: Certificate, _ index: Int) -> String {
        let role = index == 0 ? "the leaf" : "certificate \(index + 1) of the chain"
        let subject = DistinguishedNameFormatter.string(from: certificate.subject)
        return "\(role) (\(subject.isEmpty ? "empty subject" : subject))"
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// The typed failures of the candidate chains of one verification, in the order they were found.
final class FailureLog: Sendable {
    private let failures = Mutex<[PKIError]>([])

    func record(_ failure: PKIError) {
        self.failures.withLock { $0.append(failure) }
    }

    var first: PKIError? {
        self.failures.withLock { $0.first }
    }
}
