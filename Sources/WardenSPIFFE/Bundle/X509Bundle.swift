import WardenPKI
public import X509

/// The X.509 authorities of one trust domain: the CA certificates that X509-SVIDs of that trust domain chain to.
///
/// Authorities are kept in order and without duplicates (two certificates are the same when their DER is).
public struct X509Bundle: Sendable, Hashable, CustomStringConvertible {
    /// The trust domain whose SVIDs these authorities sign.
    public let trustDomain: TrustDomain
    /// The CA certificates.
    public private(set) var authorities: [Certificate]

    /// Creates a bundle, dropping duplicate certificates.
    public init(trustDomain: TrustDomain, authorities: [Certificate] = []) {
        self.trustDomain = trustDomain
        // A set, not `add`'s linear search: a bundle of a thousand authorities is checked in linear time.
        var seen = Set<Certificate>(minimumCapacity: authorities.count)
        self.authorities = authorities.filter { seen.insert($0).inserted }
    }

    /// Adds an authority; adding one that is already present does nothing.
    public mutating func add(_ certificate: Certificate) {
        if !self.authorities.contains(certificate) { self.authorities.append(certificate) }
    }

    /// Removes an authority.
    public mutating func remove(_ certificate: Certificate) {
        self.authorities.removeAll { $0 == certificate }
    }

    /// Parses PEM `CERTIFICATE` blocks (other blocks are skipped) or DER certificates. Empty input is an empty bundle,
    /// as in go-spiffe since v2.3.0.
    ///
    /// - Throws: ``SPIFFEError/Code/malformedBundle`` naming the block that does not parse; DER with trailing data is
    ///   rejected even where OpenSSL accepts it.
    public static func parse(trustDomain: TrustDomain, bytes: some Collection<UInt8>) throws(SPIFFEError) -> X509Bundle
    {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return X509Bundle(trustDomain: trustDomain)
        }
        do {
            return X509Bundle(trustDomain: trustDomain, authorities: try CertificateDecoder.certificates(from: bytes))
        } catch let error as PKIError where error.code == .noObjectFound && PEM.looksLikePEM(bytes) {
            // PEM with blocks, none of them a certificate (a key file, say): an empty bundle, as go-spiffe's pemutil.
            return X509Bundle(trustDomain: trustDomain)
        } catch {
            throw SPIFFEError(.malformedBundle, "cannot parse the X.509 bundle of \(trustDomain): \(error)")
        }
    }

    /// Reads a bundle file of PEM or DER certificates.
    public static func load(trustDomain: TrustDomain, from path: String) throws(SPIFFEError) -> X509Bundle {
        try Self.parse(trustDomain: trustDomain, bytes: try BundleFile.read(path, what: "X.509 bundle"))
    }

    /// The authorities as PEM, 64-column base64, one block after another.
    public func pemEncoded() -> String {
        self.authorities.map { PEM.encode(label: "CERTIFICATE", derBytes: CertificateDecoder.derBytes(of: $0)) }
            .joined()
    }

    /// `X509Bundle(example.org, 2 authorities)`.
    public var description: String {
        "X509Bundle(\(self.trustDomain), \(self.authorities.count) authorit\(self.authorities.count == 1 ? "y" : "ies"))"
    }
}
