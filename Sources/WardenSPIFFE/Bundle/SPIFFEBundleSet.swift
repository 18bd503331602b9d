/// The bundles of every trust domain a service trusts: its own, and those it federates with.
///
/// Verifiers look up the bundle of the peer's own trust domain here and nowhere else, so that a CA of one trust domain
/// can never vouch for an ID of another.
public struct SPIFFEBundleSet: Sendable, Hashable, CustomStringConvertible {
    private var bundles: [TrustDomain: SPIFFEBundle]

    /// Creates a set; a later bundle for the same trust domain replaces an earlier one.
    public init(_ bundles: [SPIFFEBundle] = []) {
        self.bundles = [:]
        for bundle in bundles { self.bundles[bundle.trustDomain] = bundle }
    }

    /// The bundle of `trustDomain`, if trusted.
    public subscript(trustDomain: TrustDomain) -> SPIFFEBundle? {
        self.bundles[trustDomain]
    }

    /// Adds or replaces the bundle of its trust domain.
    public mutating func update(_ bundle: SPIFFEBundle) {
        self.bundles[bundle.trustDomain] = bundle
    }

    /// Stops trusting `trustDomain`.
    public mutating func remove(_ trustDomain: TrustDomain) {
        self.bundles[trustDomain] = nil
    }

    /// The trusted trust domains, sorted.
    public var trustDomains: [TrustDomain] { self.bundles.keys.sorted() }

    /// The bundles, sorted by trust domain.
    public var all: [SPIFFEBundle] { self.trustDomains.map { self.bundles[$0]! } }

    /// `SPIFFEBundleSet(example.org, partner.example)`.
    public var description: String {
        "SPIFFEBundleSet(\(self.trustDomains.map(\.description).joined(separator: ", ")))"
    }
}
