/// Tries sources in order and returns the first credential one of them gives, like the AWS SDKs' default chain
/// (environment, then file, then instance metadata).
///
/// Renewal and revocation go back to the source that issued the credential, recognised by
/// ``CredentialMetadata/sourceName``.
public struct FallbackCredentialSource<Value: Sendable>: CredentialSource {
    /// The chain's name for logs, metrics and the inventory.
    public let name: String
    /// The sources, in the order they are tried.
    public let sources: [any CredentialSource<Value>]

    /// A chain of `sources`, tried in order.
    public init(name: String, sources: [any CredentialSource<Value>]) {
        self.name = name
        self.sources = sources
    }

    /// Stale values are allowed only if every source in the chain allows them.
    public var allowsStaleValues: Bool {
        self.sources.allSatisfy(\.allowsStaleValues)
    }

    /// The first credential any source gives.
    ///
    /// - Throws: ``CredentialsError/Code/allSourcesFailed``, listing each source's error in order.
    public func fetch() async throws -> Credential<Value> {
        var failures: [String] = []
        for source in self.sources {
            do {
                return try await source.fetch()
            } catch {
                failures.append("\(source.name): \(error)")
            }
        }
        throw CredentialsError(
            .allSourcesFailed,
            "every source of \(self.name) failed: \(failures.joined(separator: "; "))"
        )
    }

    /// Renews through the source that issued `credential`.
    public func renew(_ credential: Credential<Value>) async throws -> Credential<Value> {
        guard let issuer = self.issuer(of: credential) else {
            throw CredentialsError(
                .renewalUnsupported,
                "no source of \(self.name) issued \(credential.metadata.sourceName)"
            )
        }
        return try await issuer.renew(credential)
    }

    /// Revokes through the source that issued `credential`.
    public func revoke(_ credential: Credential<Value>) async throws {
        try await self.issuer(of: credential)?.revoke(credential)
    }

    private func issuer(of credential: Credential<Value>) -> (any CredentialSource<Value>)? {
        self.sources.first { $0.name == credential.metadata.sourceName }
    }
}
