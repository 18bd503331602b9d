/// A SPIFFE trust domain: the `example.org` of `spiffe://example.org/payments`.
///
/// Parsing is strict, as in go-spiffe: only lowercase letters, digits, `.`, `-` and `_`, at most 255 bytes. Use
/// ``init(normalizing:)`` for input that may be in uppercase.
public struct TrustDomain: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The trust domain name, for example `example.org`.
    public let name: String

    /// Parses a trust domain name (`example.org`) or takes the trust domain of a SPIFFE ID
    /// (`spiffe://example.org/payments`), which is then validated whole.
    ///
    /// - Throws: ``SPIFFEError`` naming the rule that failed.
    public init(_ nameOrID: String) throws(SPIFFEError) {
        if nameOrID.isEmpty {
            throw SPIFFEError(.missingTrustDomain, "the trust domain is empty")
        }
        // Anything with a scheme separator is read as an ID, for better errors on `spiffe:/example.org`.
        if nameOrID.contains(":/") {
            self = try SPIFFEID(nameOrID).trustDomain
            return
        }
        try SPIFFEIDRules.validateTrustDomain(nameOrID.utf8, input: nameOrID)
        self.name = nameOrID
    }

    /// Parses leniently: lowercases the scheme and the trust domain first (DNS names are case-insensitive), then
    /// applies every other rule strictly.
    public init(normalizing nameOrID: String) throws(SPIFFEError) {
        if nameOrID.contains(":/") {
            self = try SPIFFEID(normalizing: nameOrID).trustDomain
        } else {
            try self.init(nameOrID.lowercased())
        }
    }

    init(validatedName: String) {
        self.name = validatedName
    }

    /// The trust domain's own SPIFFE ID, `spiffe://<name>`, as used in SPIFFE bundles and federation.
    public var id: SPIFFEID {
        SPIFFEID(trustDomain: self, validatedPath: "")
    }

    /// The name.
    public var description: String { self.name }

    /// Orders by name.
    public static func < (lhs: TrustDomain, rhs: TrustDomain) -> Bool { lhs.name < rhs.name }
}

extension TrustDomain: Codable {
    /// Decodes and validates a trust domain name.
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.name)
    }
}
