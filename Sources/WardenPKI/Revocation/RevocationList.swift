public import Foundation
import Synchronization
public import X509

/// What one issuer has revoked: a complete CRL and, optionally, the delta CRL that brings it up to date.
///
/// A delta is only ever used with the complete CRL it extends: ``init(base:delta:location:)`` refuses a delta whose
/// base number is above the complete CRL's number, or whose issuer differs. A ``CertificateChainVerifier`` with a
/// CRL ``RevocationPolicy`` checks each list's signatures against the certificate that issued the checked one, once
/// per list and issuer.
public struct RevocationList: Sendable, Hashable, CustomStringConvertible {
    /// The complete CRL.
    public let base: CertificateRevocationList
    /// The delta CRL, if any.
    public let delta: CertificateRevocationList?
    /// Where the list came from (a path, a URL, a Vault mount), for status and rejection messages.
    public let location: String
    /// `CRL number 5 of 'CN=Issuing CA' from https://…`: made once, as every good status names it.
    public let description: String
    private let verifiedIssuers = VerifiedCRLIssuers()

    /// Pairs a complete CRL with its delta.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedCRL`` when `base` is a delta, `delta` is not, or they do
    ///   not belong together (issuer, numbers).
    public init(
        base: CertificateRevocationList,
        delta: CertificateRevocationList? = nil,
        location: String
    )
        throws(PKIError)
    {
        guard !base.isDelta else {
            throw PKIError(.malformedCRL, "\(base) from \(location) is a delta CRL where a complete CRL is needed")
        }
        if let delta {
            guard let baseNumber = delta.baseCRLNumber, delta.number != nil else {
                throw PKIError(.malformedCRL, "\(delta) from \(location) is not a delta CRL")
            }
            guard delta.issuer == base.issuer else {
                throw PKIError(.crlIssuerMismatch, "\(delta) and \(base) have different issuers")
            }
            guard delta.extends(base) else {
                throw PKIError(
                    .malformedCRL,
                    "\(delta) (base \(baseNumber)) does not extend \(base) from \(location)"
                )
            }
        }
        self.base = base
        self.delta = delta
        self.location = location
        let deltaPart = delta.map { " with delta number \($0.number.map(String.init(describing:)) ?? "?")" } ?? ""
        self.description = "\(base)\(deltaPart) from \(location)"
    }

    /// The issuer's name.
    public var issuer: DistinguishedName { self.base.issuer }

    /// The earlier `nextUpdate` of the two lists: after it, the list is stale.
    public var nextUpdate: Date? {
        switch (self.base.nextUpdate, self.delta?.nextUpdate) {
        case (let base?, let delta?): min(base, delta)
        case (let base, nil): base
        case (nil, let delta): delta
        }
    }

    /// The entry for `serialNumber`, if the list revokes it: the delta's entry first (`removeFromCRL` there lifts a
    /// hold the complete CRL lists), then the complete CRL's.
    public func revokedCertificate(serialNumber: Certificate.SerialNumber) -> RevokedCertificate? {
        if let entry = self.delta?.revokedCertificate(serialNumber: serialNumber) {
            return entry.reason == .removeFromCRL ? nil : entry
        }
        return self.base.revokedCertificate(serialNumber: serialNumber)
    }

    /// Checks both lists' signatures with `issuer`, once: later calls with the same issuer certificate return at
    /// once.
    public func verifySignatures(issuer: Certificate) throws(PKIError) {
        if self.verifiedIssuers.contains(issuer) { return }
        try self.base.verifySignature(issuer: issuer)
        try self.delta?.verifySignature(issuer: issuer)
        self.verifiedIssuers.insert(issuer)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.base == rhs.base && lhs.delta == rhs.delta && lhs.location == rhs.location
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.base)
        hasher.combine(self.delta)
    }
}

/// Issuer certificates that verified a list's signatures: a large CRL's signature costs milliseconds to check.
/// Keyed by the certificate, compared by its bytes, not by its key's encoding, which swift-certificates makes afresh
/// at every call (for P-256, a field inversion): that cost more than the rest of a CRL check together.
final class VerifiedCRLIssuers: Sendable {
    private let issuers = Mutex<[Certificate]>([])

    func contains(_ issuer: Certificate) -> Bool { self.issuers.withLock { $0.contains(issuer) } }

    func insert(_ issuer: Certificate) {
        self.issuers.withLock { if $0.count < 8 && !$0.contains(issuer) { $0.append(issuer) } }
    }
}

/// Where a ``CertificateChainVerifier`` reads the CRLs its ``RevocationPolicy`` checks: called once per
/// verification, so it returns a snapshot it already holds.
///
/// An array of ``RevocationList`` is one; so is WardenCredentials' `RotatingCredentialProvider` of a CRL source,
/// which keeps its lists fresh.
public protocol RevocationListProvider: Sendable {
    /// The lists to check against now.
    func currentRevocationLists() -> [RevocationList]
}

extension Array: RevocationListProvider where Element == RevocationList {
    public func currentRevocationLists() -> [RevocationList] { self }
}

/// Several ``RevocationListProvider``s as one: each CA's CRL source, for a policy checking chains from several CAs.
public struct RevocationListSet: RevocationListProvider {
    public let providers: [any RevocationListProvider]

    public init(_ providers: [any RevocationListProvider]) {
        self.providers = providers
    }

    public func currentRevocationLists() -> [RevocationList] {
        self.providers.flatMap { $0.currentRevocationLists() }
    }
}
