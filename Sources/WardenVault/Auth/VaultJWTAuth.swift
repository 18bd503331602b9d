public import WardenCore

/// JWT auth (`auth/<mount>/login` with a role and a JWT), for example with a JWT-SVID minted by WardenSPIFFE.
public struct VaultJWTAuth: VaultAuthMethod {
    public var name: String { "jwt" }
    private let role: String
    private let mount: String
    private let token: @Sendable () async throws -> Secret<String>

    /// Logs in as `role` with the JWT `token` returns, fetched anew for every login.
    public init(role: String, mount: String = "jwt", token: @escaping @Sendable () async throws -> Secret<String>) {
        self.role = role
        self.mount = mount
        self.token = token
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let jwt = try await self.token()
        return try await client.login(
            path: "auth/\(self.mount)/login",
            body: ["role": .string(self.role), "jwt": .string(jwt.reveal())]
        )
    }
}
