public import Foundation
import SwiftASN1
public import WardenCore
public import X509

/// Verifies a certificate chain against trusted roots, and says which rule failed when it does not verify.
///
/// A facade over swift-certificates' `Verifier`: it builds the path through the given intermediates to one of the
/// roots, checks signatures, validity at the verification time, basic constraints, key usage of issuers, path length,
/// name constraints, and optionally the peer's name (DNS, IP or email) and an extended key usage of the leaf. Its work
/// is bounded by ``VerificationLimits``, whatever certificates the peer sends.
///
/// ```swift
/// let verifier = CertificateChainVerifier(roots: try CertificateDecoder.certificates(from: rootsPEM))
/// do {
///     let chain = try await verifier.verify(leaf: leaf, intermediates: intermediates, dnsName: "api.example.com")
///     print("trusted via", chain.root.subject)
/// } catch {
///     print(error.code, error.message)   // expired: the leaf (CN=api) expired at …
/// }
/// ```
///
/// Every Warden verifier follows one rule: it returns what it verified (``VerifiedCertificateChain``, and in
/// WardenSPIFFE `VerifiedX509SVID` and `VerifiedJWTSVID`) and throws its module's typed error naming the rule that
/// failed, for a rejected peer and for malformed input alike.
///
/// swift-certificates builds the candidate paths and checks their signatures; every policy is Warden's own, one rule
/// type per file in `Rules/` (RFC 5280's profile, end-entity and CA rules, all name constraints, the peer's name), so
/// that each failure has its own code. Notably: an issuer whose key usage lacks `keyCertSign` is rejected, a critical
/// subject alternative name extension is accepted when the subject is empty (as in every SPIFFE X509-SVID), and a CA
/// certificate presented as the leaf is rejected. `Documentation/Conformance.md` has the score on x509-limbo.
public struct CertificateChainVerifier: Sendable {
    /// The trust anchors.
    public let roots: [Certificate]
    /// The work one verification may do.
    public let limits: VerificationLimits
    /// Whether and how revocation is checked; ``RevocationPolicy/none`` unless chosen.
    public let revocation: RevocationPolicy
    private let rootStore: CertificateStore
    private let clock: any WardenClock
    private let issuerCache = VerifiedIssuerCache()

    /// Creates a verifier that trusts `roots` and reads the time from `clock` when no time is given.
    ///
    /// With a `revocation` policy other than ``RevocationPolicy/none``, a verified chain is also checked for
    /// revocation (see ``RevocationPolicy``): a revoked certificate is ``PKIError/Code/certificateRevoked``.
    public init(
        roots: [Certificate],
        limits: VerificationLimits = .default,
        revocation: RevocationPolicy = .none,
        clock: any WardenClock = SystemClock()
    ) {
        self.roots = roots
        self.limits = limits
        self.revocation = revocation
        self.rootStore = CertificateStore(roots)
        self.clock = clock
    }

    /// Verifies `leaf` through `intermediates` to one of the roots, for a peer addressed by a DNS name.
    ///
    /// The same as ``verify(leaf:intermediates:at:peerName:extendedKeyUsage:)`` with `peerName: .dns(dnsName)`.
    public func verify(
        leaf: Certificate,
        intermediates: [Certificate] = [],
        at time: Date? = nil,
        dnsName: String?,
        extendedKeyUsage: ExtendedKeyUsage.Usage? = nil
    ) async throws(PKIError) -> VerifiedCertificateChain {
        try await self.verify(
            leaf: leaf,
            intermediates: intermediates,
            at: time,
            peerName: dnsName.map { .dns($0) },
            extendedKeyUsage: extendedKeyUsage
        )
    }

    /// Verifies `leaf` through `intermediates` to one of the roots.
    ///
    /// - Returns: the path from the leaf to a trusted root.
    /// - Throws: ``PKIError`` whose code names the rule that failed.
    /// - Parameters:
    ///   - leaf: the end-entity certificate.
    ///   - intermediates: certificates that may complete the path, in any order; extra ones are ignored.
    ///   - time: the verification time; the clock's now when `nil`.
    ///   - peerName: when given, the leaf must be valid for this name (see ``PeerName``).
    ///   - extendedKeyUsage: when given, the leaf's extended key usage, if present, must allow it.
    public func verify(
        leaf: Certificate,
        intermediates: [Certificate] = [],
        at time: Date? = nil,
        peerName: PeerName? = nil,
        extendedKeyUsage: ExtendedKeyUsage.Usage? = nil
    ) async throws(PKIError) -> VerifiedCertificateChain {
        let fixedTime = time != nil
        let time = time ?? self.clock.now
        if let unhandled = Self.unhandledCriticalExtension(of: leaf) {
            throw PKIError(
                .unhandledCriticalExtension,
                "\(ChainPolicy.name(leaf, 0)) has critical extension \(unhandled) that the verifier does not process"
            )
        }
        let failures = FailureLog()
        let budget = VerificationBudget(self.limits)
        var verifier = Verifier(rootCertificates: self.rootStore) {
            ChainPolicy(
                time: time,
                peerName: peerName,
                requiredUsage: extendedKeyUsage,
                failures: failures,
                budget: budget,
                issuerCache: self.issuerCache
            )
        }
        let store = CertificateStore(custom: BudgetedCertificateStore(intermediates, budget: budget))
        let result = await verifier.validate(leaf: leaf, intermediates: store)
        switch result {
        case .validCertificate(let chain):
            let certificates = Array(chain)
            guard self.revocation.checksRevocation else { return VerifiedCertificateChain(certificates) }
            let checks = try await RevocationChecker(policy: self.revocation)
                .check(certificates, at: time, fixedTime: fixedTime)
            return VerifiedCertificateChain(certificates, revocationChecks: checks)
        case .couldNotValidate:
            if let exhausted = budget.exhausted {
                throw PKIError(
                    .verificationBudgetExceeded,
                    "no path was found within the verification's limits: \(exhausted)"
                )
            }
            throw failures.first ?? self.diagnosePathFailure(leaf: leaf, intermediates: intermediates)
        }
    }

    /// Explains why no candidate path reached a root, when no candidate got as far as the policy.
    private func diagnosePathFailure(leaf: Certificate, intermediates: [Certificate]) -> PKIError {
        var current = leaf
        var index = 0
        var visited: Set<Certificate> = [leaf]
        let pool = self.roots + intermediates
        // The diagnosis walks one path, its signature checks bounded like the search's.
        var signatureChecks = self.limits.maximumIssuerCandidates
        while index <= self.limits.maximumIntermediates + 1 {
            let candidates = pool.filter { $0.subject == current.issuer }.prefix(max(signatureChecks, 1))
            signatureChecks -= candidates.count
            guard !candidates.isEmpty else {
                let issuer = DistinguishedNameFormatter.string(from: current.issuer)
                return PKIError(
                    .unknownIssuer,
                    "\(ChainPolicy.name(current, index)) is issued by '\(issuer)', which is neither a trusted root nor among the intermediates"
                )
            }
            if let blocked = candidates.first(where: { Self.unhandledCriticalExtension(of: $0) != nil }),
                let unhandled = Self.unhandledCriticalExtension(of: blocked)
            {
                return PKIError(
                    .unhandledCriticalExtension,
                    "\(ChainPolicy.name(blocked, index + 1)) has critical extension \(unhandled) that the verifier does not process"
                )
            }
            guard
                let issuer = candidates.first(where: { $0.publicKey.isValidSignature(current.signature, for: current) })
            else {
                return PKIError(
                    .invalidSignature,
                    "the signature of \(ChainPolicy.name(current, index)) does not verify with the key of any certificate named '\(DistinguishedNameFormatter.string(from: current.issuer))'"
                )
            }
            guard !visited.contains(issuer) else { break }
            visited.insert(issuer)
            current = issuer
            index += 1
        }
        return PKIError(.unknownIssuer, "no path from the leaf reaches a trusted root")
    }

    /// The first unhandled critical extension, named for the message.
    private static func unhandledCriticalExtension(of certificate: Certificate) -> String? {
        CriticalExtensionRule.firstUnhandled(in: certificate).map { oid in
            ObjectIdentifierNames.extensionName(oid).map { "\($0) (\(oid))" } ?? "\(oid)"
        }
    }
}
