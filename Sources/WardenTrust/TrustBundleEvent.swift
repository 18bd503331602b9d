public import Foundation
public import WardenSPIFFE
public import X509

/// A change to the authorities a ``TrustBundleManager`` trusts for one trust domain.
public struct TrustBundleEvent: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The source published a new authority; it is trusted from now on.
        case added
        /// An authority is no longer trusted: its source dropped it and its retention ended (or it expired).
        case removed
        /// The source dropped an authority; it stays trusted until ``TrustBundleEvent/retainedUntil``.
        case retained
        /// ``TrustBundleManager/distrust(_:in:)`` removed it at once.
        case distrusted
    }

    public let kind: Kind
    public let trustDomain: TrustDomain
    public let authority: Certificate
    /// For ``Kind/retained``: the end of the retention (never after the authority's own `notAfter`).
    public let retainedUntil: Date?
    public let date: Date

    /// `retained spiffe://example.org CN=Old CA until 2026-…`.
    public var description: String {
        let subject = String(describing: self.authority.subject)
        let until = self.retainedUntil.map { " until \($0.formatted(.iso8601))" } ?? ""
        return "\(self.kind.rawValue) \(self.trustDomain) \(subject)\(until)"
    }
}
