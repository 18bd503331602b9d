public import WardenCore

/// AppRole auth (`auth/<mount>/login` with a role ID and a secret ID). The secret ID may arrive response-wrapped: the
/// client unwraps it at login, so the secret ID itself never sits in configuration.
public struct VaultAppRoleAuth: VaultAuthMethod {
    /// The secret ID, plain or as the single-use token of a wrapped response.
    public enum SecretID: Sendable {
        case plain(Secret<String>)
        case wrapped(wrappingToken: Secret<String>)
    }

    public var name: String { "approle" }
    private let roleID: String
    private let secretID: SecretID
    private let mount: String

    /// Logs in to the AppRole mount `mount` (default `approle`).
    public init(roleID: String, secretID: SecretID, mount: String = "approle") {
        self.roleID = roleID
        self.secretID = secretID
        self.mount = mount
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let secretID: Secret<String>
        switch self.secretID {
        case .plain(let value):
            secretID = value
        case .wrapped(let wrappingToken):
            let unwrapped = try await client.unwrap(wrappingToken)
            guard let value = unwrapped.data?["secret_id"]?.stringValue else {
                throw VaultError(.malformedResponse, "the wrapped response has no secret_id")
            }
            secretID = Secret(value)
        }
        return try await client.login(
            path: "auth/\(self.mount)/login",
            body: ["role_id": .string(self.roleID), "secret_id": .string(secretID.reveal())]
        )
    }
}
