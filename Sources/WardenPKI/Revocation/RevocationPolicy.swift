public import Foundation
public import Logging
public import X509

/// Whether and how ``CertificateChainVerifier`` checks that the certificates it verifies are not revoked.
///
/// The default is ``none``: SPIFFE's answer to revocation is short-lived certificates, and a relying service that
/// checks nothing says so by not choosing a policy. A policy names where the status comes from (CRLs, OCSP, or
/// both), which certificates are checked (``Scope``), and what happens when no status can be had
/// (``FailureMode``): there is no default for that, because both answers have a cost. Hard-fail turns an unreachable
/// responder into an outage; soft-fail turns it into an accept, which the verified chain records in its
/// ``VerifiedCertificateChain/revocationChecks`` and which is logged.
///
/// ```swift
/// let crls = RotatingCredentialProvider(source: VaultPKICRLSource(client: vault, mount: "pki"))
/// let verifier = CertificateChainVerifier(
///     roots: roots,
///     revocation: .crl(from: crls, failureMode: .hardFail)
/// )
/// ```
public struct RevocationPolicy: Sendable {
    /// What a verification does when a certificate's status cannot be had.
    public enum FailureMode: Sendable, Hashable {
        /// Reject with ``PKIError/Code/revocationStatusUnknown``.
        case hardFail
        /// Accept, record the unknown status in the verified chain's ``VerifiedCertificateChain/revocationChecks``,
        /// and log a warning. A revoked certificate is rejected either way.
        case softFail
    }

    /// Which certificates of the chain are checked.
    public enum Scope: Sendable, Hashable {
        /// The leaf only: the cheapest, and what most relying services need.
        case leaf
        /// Every certificate but the trust anchor.
        case wholeChain
    }

    /// Where CRLs come from; `nil` when CRLs are not checked.
    public var revocationLists: (any RevocationListProvider)?
    /// How OCSP is asked; `nil` when OCSP is not used.
    public var ocsp: OCSPChecking?
    /// What happens when no status can be had.
    public var failureMode: FailureMode
    /// Which certificates are checked.
    public var scope: Scope
    /// How long after its `nextUpdate` a CRL is still used (its status says stale). Default one hour: CAs publish
    /// late, and a relying service should not fail the moment a publication is a minute behind. Past the grace, the
    /// list gives no status and the failure mode decides.
    public var staleGrace: Duration
    /// Where soft-fail accepts and stale lists are reported.
    public var logger: Logger

    /// Creates a policy; prefer ``crl(from:failureMode:scope:)``, ``ocsp(_:failureMode:scope:)`` and
    /// ``crlAndOCSP(crls:ocsp:failureMode:scope:)``.
    public init(
        revocationLists: (any RevocationListProvider)?,
        ocsp: OCSPChecking?,
        failureMode: FailureMode,
        scope: Scope = .leaf,
        staleGrace: Duration = .seconds(3600),
        logger: Logger = Logger(label: "warden.revocation")
    ) {
        self.revocationLists = revocationLists
        self.ocsp = ocsp
        self.failureMode = failureMode
        self.scope = scope
        self.staleGrace = staleGrace
        self.logger = logger
    }

    /// No revocation checking: the default of every verifier.
    public static let none = RevocationPolicy(revocationLists: nil, ocsp: nil, failureMode: .hardFail)

    /// Checks CRLs from `provider`.
    public static func crl(
        from provider: some RevocationListProvider,
        failureMode: FailureMode,
        scope: Scope = .leaf
    ) -> RevocationPolicy {
        RevocationPolicy(revocationLists: provider, ocsp: nil, failureMode: failureMode, scope: scope)
    }

    /// Asks each certificate's OCSP responder.
    public static func ocsp(_ ocsp: OCSPChecking, failureMode: FailureMode, scope: Scope = .leaf) -> RevocationPolicy {
        RevocationPolicy(revocationLists: nil, ocsp: ocsp, failureMode: failureMode, scope: scope)
    }

    /// Checks both: a certificate is revoked if either says so, and its status is known if either gives one.
    public static func crlAndOCSP(
        crls: some RevocationListProvider,
        ocsp: OCSPChecking,
        failureMode: FailureMode,
        scope: Scope = .leaf
    ) -> RevocationPolicy {
        RevocationPolicy(revocationLists: crls, ocsp: ocsp, failureMode: failureMode, scope: scope)
    }

    /// Whether the policy checks anything.
    public var checksRevocation: Bool { self.revocationLists != nil || self.ocsp != nil }

    /// Applies the policy's CRLs to a chain already verified (leaf first, ending at its trust anchor), synchronously:
    /// for TLS verification callbacks and other code that cannot wait for an OCSP responder. OCSP is not asked, so a
    /// policy that has ``ocsp`` must use ``CertificateChainVerifier`` instead (WardenNIOSSL's `SPIFFEPeerVerifier`
    /// refuses one).
    ///
    /// - Returns: the status of each checked certificate.
    /// - Throws: ``PKIError`` with ``PKIError/Code/certificateRevoked``, or ``PKIError/Code/revocationStatusUnknown``
    ///   under hard-fail.
    public func checkRevocationLists(of chain: [Certificate], at time: Date) throws(PKIError) -> [RevocationCheck] {
        try RevocationChecker(policy: self).checkRevocationLists(chain, at: time)
    }
}

/// A revoked certificate, as ``PKIError/revocation`` reports it.
public struct CertificateRevocation: Sendable, Hashable {
    /// The position of the revoked certificate in the chain: 0 for the leaf.
    public let certificateIndex: Int
    /// Its serial number.
    public let serialNumber: Certificate.SerialNumber
    /// When it was revoked.
    public let revocationDate: Date
    /// Why, when the CRL or responder says.
    public let reason: CRLReason?
    /// Who said so: the CRL (its number, issuer and location) or the OCSP responder's URI.
    public let source: String

    public init(
        certificateIndex: Int,
        serialNumber: Certificate.SerialNumber,
        revocationDate: Date,
        reason: CRLReason?,
        source: String
    ) {
        self.certificateIndex = certificateIndex
        self.serialNumber = serialNumber
        self.revocationDate = revocationDate
        self.reason = reason
        self.source = source
    }
}

/// The outcome of the revocation check of one certificate of a verified chain.
public struct RevocationCheck: Sendable, Hashable {
    /// What was found.
    public enum Status: Sendable, Hashable {
        /// Not revoked, according to `source` (a CRL or a responder). `stale` when the CRL's `nextUpdate` has passed
        /// and it is used within ``RevocationPolicy/staleGrace``.
        case good(source: String, stale: Bool)
        /// No status could be had and the policy is soft-fail: accepted, for the reason given.
        case unknown(reason: String)
    }

    /// The position of the certificate in the chain: 0 for the leaf.
    public let certificateIndex: Int
    /// Its serial number.
    public let serialNumber: Certificate.SerialNumber
    /// What was found.
    public let status: Status
}
