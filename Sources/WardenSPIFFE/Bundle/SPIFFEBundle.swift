import WardenCore
import WardenPKI
public import X509

/// A SPIFFE bundle: the X.509 and JWT authorities of one trust domain, with the sequence number and refresh hint of
/// `SPIFFE_Trust_Domain_and_Bundle.md` §4, as exchanged between federated trust domains.
///
/// Its JSON form is a JWKS whose entries carry `use`: `x509-svid` (a CA certificate in `x5c`) or `jwt-svid` (a key with
/// a `kid`). Parsing follows the spec where go-spiffe is stricter:
/// - an `x509-svid` entry takes the first certificate of `x5c` and ignores the rest (§4.2.2; go-spiffe rejects more
///   than one);
/// - an entry with another `use`, no `use`, or a key type Warden does not verify with is skipped, not fatal, and is
///   listed in ``skippedEntries``;
/// - a `jwt-svid` entry without `kid` is an error, as is a bundle without a `keys` member.
public struct SPIFFEBundle: Sendable, Hashable, CustomStringConvertible {
    /// The trust domain.
    public let trustDomain: TrustDomain
    /// The CA certificates of X509-SVIDs.
    public var x509Authorities: [Certificate]
    /// The keys of JWT-SVIDs, by key ID.
    public var jwtAuthorities: [String: JWTPublicKey]
    /// How often a consumer should poll for a new bundle (`spiffe_refresh_hint`).
    public var refreshHint: Duration?
    /// The bundle's sequence number (`spiffe_sequence`), which increases with every change.
    public var sequenceNumber: UInt64?
    /// Entries that were skipped while parsing, and why.
    public let skippedEntries: [String]

    /// Creates a bundle.
    public init(
        trustDomain: TrustDomain,
        x509Authorities: [Certificate] = [],
        jwtAuthorities: [String: JWTPublicKey] = [:],
        refreshHint: Duration? = nil,
        sequenceNumber: UInt64? = nil
    ) {
        self.trustDomain = trustDomain
        self.x509Authorities = X509Bundle(trustDomain: trustDomain, authorities: x509Authorities).authorities
        self.jwtAuthorities = jwtAuthorities
        self.refreshHint = refreshHint
        self.sequenceNumber = sequenceNumber
        self.skippedEntries = []
    }

    private init(
        trustDomain: TrustDomain,
        x509: [Certificate],
        jwt: [String: JWTPublicKey],
        hint: Duration?,
        sequence: UInt64?,
        skipped: [String]
    ) {
        self.trustDomain = trustDomain
        self.x509Authorities = x509
        self.jwtAuthorities = jwt
        self.refreshHint = hint
        self.sequenceNumber = sequence
        self.skippedEntries = skipped
    }

    /// The X.509 authorities as an ``X509Bundle``.
    public var x509Bundle: X509Bundle { X509Bundle(trustDomain: self.trustDomain, authorities: self.x509Authorities) }

    /// The JWT authorities as a ``JWTBundle``.
    public var jwtBundle: JWTBundle { JWTBundle(trustDomain: self.trustDomain, authorities: self.jwtAuthorities) }

    /// Parses a SPIFFE bundle document.
    ///
    /// - Throws: ``SPIFFEError`` with ``SPIFFEError/Code/malformedBundle`` (naming the entry and member),
    ///   ``SPIFFEError/Code/bundleHasNoKeys`` or ``SPIFFEError/Code/bundleMissingKeyID``.
    public static func parse(
        trustDomain: TrustDomain,
        json bytes: some Collection<UInt8>
    ) throws(SPIFFEError) -> SPIFFEBundle {
        let what = "the SPIFFE bundle of \(trustDomain)"
        let document = try JSONWebKeySet.document(bytes, what: what)
        guard let keys = try JSONWebKeySet.keys(of: document, what: what) else {
            throw SPIFFEError(.bundleHasNoKeys, "\(what) has no \"keys\" member")
        }
        var hint: Duration?
        if let value = document["spiffe_refresh_hint"] {
            guard let seconds = value.int64Value, seconds >= 0 else {
                throw SPIFFEError(
                    .malformedBundle,
                    "\(what): \"spiffe_refresh_hint\" is not a non-negative integer number of seconds"
                )
            }
            hint = .seconds(seconds)
        }
        var sequence: UInt64?
        if let value = document["spiffe_sequence"] {
            guard let number = value.uint64Value else {
                throw SPIFFEError(.malformedBundle, "\(what): \"spiffe_sequence\" is not an unsigned 64-bit integer")
            }
            sequence = number
        }
        var x509 = X509Bundle(trustDomain: trustDomain)
        var jwt: [String: JWTPublicKey] = [:]
        var skipped: [String] = []
        for (index, jwk) in keys.enumerated() {
            switch jwk["use"]?.stringValue {
            case "x509-svid":
                guard let first = jwk["x5c"]?.arrayValue?.first?.stringValue else {
                    throw SPIFFEError(
                        .malformedBundle,
                        "\(what): entry \(index) is an x509-svid authority without a certificate in \"x5c\""
                    )
                }
                // x5c holds standard base64 (RFC 7517 §4.7), not base64url.
                guard let der = Base64.decode(first.utf8) else {
                    throw SPIFFEError(
                        .malformedBundle,
                        "\(what): entry \(index): the first \"x5c\" value is not base64"
                    )
                }
                do {
                    x509.add(try CertificateDecoder.certificate(derEncoded: der))
                } catch {
                    throw SPIFFEError(
                        .malformedBundle,
                        "\(what): entry \(index): the x5c certificate does not parse: \(error)"
                    )
                }
            case "jwt-svid":
                guard
                    let (keyID, key) = try JSONWebKeySet.jwtAuthority(jwk, index: index, what: what, skipped: &skipped)
                else { continue }
                guard jwt.updateValue(key, forKey: keyID) == nil else {
                    throw SPIFFEError(.malformedBundle, "\(what): entry \(index) repeats key ID \"\(keyID)\"")
                }
            case let use:
                skipped.append(
                    "\(what): entry \(index) has use \(use.map { "\"\($0)\"" } ?? "absent"), which is neither x509-svid nor jwt-svid"
                )
            }
        }
        return SPIFFEBundle(
            trustDomain: trustDomain,
            x509: x509.authorities,
            jwt: jwt,
            hint: hint,
            sequence: sequence,
            skipped: skipped
        )
    }

    /// Reads a SPIFFE bundle file.
    public static func load(trustDomain: TrustDomain, from path: String) throws(SPIFFEError) -> SPIFFEBundle {
        try Self.parse(trustDomain: trustDomain, json: try BundleFile.read(path, what: "SPIFFE bundle"))
    }

    /// The bundle as a SPIFFE bundle document: X.509 authorities first, then JWT authorities in key-ID order.
    public func jsonEncoded() -> String {
        var keys: [JSONValue] = []
        for certificate in self.x509Authorities {
            var members = JWTPublicKey(certificate.publicKey)?.keyMembers ?? [:]
            members["use"] = .string("x509-svid")
            members["x5c"] = .array([.string(Base64.encode(CertificateDecoder.derBytes(of: certificate)))])
            keys.append(.object(members))
        }
        for keyID in self.jwtAuthorities.keys.sorted() {
            keys.append(JSONWebKeySet.jwk(keyID: keyID, key: self.jwtAuthorities[keyID]!, use: "jwt-svid"))
        }
        var document: [String: JSONValue] = ["keys": .array(keys)]
        if let refreshHint { document["spiffe_refresh_hint"] = .number(refreshHint.components.seconds) }
        if let sequenceNumber { document["spiffe_sequence"] = .number(sequenceNumber) }
        return JSONValue.object(document).description
    }

    /// `SPIFFEBundle(example.org, x509: 1, jwt: 2, sequence: 7)`.
    public var description: String {
        "SPIFFEBundle(\(self.trustDomain), x509: \(self.x509Authorities.count), jwt: \(self.jwtAuthorities.count)\(self.sequenceNumber.map { ", sequence: \($0)" } ?? ""))"
    }
}
