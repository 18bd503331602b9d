public import WardenCore
public import WardenVault

extension VaultClient {
    /// Sets up an AppRole login the way an operator does: enables the `approle` auth method at `auth/approle` (unless
    /// `enablingAuth` is `false`, when it is already there), writes role `name` with `settings` (`token_ttl`,
    /// `token_policies`, …), and returns its role ID and a new secret ID. Needs a token that may do all three.
    public func createAppRole(
        _ name: String,
        _ settings: [String: JSONValue],
        enablingAuth: Bool = true
    ) async throws -> (roleID: String, secretID: String) {
        if enablingAuth { try await self.write("sys/auth/approle", ["type": "approle"]) }
        try await self.write("auth/approle/role/\(name)", .object(settings))
        guard let roleID = try await self.read("auth/approle/role/\(name)/role-id").data?["role_id"]?.stringValue,
            let secretID = try await self.write("auth/approle/role/\(name)/secret-id")?.data?["secret_id"]?.stringValue
        else { throw TestServerError("OpenBao gave no role ID or secret ID for the AppRole \(name)") }
        return (roleID, secretID)
    }
}
