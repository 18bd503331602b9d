public import WardenCore

/// Dynamic database credentials: a username and password Vault created for one lease.
public struct VaultDatabaseCredentials: Sendable, CustomStringConvertible {
    /// The database user.
    public let username: String
    /// The password.
    public let password: Secret<String>
    /// The lease, to renew or revoke.
    public let leaseID: String
    /// The lease's time to live.
    public let leaseDuration: Duration
    /// Whether the lease can be renewed.
    public let renewable: Bool

    /// `VaultDatabaseCredentials(user: v-approle-…, lease: …, ttl: 3600s)`; never the password.
    public var description: String {
        "VaultDatabaseCredentials(user: \(self.username), lease: \(self.leaseID), ttl: \(self.leaseDuration.components.seconds)s\(self.renewable ? ", renewable" : ""))"
    }
}

/// The database secrets engine at a mount.
public struct VaultDatabase: Sendable {
    let client: VaultClient
    /// The mount path, such as `database`.
    public let mount: String

    /// New credentials for `role` (`<mount>/creds/<role>`).
    public func credentials(role: String) async throws -> VaultDatabaseCredentials {
        let response = try await self.client.read("\(self.mount)/creds/\(role)")
        guard let username = response.data?["username"]?.stringValue,
            let password = response.data?["password"]?.stringValue,
            let leaseID = response.leaseID
        else {
            throw VaultError(.malformedResponse, "GET /v1/\(self.mount)/creds/\(role): no username, password or lease")
        }
        return VaultDatabaseCredentials(
            username: username,
            password: Secret(password),
            leaseID: leaseID,
            leaseDuration: response.leaseDuration,
            renewable: response.renewable
        )
    }
}

extension VaultClient {
    /// The database engine mounted at `mount` (default `database`).
    public func database(mount: String = "database") -> VaultDatabase { VaultDatabase(client: self, mount: mount) }
}
