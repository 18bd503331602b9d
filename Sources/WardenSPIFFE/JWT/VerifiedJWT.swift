public import Foundation
public import WardenCore

/// A JWT whose signature and claims verified.
///
/// It holds the header and claims, not the token itself, so that printing it cannot leak a bearer credential.
public struct VerifiedJWT: Sendable, Hashable, CustomStringConvertible {
    /// The signature algorithm.
    public let algorithm: JWTAlgorithm
    /// The key ID of the key that verified the signature, if the token named one.
    public let keyID: String?
    /// The `sub` claim, if present.
    public let subject: String?
    /// The `aud` claim as a list (a single string becomes one element).
    public let audience: [String]
    /// The `iss` claim, if present.
    public let issuer: String?
    /// The `exp` claim.
    public let expiry: Date
    /// The `iat` claim, if present.
    public let issuedAt: Date?
    /// The `nbf` claim, if present.
    public let notBefore: Date?
    let headerMembers: JSONMembers
    let claimMembers: JSONMembers

    /// The whole header.
    public var header: [String: JSONValue] { self.headerMembers.dictionary }
    /// The whole claims set.
    public var claims: [String: JSONValue] { self.claimMembers.dictionary }

    /// A claim by name, without building the whole dictionary.
    public subscript(claim name: String) -> JSONValue? { self.claimMembers[name] }

    /// `VerifiedJWT(ES256, sub: spiffe://…, aud: [api], exp: 2026-…)`.
    public var description: String {
        "VerifiedJWT(\(self.algorithm), sub: \(self.subject ?? "none"), aud: [\(self.audience.joined(separator: ", "))], exp: \(self.expiry.formatted(.iso8601)))"
    }
}
