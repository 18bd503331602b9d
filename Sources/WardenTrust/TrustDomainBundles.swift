import Crypto
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

/// What a ``TrustBundleManager`` holds for one trust domain: the bundle its source published last, the authorities the
/// source dropped that are still retained, and those distrusted. A value type with no clock of its own, so that the
/// rules are plain functions of the time they are given.
struct TrustDomainBundles: Sendable {
    let trustDomain: TrustDomain
    /// The source's last applied bundle, its authorities canonical (unique by SHA-256 of the DER, ordered by it).
    private(set) var published: SPIFFEBundle?
    /// The published authorities by fingerprint: computed once per bundle, never again per change.
    private var publishedAuthorities: [Fingerprint: Certificate] = [:]
    /// Authorities the source dropped, trusted until the date.
    private(set) var retained: [Fingerprint: (authority: Certificate, until: Date)] = [:]
    private(set) var distrusted: Set<Fingerprint> = []
    /// The bundle the verifiers see: published and retained authorities, none distrusted, in canonical order. Kept up
    /// to date by every change, so that reading it costs nothing.
    private(set) var effective: SPIFFEBundle
    private var effectiveFingerprints: Set<Fingerprint> = []

    init(trustDomain: TrustDomain) {
        self.trustDomain = trustDomain
        self.effective = SPIFFEBundle(trustDomain: trustDomain)
    }

    /// The SHA-256 of a certificate's DER, the identity of an authority here.
    struct Fingerprint: Hashable, Comparable, Sendable {
        let bytes: [UInt8]

        init(_ certificate: Certificate) {
            self.bytes = Array(SHA256.hash(data: CertificateDecoder.derBytes(of: certificate)))
        }

        static func < (lhs: Fingerprint, rhs: Fingerprint) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
    }

    enum Refusal: Error, Equatable {
        /// The bundle's `spiffe_sequence` is lower than the applied one's.
        case sequenceWentBack(applied: UInt64, offered: UInt64)
        case wrongTrustDomain(TrustDomain)
    }

    /// A bundle's authorities by fingerprint, duplicates dropped: the costly part of applying a bundle (a DER encoding
    /// and a SHA-256 per authority), which the manager does before it takes its lock.
    static func fingerprinted(_ authorities: [Certificate]) -> [Fingerprint: Certificate] {
        Dictionary(authorities.map { (Fingerprint($0), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Applies a bundle from the source at `now`, retaining for `retention` what it dropped; returns the events.
    ///
    /// - Parameter fingerprinted: `offered`'s authorities by ``fingerprinted(_:)``, when the caller has them already.
    mutating func apply(
        _ offered: SPIFFEBundle,
        fingerprinted: [Fingerprint: Certificate]? = nil,
        at now: Date,
        retention: Duration
    ) throws(Refusal) -> [TrustBundleEvent] {
        guard offered.trustDomain == self.trustDomain else { throw .wrongTrustDomain(offered.trustDomain) }
        if let applied = self.published?.sequenceNumber, let sequence = offered.sequenceNumber, sequence < applied {
            throw .sequenceWentBack(applied: applied, offered: sequence)
        }
        let before = self.effectiveFingerprints
        let retainedBefore = self.retained
        let old = self.publishedAuthorities
        let new = fingerprinted ?? Self.fingerprinted(offered.x509Authorities)
        var events: [TrustBundleEvent] = []
        for (fingerprint, authority) in old where new[fingerprint] == nil && !self.distrusted.contains(fingerprint) {
            let until = min(now.addingTimeInterval(retention.timeInterval), authority.notValidAfter)
            if until > now {
                self.retained[fingerprint] = (authority, until)
                events.append(self.event(.retained, authority, at: now, until: until))
            }
        }
        for fingerprint in new.keys { self.retained[fingerprint] = nil }
        var canonical = offered
        canonical.x509Authorities = new.sorted { $0.key < $1.key }.map(\.value)
        self.published = canonical
        self.publishedAuthorities = new
        var removed: Set<Fingerprint> = []
        for (fingerprint, entry) in self.retained where entry.until <= now {
            self.retained[fingerprint] = nil
            removed.insert(fingerprint)
            events.append(self.event(.removed, entry.authority, at: now))
        }
        self.recompute()
        let after = self.effectiveFingerprints
        for fingerprint in after.subtracting(before).sorted() {
            events.append(self.event(.added, new[fingerprint]!, at: now))
        }
        for fingerprint in before.subtracting(after).sorted() where !removed.contains(fingerprint) {
            guard let authority = old[fingerprint] ?? retainedBefore[fingerprint]?.authority else { continue }
            events.append(self.event(.removed, authority, at: now))
        }
        return events
    }

    /// Brings ``effective`` up to date with the published, retained and distrusted authorities.
    private mutating func recompute() {
        var authorities = self.publishedAuthorities
        for (fingerprint, entry) in self.retained { authorities[fingerprint] = entry.authority }
        for fingerprint in self.distrusted { authorities[fingerprint] = nil }
        self.effectiveFingerprints = Set(authorities.keys)
        var bundle = SPIFFEBundle(
            trustDomain: self.trustDomain,
            jwtAuthorities: self.published?.jwtAuthorities ?? [:],
            refreshHint: self.published?.refreshHint,
            sequenceNumber: self.published?.sequenceNumber
        )
        // Unique by fingerprint already: assigned, not passed to the initializer, which would check again.
        bundle.x509Authorities = authorities.sorted { $0.key < $1.key }.map(\.value)
        self.effective = bundle
    }

    /// Ends the retentions due at `now`.
    mutating func expireRetained(at now: Date) -> [TrustBundleEvent] {
        var events: [TrustBundleEvent] = []
        for (fingerprint, entry) in self.retained where entry.until <= now {
            self.retained[fingerprint] = nil
            events.append(self.event(.removed, entry.authority, at: now))
        }
        if !events.isEmpty { self.recompute() }
        return events
    }

    /// Stops trusting `authority` at once, whatever the source says from now on.
    mutating func distrust(_ authority: Certificate, at now: Date) -> [TrustBundleEvent] {
        let fingerprint = Fingerprint(authority)
        guard !self.distrusted.contains(fingerprint) else { return [] }
        self.distrusted.insert(fingerprint)
        self.retained[fingerprint] = nil
        self.recompute()
        return [self.event(.distrusted, authority, at: now)]
    }

    /// How many authorities are trusted only because they are retained.
    var retainedCount: Int { self.retained.count }

    /// The next date a retention ends, if any.
    var nextRetentionEnd: Date? { self.retained.values.map(\.until).min() }

    private func event(
        _ kind: TrustBundleEvent.Kind,
        _ authority: Certificate,
        at now: Date,
        until: Date? = nil
    )
        -> TrustBundleEvent
    {
        TrustBundleEvent(
            kind: kind,
            trustDomain: self.trustDomain,
            authority: authority,
            retainedUntil: until,
            date: now
        )
    }
}
