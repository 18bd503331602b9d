public import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
public import WardenSPIFFE
import X509

/// A bundle file given to `warden`: PEM (or DER) CA certificates, a SPIFFE bundle (a JWKS whose entries carry `use`),
/// or a plain JWKS; with the trust domain it belongs to.
struct BundleInput {
    enum Format: String, Encodable {
        case pem
        case spiffeBundle = "spiffe-bundle"
        case jwks
    }

    let format: Format
    let bundle: SPIFFEBundle
    let skippedEntries: [String]
    /// How the trust domain was decided: `given` (--trust-domain), `authorities` (the URI SAN of the CA certificates),
    /// or `presented` (taken from the SVID being verified, when nothing else names it).
    let trustDomainSource: String

    /// Loads `path`. Without `trustDomain`, the CA certificates' SPIFFE IDs name it; failing that, `fallback` does.
    static func load(_ path: String, trustDomain: TrustDomain?, fallback: TrustDomain?) throws -> BundleInput {
        let bytes: [UInt8]
        do { bytes = try PKIFile.read(path) } catch { throw Output.inputFailure(error, file: path) }
        // Parsed under a placeholder first: which trust domain it is may depend on what it holds.
        let placeholder = try! TrustDomain("bundle.invalid")
        let format: Format
        var parsed: SPIFFEBundle
        var skipped: [String] = []
        do {
            if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
                if Self.looksLikeSPIFFEBundle(bytes) {
                    format = .spiffeBundle
                    parsed = try SPIFFEBundle.parse(trustDomain: trustDomain ?? placeholder, json: bytes)
                    skipped = parsed.skippedEntries
                } else {
                    format = .jwks
                    let jwks = try JWTBundle.parse(trustDomain: trustDomain ?? placeholder, jwks: bytes)
                    skipped = jwks.skippedEntries
                    parsed = SPIFFEBundle(trustDomain: jwks.trustDomain, jwtAuthorities: jwks.authorities)
                }
            } else {
                format = .pem
                let x509 = try X509Bundle.parse(trustDomain: trustDomain ?? placeholder, bytes: bytes)
                parsed = SPIFFEBundle(trustDomain: x509.trustDomain, x509Authorities: x509.authorities)
            }
        } catch {
            Output.error(
                "warden: \(path): \(error.code): \(error.message.replacingOccurrences(of: "bundle.invalid", with: "the bundle"))"
            )
            throw ExitCode(ExitStatus.badInput)
        }
        let source: String
        let resolved: TrustDomain
        if let trustDomain {
            (resolved, source) = (trustDomain, "given")
        } else if let named = Self.trustDomain(namedBy: parsed.x509Authorities) {
            (resolved, source) = (named, "authorities")
        } else if let fallback {
            (resolved, source) = (fallback, "presented")
        } else {
            (resolved, source) = (placeholder, "unknown")
        }
        let bundle = SPIFFEBundle(
            trustDomain: resolved,
            x509Authorities: parsed.x509Authorities,
            jwtAuthorities: parsed.jwtAuthorities,
            refreshHint: parsed.refreshHint,
            sequenceNumber: parsed.sequenceNumber
        )
        return BundleInput(format: format, bundle: bundle, skippedEntries: skipped, trustDomainSource: source)
    }

    /// A JWKS is a SPIFFE bundle when an entry says `use: x509-svid` or `jwt-svid`, or it has a SPIFFE member.
    private static func looksLikeSPIFFEBundle(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return ["\"x509-svid\"", "\"jwt-svid\"", "\"spiffe_sequence\"", "\"spiffe_refresh_hint\""].contains {
            text.contains($0)
        }
    }

    /// The trust domain the CA certificates name in their URI SANs (`spiffe://example.org`), if they agree on one.
    private static func trustDomain(namedBy authorities: [Certificate]) -> TrustDomain? {
        var found: Set<TrustDomain> = []
        for certificate in authorities {
            guard let names = (try? certificate.extensions.subjectAlternativeNames) ?? nil else { continue }
            for case .uniformResourceIdentifier(let uri) in names {
                if let id = try? SPIFFEID(uri) { found.insert(id.trustDomain) }
            }
        }
        return found.count == 1 ? found.first : nil
    }

    /// The warning printed when the trust domain was taken from the presented SVID.
    func assumptionNote(path: String) -> String? {
        guard self.trustDomainSource == "presented" else { return nil }
        return
            "warden: note: \(path) does not name its trust domain; it was taken as the bundle of \(self.bundle.trustDomain), the presented ID's (pass --trust-domain to be explicit)"
    }
}

/// The `--authorize` option: a SPIFFE ID with a path allows exactly that ID; a trust domain allows its members.
struct AuthorizeArgument: ExpressibleByArgument {
    let authorizer: SPIFFEIDAuthorizer

    init?(argument: String) {
        if let id = try? SPIFFEID(argument), !id.isTrustDomainID {
            self.authorizer = .id(id)
        } else if let trustDomain = try? TrustDomain(argument) {
            self.authorizer = .memberOf(trustDomain)
        } else {
            return nil
        }
    }
}

extension TrustDomain: ExpressibleByArgument {
    public init?(argument: String) {
        try? self.init(argument)
    }
}

/// `{"valid": bool, "spiffeID": "...", "error": {"code": "...", "message": "..."}}`, with `spiffeID` and `error`
/// always present (null when they do not apply), plus the claims for JWTs.
struct SVIDVerifyReport: Encodable {
    let valid: Bool
    let spiffeID: String?
    let error: VerifyReport.ErrorBody?
    let trustDomain: String
    let chain: [String]?
    let claims: [String: JSONValue]?
    let includeClaims: Bool

    private enum CodingKeys: String, CodingKey { case valid, spiffeID, error, trustDomain, chain, claims }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.valid, forKey: .valid)
        try container.encode(self.spiffeID, forKey: .spiffeID)
        try container.encode(self.error, forKey: .error)
        try container.encode(self.trustDomain, forKey: .trustDomain)
        if let chain { try container.encode(chain, forKey: .chain) }
        if self.includeClaims { try container.encode(self.claims, forKey: .claims) }
    }
}
