/// A source whose fetch (and optionally renew and revoke) are closures: the quickest way to put any API behind the
/// rotation engine.
///
/// ```swift
/// let source = ClosureCredentialSource(name: "partner-api") {
///     let token = try await partner.issueToken()
///     return Credential(value: Secret(token.value), issuedAt: token.issued, expiresAt: token.expires,
///                       metadata: CredentialMetadata(sourceName: "partner-api", kind: "api-token"))
/// }
/// ```
public struct ClosureCredentialSource<Value: Sendable>: CredentialSource {
    /// The name for logs, metrics and the inventory.
    public let name: String
    /// Whether a value past its expiry may be served under a stale extension.
    public let allowsStaleValues: Bool
    private let fetchCredential: @Sendable () async throws -> Credential<Value>
    private let renewCredential: (@Sendable (Credential<Value>) async throws -> Credential<Value>)?
    private let revokeCredential: (@Sendable (Credential<Value>) async throws -> Void)?

    /// Creates a source from closures. Without `renew`, credentials are re-fetched instead of renewed; without
    /// `revoke`, revoking does nothing. With `revoke`, the credentials are leases (``issuesLeases``): a provider revokes
    /// the one it holds when it shuts down, unless ``RotationPolicy/revokeOnShutdown`` says otherwise.
    public init(
        name: String,
        allowsStaleValues: Bool = true,
        renew: (@Sendable (Credential<Value>) async throws -> Credential<Value>)? = nil,
        revoke: (@Sendable (Credential<Value>) async throws -> Void)? = nil,
        fetch: @escaping @Sendable () async throws -> Credential<Value>
    ) {
        self.name = name
        self.allowsStaleValues = allowsStaleValues
        self.fetchCredential = fetch
        self.renewCredential = renew
        self.revokeCredential = revoke
    }

    /// Calls the fetch closure.
    public func fetch() async throws -> Credential<Value> {
        try await self.fetchCredential()
    }

    /// Calls the renew closure, or throws ``CredentialsError/Code/renewalUnsupported`` without one.
    public func renew(_ credential: Credential<Value>) async throws -> Credential<Value> {
        guard let renewCredential else {
            throw CredentialsError(.renewalUnsupported, "\(self.name) cannot renew credentials")
        }
        return try await renewCredential(credential)
    }

    /// `true` when the source was given a `revoke` closure.
    public var issuesLeases: Bool { self.revokeCredential != nil }

    /// Calls the revoke closure, if any.
    public func revoke(_ credential: Credential<Value>) async throws {
        try await self.revokeCredential?(credential)
    }
}
