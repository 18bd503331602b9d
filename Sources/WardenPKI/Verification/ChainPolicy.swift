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

    init(time: Date, dnsName: String?, requiredUsage: ExtendedKeyUsage.Usage?, failures: FailureLog) {
        self.failures = failures
        self.time = time
        self.dnsName = dnsName
        self.requiredUsage = requiredUsage
        self.rfc5280 = RFC5280Policy(fixedExpiryValidationTime: time)
        self.serverIdentity = dnsName.map { ServerIdentityPolicy(serverHostname: $0, serverIP: nil) }
    }

    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { CriticalExtensionRule.handled }

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
            do {
                try ValidityRule.check(certificate, at: self.time)
            } catch {
                let code: PKIError.Code = error == .expired ? .expired : .notYetValid
                return PKIError(code, ValidityRule.message(error, certificate, at: index, time: self.time))
            }
        }
        var pathLengths: [Int?] = [nil]
        for index in chain.indices.dropFirst() {
            let issuer = chain[index]
            do {
                pathLengths.append(try SigningCertificateRule.check(issuer, requireKeyUsage: false))
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
        }
        do {
            try PathLengthRule.check(chain) { pathLengths[$0] }
        } catch {
            return PKIError(.pathLengthExceeded, PathLengthRule.message(error, chain))
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
        CertificateNaming.name(certificate, at: index)
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
