public import WardenCore

/// Token auth: a token given from outside (an operator, Vault Agent, `VAULT_TOKEN`). "Logging in" looks the token up
/// to learn its time to live and renewability.
public struct VaultTokenAuth: VaultAuthMethod {
    public var name: String { "token" }
    private let token: Secret<String>

    /// Uses `token`.
    public init(token: Secret<String>) {
        self.token = token
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let response = try await client.read("auth/token/lookup-self", token: self.token)
        let data = response.data ?? [:]
        return VaultAuthInfo(
            clientToken: self.token,
            accessor: data["accessor"]?.stringValue,
            policies: data["policies"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            leaseDuration: .seconds(data["ttl"]?.int64Value ?? 0),
            renewable: data["renewable"]?.boolValue ?? false,
            metadata: data["meta"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        )
    }
}
