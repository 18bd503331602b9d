/// Decides whether a peer whose SVID verified may connect: any peer, one ID, one of several IDs, any member of a trust
/// domain, or a custom rule.
///
/// ```swift
/// let verified = try verifier.verify(chain, authorizer: .memberOf(TrustDomain("example.org")))
/// ```
public struct SPIFFEIDAuthorizer: Sendable, CustomStringConvertible {
    private let allows: @Sendable (SPIFFEID) -> Bool
    /// What the authorizer allows, for error messages and logs.
    public let description: String

    /// An authorizer with a custom rule; `description` says what it allows ("members of the payments team").
    public init(_ description: String, allows: @escaping @Sendable (SPIFFEID) -> Bool) {
        self.description = description
        self.allows = allows
    }

    /// Allows every peer whose SVID verified.
    public static let any = SPIFFEIDAuthorizer("any SPIFFE ID") { _ in true }

    /// Allows exactly `id`.
    public static func id(_ id: SPIFFEID) -> SPIFFEIDAuthorizer {
        SPIFFEIDAuthorizer("only \(id)") { $0 == id }
    }

    /// Allows any of `ids`.
    public static func oneOf(_ ids: Set<SPIFFEID>) -> SPIFFEIDAuthorizer {
        SPIFFEIDAuthorizer("one of \(ids.sorted().map(\.description).joined(separator: ", "))") { ids.contains($0) }
    }

    /// Allows any ID in `trustDomain`.
    public static func memberOf(_ trustDomain: TrustDomain) -> SPIFFEIDAuthorizer {
        SPIFFEIDAuthorizer("members of \(trustDomain)") { $0.isMember(of: trustDomain) }
    }

    /// Throws ``SPIFFEError/Code/unauthorized`` unless the rule allows `id`.
    public func authorize(_ id: SPIFFEID) throws(SPIFFEError) {
        guard self.allows(id) else {
            throw SPIFFEError(.unauthorized, "\(id) is not allowed: the authorizer allows \(self.description)")
        }
    }
}
