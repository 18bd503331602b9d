/// A SPIFFE ID: `spiffe://<trust domain><path>`, checked against every rule of `SPIFFE-ID.md`.
///
/// ```swift
/// let id = try SPIFFEID("spiffe://example.org/payments/api")
/// id.trustDomain.name                          // "example.org"
/// id.path                                      // "/payments/api"
/// id.isMember(of: try TrustDomain("example.org"))   // true
/// ```
///
/// Parsing is strict, like go-spiffe's: lowercase scheme and trust domain only; no port, userinfo, query, fragment or
/// percent-encoding; no empty, `.` or `..` segments; no trailing slash; at most 255 bytes of trust domain and 2048
/// bytes in all. ``init(normalizing:)`` lowercases the scheme and trust domain of lenient input first.
public struct SPIFFEID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The trust domain.
    public let trustDomain: TrustDomain
    /// The path: empty for the trust domain's own ID, otherwise `/segment/segment…`.
    public let path: String

    /// Parses a SPIFFE ID.
    ///
    /// - Throws: ``SPIFFEError`` naming the rule that failed.
    public init(_ string: String) throws(SPIFFEError) {
        var utf8 = string
        // Native strings are contiguous UTF-8 already; reading them in place saves a copy on every verification.
        let result: Result<SPIFFEID, SPIFFEError> = utf8.withUTF8 { buffer in
            do throws(SPIFFEError) {
                return .success(try SPIFFEID(utf8: buffer, string: string))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    private init(utf8 bytes: UnsafeBufferPointer<UInt8>, string: String) throws(SPIFFEError) {
        guard !bytes.isEmpty else {
            throw SPIFFEError(.empty, "the SPIFFE ID is empty")
        }
        guard bytes.starts(with: SPIFFEIDRules.scheme) else {
            throw SPIFFEError(.wrongScheme, "'\(string)' does not start with 'spiffe://'")
        }
        guard bytes.count <= SPIFFEIDRules.maximumIDLength else {
            throw SPIFFEError(
                .tooLong,
                "the SPIFFE ID has \(bytes.count) bytes, more than \(SPIFFEIDRules.maximumIDLength)"
            )
        }
        let rest = bytes[SPIFFEIDRules.scheme.count...]
        let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let trustDomain = rest[..<slash]
        try SPIFFEIDRules.validateTrustDomain(trustDomain, input: string)
        try SPIFFEIDRules.validatePath(rest[slash...], input: string)
        self.trustDomain = TrustDomain(validatedName: String(decoding: trustDomain, as: UTF8.self))
        self.path = String(decoding: rest[slash...], as: UTF8.self)
    }

    /// Parses leniently: lowercases the scheme and the trust domain first, then applies every rule strictly. The
    /// path keeps its case, which is significant.
    public init(normalizing string: String) throws(SPIFFEError) {
        guard let separator = string.range(of: "://") else {
            try self.init(string)
            return
        }
        let authorityEnd = string[separator.upperBound...].firstIndex(of: "/") ?? string.endIndex
        let lowered = string[..<authorityEnd].lowercased() + string[authorityEnd...]
        try self.init(lowered)
    }

    /// Builds an ID from a trust domain and a path (`/payments/api`, or empty).
    public init(trustDomain: TrustDomain, path: String) throws(SPIFFEError) {
        try SPIFFEIDRules.validatePath(path.utf8, input: path)
        try self.init(checkingLength: trustDomain, path: path)
    }

    /// Builds an ID from a trust domain and path segments (`["payments", "api"]`).
    public init(trustDomain: TrustDomain, segments: [String]) throws(SPIFFEError) {
        for segment in segments {
            try SPIFFEIDRules.validateSegment(segment, input: segments.joined(separator: "/"))
        }
        try self.init(checkingLength: trustDomain, path: segments.map { "/" + $0 }.joined())
    }

    init(trustDomain: TrustDomain, validatedPath: String) {
        self.trustDomain = trustDomain
        self.path = validatedPath
    }

    private init(checkingLength trustDomain: TrustDomain, path: String) throws(SPIFFEError) {
        let length = SPIFFEIDRules.scheme.count + trustDomain.name.utf8.count + path.utf8.count
        guard length <= SPIFFEIDRules.maximumIDLength else {
            throw SPIFFEError(
                .tooLong,
                "the SPIFFE ID would have \(length) bytes, more than \(SPIFFEIDRules.maximumIDLength)"
            )
        }
        self.init(trustDomain: trustDomain, validatedPath: path)
    }

    /// This ID with `path` (`/more/segments`) appended.
    public func appending(path: String) throws(SPIFFEError) -> SPIFFEID {
        try SPIFFEIDRules.validatePath(path.utf8, input: path)
        return try SPIFFEID(checkingLength: self.trustDomain, path: self.path + path)
    }

    /// Whether the ID belongs to `trustDomain`.
    public func isMember(of trustDomain: TrustDomain) -> Bool {
        self.trustDomain == trustDomain
    }

    /// Whether this is the trust domain's own ID, with an empty path (never a workload's).
    public var isTrustDomainID: Bool { self.path.isEmpty }

    /// The path's segments, `["payments", "api"]` for `/payments/api`.
    public var segments: [String] {
        self.path.split(separator: "/").map(String.init)
    }

    /// `spiffe://<trust domain><path>`.
    public var description: String { "spiffe://\(self.trustDomain.name)\(self.path)" }

    /// Orders by the string form.
    public static func < (lhs: SPIFFEID, rhs: SPIFFEID) -> Bool { lhs.description < rhs.description }
}

extension SPIFFEID: Codable {
    /// Decodes and validates the string form.
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the string form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}
