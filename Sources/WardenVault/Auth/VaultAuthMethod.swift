import WardenCore

/// A way to log in to Vault and get a client token.
public protocol VaultAuthMethod: Sendable {
    /// A short name for logs and metrics: `token`, `approle`, `jwt`, `kubernetes`, `cert`.
    var name: String { get }
    /// Logs in and returns the token with its lease.
    func login(_ client: VaultClient) async throws -> VaultAuthInfo
}

extension VaultAuthInfo {
    init(
        clientToken: Secret<String>,
        accessor: String?,
        policies: [String],
        leaseDuration: Duration,
        renewable: Bool,
        metadata: [String: String]
    ) {
        self.clientToken = clientToken
        self.metadata = metadata
        self.accessor = accessor
        self.policies = policies
        self.leaseDuration = leaseDuration
        self.renewable = renewable
    }
}

extension VaultClient {
    /// Logs in with `method` and uses the token for every request from now on.
    @discardableResult
    public func login(using method: any VaultAuthMethod) async throws -> VaultAuthInfo {
        let auth = try await method.login(self)
        self.setToken(auth.clientToken)
        return auth
    }

    /// Posts to a login endpoint, without a token, and returns the `auth` block.
    func login(path: String, body: JSONValue) async throws -> VaultAuthInfo {
        guard let response = try await self.request(.POST, path, body: body, authenticated: false),
            let auth = response.auth,
            !auth.clientToken.reveal().isEmpty
        else {
            throw VaultError(.malformedResponse, "POST /v1/\(path): the login response has no auth block")
        }
        return auth
    }

    /// Reads `path` with an explicit token.
    func read(_ path: String, token: Secret<String>) async throws -> VaultResponse {
        guard let response = try await self.request(.GET, path, token: token) else {
            throw VaultError(.notFound, "GET /v1/\(path): no content")
        }
        return response
    }
}
