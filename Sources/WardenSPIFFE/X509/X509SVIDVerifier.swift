public import Foundation
import Synchronization
public import WardenCore
import WardenPKI
public import X509

/// Verifies the X509-SVID a peer presents: the chain must reach an authority of the bundle of the leaf's own trust
/// domain, and every rule of `X509-SVID.md` must hold, checked at verification time.
///
/// ```swift
/// let verifier = X509SVIDVerifier(bundles: SPIFFEBundleSet([bundle]))
/// let peer = try verifier.verify(presentedChain, authorizer: .memberOf(TrustDomain("example.org")))
/// print(peer.id)   // spiffe://example.org/billing
/// ```
///
/// What is checked, in order: the leaf rules (exactly one URI SAN with a workload ID, not a CA, key usage present and
/// critical with digitalSignature and without keyCertSign or cRLSign); that a bundle exists for the leaf's trust
/// domain; then the path: each certificate's validity at the verification time, each signature, each signing
/// certificate a CA with keyCertSign (the bundle's authorities included), path length, no unhandled critical extension,
/// and URI and DNS name constraints. go-spiffe's `Verify` skips the digitalSignature and non-root-path rules; Warden
/// does not. Extended key usage is not required, as in go-spiffe and the spec (X509-SVID §4.4 says MAY).
///
/// Verification is synchronous, and fast on repeat: a signing certificate verified up to an authority is remembered
/// with its path, so the next chain through it costs one signature check, that of the leaf. The memory belongs to the
/// bundle snapshot: ``updateBundles(_:)`` replaces the snapshot, and nothing verified under old bundles is reused.
/// Validity periods are checked on every call.
public final class X509SVIDVerifier: Sendable {
    /// The longest path (leaf and authority included) the verifier builds.
    public static let maximumPathLength = 10

    private let snapshot: Mutex<Snapshot>
    private let clock: any WardenClock
    private let cacheCapacity: Int

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - bundles: the trusted bundles; only their X.509 authorities are used.
    ///   - clock: the time source when ``verify(_:at:authorizer:)`` is given no time.
    ///   - cacheCapacity: how many verified signing certificates to remember per bundle snapshot (0 disables the cache).
    public init(bundles: SPIFFEBundleSet, clock: any WardenClock = SystemClock(), cacheCapacity: Int = 1024) {
        self.snapshot = Mutex(Snapshot(bundles: bundles))
        self.clock = clock
        self.cacheCapacity = cacheCapacity
    }

    /// Creates a verifier trusting one X.509 bundle.
    public convenience init(bundle: X509Bundle, clock: any WardenClock = SystemClock()) {
        self.init(
            bundles: SPIFFEBundleSet([
                SPIFFEBundle(trustDomain: bundle.trustDomain, x509Authorities: bundle.authorities)
            ]),
            clock: clock
        )
    }

    /// The trusted bundles.
    public var bundles: SPIFFEBundleSet {
        self.snapshot.withLock { $0.bundles }
    }

    /// Replaces the trusted bundles, and with them everything remembered about earlier verifications.
    public func updateBundles(_ bundles: SPIFFEBundleSet) {
        let replacement = Snapshot(bundles: bundles)
        self.snapshot.withLock { $0 = replacement }
    }

    /// Verifies a presented chain, leaf first.
    ///
    /// - Parameters:
    ///   - chain: the leaf, then the intermediates the peer sent (in any order; extra ones are ignored).
    ///   - time: the verification time; the clock's now when `nil`.
    ///   - authorizer: who may connect; checked after the chain verifies. Required: a verifier that accepts any SPIFFE
    ///   ID of a trusted domain says so with ``SPIFFEIDAuthorizer/any``, as go-spiffe's `tlsconfig` requires
    ///   `AuthorizeAny()`.
    /// - Returns: the peer's SPIFFE ID and the verified chain.
    /// - Throws: ``SPIFFEError`` whose code names the rule that failed.
    public func verify(
        _ chain: [Certificate],
        at time: Date? = nil,
        authorizer: SPIFFEIDAuthorizer
    ) throws(SPIFFEError) -> VerifiedX509SVID {
        guard let leaf = chain.first else { throw SPIFFEError(.emptyChain, "the peer presented no certificate") }
        let id = try X509SVID.validateLeaf(leaf)
        let snapshot = self.snapshot.withLock { $0 }
        guard snapshot.bundles[id.trustDomain] != nil else {
            throw SPIFFEError(
                .untrustedTrustDomain,
                "no bundle for trust domain \(id.trustDomain), the trust domain of \(id)"
            )
        }
        let time = time ?? self.clock.now
        try PathRules.checkValidity(leaf, 0, at: time)
        try PathRules.checkCriticalExtensions(leaf, 0)
        let path = try self.buildPath(
            from: leaf,
            presented: chain,
            authorities: snapshot.authoritiesBySubject[id.trustDomain] ?? [:],
            snapshot: snapshot,
            time: time
        )
        try PathRules.checkPathLengths(path)
        try PathRules.checkNameConstraints(path, id: id)
        if self.cacheCapacity > 0 { snapshot.remember(path, capacity: self.cacheCapacity) }
        try authorizer.authorize(id)
        return VerifiedX509SVID(id: id, chain: path.certificates)
    }

    private func buildPath(
        from leaf: Certificate,
        presented: [Certificate],
        authorities: [DistinguishedName: [Certificate]],
        snapshot: Snapshot,
        time: Date
    ) throws(SPIFFEError) -> VerifiedPath {
        var path = VerifiedPath(leaf: leaf)
        var current = leaf
        var badSignature: String?
        while path.certificates.count < Self.maximumPathLength {
            let index = path.certificates.count
            for authority in authorities[current.issuer] ?? [] {
                guard authority.publicKey.isValidSignature(current.signature, for: current) else {
                    badSignature = PathRules.name(current, index - 1)
                    continue
                }
                let pathLength = try PathRules.checkSigningCertificate(authority, index)
                try PathRules.checkValidity(authority, index, at: time)
                path.append(authority, pathLength: pathLength)
                return path
            }
            var next: Certificate?
            for candidate in presented.dropFirst()
            where candidate.subject == current.issuer && !path.certificates.contains(candidate) {
                guard candidate.publicKey.isValidSignature(current.signature, for: current) else {
                    badSignature = PathRules.name(current, index - 1)
                    continue
                }
                if let suffix = snapshot.verifiedSuffix(startingWith: candidate) {
                    for (offset, certificate) in suffix.certificates.enumerated() {
                        try PathRules.checkValidity(certificate, index + offset, at: time)
                    }
                    path.append(contentsOf: suffix)
                    return path
                }
                next = candidate
                break
            }
            guard let next else {
                if let badSignature {
                    throw SPIFFEError(
                        .invalidSignature,
                        "the signature of \(badSignature) does not verify with the key of its issuer '\(PathRules.subject(current.issuer))'"
                    )
                }
                if authorities.isEmpty {
                    throw SPIFFEError(
                        .unknownIssuer,
                        "the bundle of \(snapshot.bundles.trustDomains.count == 0 ? "the trust domain" : "the leaf's trust domain") has no X.509 authorities"
                    )
                }
                throw SPIFFEError(
                    .unknownIssuer,
                    "\(PathRules.name(current, index - 1)) is issued by '\(PathRules.subject(current.issuer))', which is neither an authority of the trust domain's bundle nor among the presented certificates"
                )
            }
            let pathLength = try PathRules.checkSigningCertificate(next, index)
            try PathRules.checkValidity(next, index, at: time)
            try PathRules.checkCriticalExtensions(next, index)
            path.append(next, pathLength: pathLength)
            current = next
        }
        throw SPIFFEError(
            .unknownIssuer,
            "no path of at most \(Self.maximumPathLength) certificates reaches an authority of the bundle"
        )
    }
}

/// A path from a leaf to an authority, with the pathLenConstraint of each signing certificate.
struct VerifiedPath: Sendable {
    var certificates: [Certificate]
    var pathLengths: [Int?]
    /// The index from which the rest of the path came from the cache (already remembered).
    var firstCachedIndex: Int

    init(leaf: Certificate) {
        self.certificates = [leaf]
        self.pathLengths = [nil]
        self.firstCachedIndex = Int.max
    }

    init(certificates: [Certificate], pathLengths: [Int?]) {
        self.certificates = certificates
        self.pathLengths = pathLengths
        self.firstCachedIndex = Int.max
    }

    mutating func append(_ certificate: Certificate, pathLength: Int?) {
        self.certificates.append(certificate)
        self.pathLengths.append(pathLength)
    }

    mutating func append(contentsOf suffix: VerifiedPath) {
        self.firstCachedIndex = min(self.firstCachedIndex, self.certificates.count)
        self.certificates += suffix.certificates
        self.pathLengths += suffix.pathLengths
    }
}

extension X509SVIDVerifier {
    /// One set of bundles and what has been verified against it. Replaced, never changed, when the bundles change.
    final class Snapshot: Sendable {
        let bundles: SPIFFEBundleSet
        /// Each trust domain's X.509 authorities by subject, in bundle order: finding an issuer costs the same in a
        /// bundle of one authority and of a thousand.
        let authoritiesBySubject: [TrustDomain: [DistinguishedName: [Certificate]]]
        /// Signing certificates verified up to an authority of `bundles`, with the rest of their path.
        private let verified = Mutex<[Certificate: VerifiedPath]>([:])

        init(bundles: SPIFFEBundleSet) {
            self.bundles = bundles
            var index: [TrustDomain: [DistinguishedName: [Certificate]]] = [:]
            for trustDomain in bundles.trustDomains {
                guard let authorities = bundles[trustDomain]?.x509Authorities else { continue }
                index[trustDomain] = Dictionary(grouping: authorities, by: \.subject)
            }
            self.authoritiesBySubject = index
        }

        func verifiedSuffix(startingWith certificate: Certificate) -> VerifiedPath? {
            self.verified.withLock { $0[certificate] }
        }

        /// Remembers every signing certificate of `path` below the authority, with its suffix.
        func remember(_ path: VerifiedPath, capacity: Int) {
            let end = min(path.firstCachedIndex, path.certificates.count - 1)
            guard end > 1 else { return }
            self.verified.withLock { verified in
                for index in 1..<end {
                    if verified.count >= capacity { verified.removeAll(keepingCapacity: true) }
                    verified[path.certificates[index]] = VerifiedPath(
                        certificates: Array(path.certificates[index...]),
                        pathLengths: Array(path.pathLengths[index...])
                    )
                }
            }
        }
    }
}
