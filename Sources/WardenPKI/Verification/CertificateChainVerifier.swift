public import Foundation
import SwiftASN1
public import WardenCore
public import X509

/// Verifies a certificate chain against trusted roots, and says which rule failed when it does not verify.
///
/// A facade over swift-certificates' `Verifier`: it builds the path through the given intermediates to one of the
/// roots, checks signatures, validity at the verification time, basic constraints, key usage of issuers, path length,
/// name constraints, and optionally a DNS name and an extended key usage of the leaf.
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
/// Two choices differ from swift-certificates' defaults: an issuer whose key usage lacks `keyCertSign` is rejected
/// (RFC 5280 §4.2.1.3), and a critical subject alternative name extension is accepted, since RFC 5280 §4.2.1.6 requires
/// it to be critical when the subject is empty (as in every SPIFFE X509-SVID).
public struct CertificateChainVerifier: Sendable {
    /// The trust anchors.
    public let roots: [Certificate]
    private let rootStore: CertificateStore
    private let clock: any WardenClock

    /// Creates a verifier that trusts `roots` and reads the time from `clock` when no time is given.
    public init(roots: [Certificate], clock: any WardenClock = SystemClock()) {
        self.roots = roots
        self.rootStore = CertificateStore(roots)
        self.clock = clock
    }

    /// Verifies `leaf` through `intermediates` to one of the roots.
    ///
    /// - Returns: the path from the leaf to a trusted root.
    /// - Throws: ``PKIError`` whose code names the rule that failed.
    /// - Parameters:
    ///   - leaf: the end-entity certificate.
    ///   - intermediates: certificates that may complete the path, in any order; extra ones are ignored.
    ///   - time: the verification time; the clock's now when `nil`.
    ///   - dnsName: when given, the leaf must be valid for this DNS name (SAN dNSName, wildcards per RFC 6125).
    ///   - extendedKeyUsage: when given, the leaf's extended key usage, if present, must allow it.
    public func verify(
        leaf: Certificate,
        intermediates: [Certificate] = [],
        at time: Date? = nil,
        dnsName: String? = nil,
        extendedKeyUsage: ExtendedKeyUsage.Usage? = nil
    ) async throws(PKIError) -> VerifiedCertificateChain {
        let time = time ?? self.clock.now
        if let unhandled = Self.unhandledCriticalExtension(of: leaf) {
            throw PKIError(
                .unhandledCriticalExtension,
                "\(ChainPolicy.name(leaf, 0)) has critical extension \(unhandled) that the verifier does not process"
            )
        }
        let failures = FailureLog()
        var verifier = Verifier(rootCertificates: self.rootStore) {
            ChainPolicy(time: time, dnsName: dnsName, requiredUsage: extendedKeyUsage, failures: failures)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        switch result {
        case .validCertificate(let chain):
            return VerifiedCertificateChain(Array(chain))
        case .couldNotValidate:
            throw failures.first ?? self.diagnosePathFailure(leaf: leaf, intermediates: intermediates)
        }
    }

    /// Explains why no candidate path reached a root, when no candidate got as far as the policy.
    private func diagnosePathFailure(leaf: Certificate, intermediates: [Certificate]) -> PKIError {
        var current = leaf
        var index = 0
        var visited: Set<Certificate> = [leaf]
        let pool = self.roots + intermediates
        while index < 16 {
            let candidates = pool.filter { $0.subject == current.issuer }
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
