public import X509

/// A peer's X509-SVID that verified: its SPIFFE ID and the chain from the leaf to an authority of its trust domain.
public struct VerifiedX509SVID: Sendable, Hashable, CustomStringConvertible {
    /// The peer's SPIFFE ID.
    public let id: SPIFFEID
    /// The verified chain: the leaf first, the bundle's authority last.
    public let chain: [Certificate]

    /// `VerifiedX509SVID(spiffe://example.org/api, chain: 3)`.
    public var description: String { "VerifiedX509SVID(\(self.id), chain: \(self.chain.count))" }
}
