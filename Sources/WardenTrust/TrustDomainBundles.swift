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
    /// Authorities the source dropped, trusted until the date.
    private(set) var retained: [Fingerprint: (authority: Certificate, until: Date)] = [:]
    private(set) var distrusted: Set<Fingerprint> = []

    init(trustDomain: TrustDomain) {
        self.trustDomain = trustDomain
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

    /// The bundle the verifiers see: published and retained authorities, none distrusted, in canonical order.
    var effective: SPIFFEBundle {
        var authorities: [Fingerprint: Certificate] = [:]
        for authority in self.published?.x509Authorities ?? [] { authorities[Fingerprint(authority)] = authority }
        for (fingerprint, entry) in self.retained { authorities[fingerprint] = entry.authority }
        for fingerprint in self.distrusted { authorities[fingerprint] = nil }
        return SPIFFEBundle(
            trustDomain: self.trustDomain,
            x509Authorities: authorities.sorted { $0.key < $1.key }.map(\.value),
            jwtAuthorities: self.published?.jwtAuthorities ?? [:],
            refreshHint: self.published?.refreshHint,
            sequenceNumber: self.published?.sequenceNumber
        )
    }

    /// Applies a bundle from the source at `now`, retaining for `retention` what it dropped; returns the events.
    mutating func apply(
        _ offered: SPIFFEBundle,
        at now: Date,
        retention: Duration
    ) throws(Refusal) -> [TrustBundleEvent] {
        guard offered.trustDomain == self.trustDomain else { throw .wrongTrustDomain(offered.trustDomain) }
        if let applied = self.published?.sequenceNumber, let sequence = offered.sequenceNumber, sequence < applied {
            throw .sequenceWentBack(applied: applied, offered: sequence)
        }
        let before = self.effectiveFingerprints
        let retainedBefore = self.retained
        let old = Dictionary(
            (self.published?.x509Authorities ?? []).map { (Fingerprint($0), $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let new = Dictionary(
            offered.x509Authorities.map { (Fingerprint($0), $0) },
            uniquingKeysWith: { first, _ in first }
        )
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
        events += self.expireRetained(at: now)
        let after = self.effectiveFingerprints
        for fingerprint in after.subtracting(before).sorted() {
            events.append(self.event(.added, new[fingerprint]!, at: now))
        }
        for fingerprint in before.subtracting(after).sorted()
        where !events.contains(where: {
            $0.kind == .removed && Fingerprint($0.authority) == fingerprint
        }) {
            guard let authority = old[fingerprint] ?? retainedBefore[fingerprint]?.authority else { continue }
            events.append(self.event(.removed, authority, at: now))
        }
        return events
    }

    /// Ends the retentions due at `now`.
    mutating func expireRetained(at now: Date) -> [TrustBundleEvent] {
        var events: [TrustBundleEvent] = []
        for (fingerprint, entry) in self.retained where entry.until <= now {
            self.retained[fingerprint] = nil
            events.append(self.event(.removed, entry.authority, at: now))
        }
        return events
    }

    /// Stops trusting `authority` at once, whatever the source says from now on.
    mutating func distrust(_ authority: Certificate, at now: Date) -> [TrustBundleEvent] {
        let fingerprint = Fingerprint(authority)
        guard !self.distrusted.contains(fingerprint) else { return [] }
        self.distrusted.insert(fingerprint)
        self.retained[fingerprint] = nil
        return [self.event(.distrusted, authority, at: now)]
    }

    /// How many authorities are trusted only because they are retained.
    var retainedCount: Int { self.retained.count }

    /// The next date a retention ends, if any.
    var nextRetentionEnd: Date? { self.retained.values.map(\.until).min() }

    private var effectiveFingerprints: Set<Fingerprint> {
        var fingerprints = Set((self.published?.x509Authorities ?? []).map(Fingerprint.init))
        fingerprints.formUnion(self.retained.keys)
        return fingerprints.subtracting(self.distrusted)
    }

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
