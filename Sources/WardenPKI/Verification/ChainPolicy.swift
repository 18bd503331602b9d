import Foundation
import SwiftASN1
import Synchronization
import X509

/// The policy ``CertificateChainVerifier`` applies to each candidate chain.
///
/// Every rule is Warden's own (in `Rules/`, one per file), each with its own ``PKIError`` code: swift-certificates'
/// `RFC5280Policy` lacks email and directory-name constraints and a bound on their cost, and reports a string. The
/// first failure of each candidate is recorded, so that the verifier can report a typed reason.
struct ChainPolicy: VerifierPolicy {
    let time: Date
    let peerName: PeerName?
    let requiredUsage: ExtendedKeyUsage.Usage?
    /// Shared with the verifier, which cannot read a policy back out of swift-certificates' `Verifier`.
    let failures: FailureLog
    let budget: VerificationBudget
    let issuerCache: VerifiedIssuerCache

    init(
        time: Date,
        peerName: PeerName?,
        requiredUsage: ExtendedKeyUsage.Usage?,
        failures: FailureLog,
        budget: VerificationBudget,
        issuerCache: VerifiedIssuerCache
    ) {
        self.issuerCache = issuerCache
        self.failures = failures
        self.time = time
        self.peerName = peerName
        self.requiredUsage = requiredUsage
        self.budget = budget
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
        do {
            if chain.count == 1 {
                try CertificateProfileRule.check(chain[0], at: 0, isAnchor: true)
            } else {
                try CertificateProfileRule.check(chain[0], at: 0, isAnchor: false)
                try EndEntityRule.check(chain[0])
            }
            for index in chain.indices.dropFirst() {
                let isAnchor = index == chain.count - 1
                if self.issuerCache.contains(chain[index], isAnchor: isAnchor) { continue }
                try CertificateProfileRule.check(chain[index], at: index, isAnchor: isAnchor)
                try CertificateAuthorityRule.check(chain[index], at: index)
                self.issuerCache.insert(chain[index], isAnchor: isAnchor)
            }
        } catch {
            return error
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
                        .malformedExtension,
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
        let intermediates = chain.dropFirst().dropLast().filter { $0.subject != $0.issuer }.count
        if intermediates > self.budget.limits.maximumIntermediates {
            return PKIError(
                .pathLengthExceeded,
                "the path has \(intermediates) intermediates that are not self-issued, more than the limit of \(self.budget.limits.maximumIntermediates)"
            )
        }
        // Name constraints cost the number of names below each constrained CA times its subtrees: paid for before
        // they are compared.
        let comparisons = chain.indices.dropFirst().reduce(0) { $0 + NameConstraintsRule.comparisons(chain, at: $1) }
        guard self.budget.takeComparisons(comparisons) else {
            return PKIError(
                .verificationBudgetExceeded,
                "checking the name constraints of this path takes \(comparisons) comparisons; the limit is \(self.budget.limits.maximumNameConstraintComparisons) per verification"
            )
        }
        do {
            for index in chain.indices.dropFirst() { try NameConstraintsRule.check(chain, at: index) }
        } catch {
            return error
        }
        if let requiredUsage, let leaf = chain.first {
            let usages: ExtendedKeyUsage?
            do { usages = try leaf.extensions.extendedKeyUsage } catch {
                return PKIError(
                    .malformedExtension,
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
        if let peerName, let leaf = chain.first {
            switch peerName {
            case .dns, .ipAddress:
                do { try EndEntityRule.checkServer(leaf) } catch { return error }
            case .email:
                break
            }
            do {
                try PeerNameRule.check(leaf, against: peerName)
            } catch {
                switch error {
                case .malformedSubjectAlternativeNames(let detail):
                    return PKIError(
                        .malformedExtension,
                        "\(Self.name(leaf, 0)) has a malformed subject alternative name extension: \(detail)"
                    )
                case .invalidReference:
                    return PKIError(.hostnameMismatch, "\(peerName) is not a name a certificate can be valid for")
                case .noMatch:
                    let names =
                        (try? leaf.extensions.subjectAlternativeNames).flatMap { $0 }
                        .map { SubjectAlternativeNameList($0) }
                    let listed = names.map { ($0.dns + $0.ip + $0.email).joined(separator: ", ") } ?? ""
                    return PKIError(
                        .hostnameMismatch,
                        "\(Self.name(leaf, 0)) is not valid for \(peerName) (its names: \(listed.isEmpty ? "none" : listed))"
                    )
                }
            }
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
