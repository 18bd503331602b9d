import Foundation
public import WardenCredentials

/// Dynamic database credentials as a rotating credential: the lease is renewed in place while each renewal grants the
/// full TTL, then new credentials are fetched before the lease's maximum TTL, overlapping the old ones; on shutdown the
/// lease is revoked (it is a lease, ``issuesLeases``; ``RotationPolicy/revokeOnShutdown`` can say otherwise). Expired
/// database credentials do not work, so stale values are never served.
///
/// A lease ends with the Vault token that created it. When the client's token provider replaces the token (a new
/// login at its maximum TTL), the source has its provider fetch new credentials at once with the new token
/// (``VaultClient/onTokenReplaced(_:)``), while the old ones work until the old token's end.
public struct VaultDatabaseCredentialSource: PushingCredentialSource {
    public typealias Value = VaultDatabaseCredentials

    private let database: VaultDatabase
    private let role: String

    /// A source for `role` of the database engine at `mount`.
    public init(client: VaultClient, mount: String = "database", role: String) {
        self.database = client.database(mount: mount)
        self.role = role
    }

    public var name: String { "vault-database:\(self.database.mount)/\(self.role)" }

    public var allowsStaleValues: Bool { false }

    /// `true`: a database lease can be revoked before it expires.
    public var issuesLeases: Bool { true }

    public func fetch() async throws -> Credential<VaultDatabaseCredentials> {
        let now = self.database.client.clock.now
        let credentials = try await self.database.credentials(role: self.role)
        return self.credential(credentials, issuedAt: now)
    }

    public func renew(
        _ credential: Credential<VaultDatabaseCredentials>
    ) async throws -> Credential<VaultDatabaseCredentials> {
        let now = self.database.client.clock.now
        let old = credential.value
        let response = try await self.database.client.renewLease(old.leaseID)
        let renewed = VaultDatabaseCredentials(
            username: old.username,
            password: old.password,
            leaseID: response.leaseID ?? old.leaseID,
            leaseDuration: response.leaseDuration,
            renewable: response.renewable
        )
        return self.credential(renewed, issuedAt: now)
    }

    /// Calls `body` when the client's token is replaced: the credentials got with the old token end with it.
    public func onChange(_ body: @escaping @Sendable () -> Void) {
        self.database.client.onTokenReplaced(body)
    }

    /// `true` when Vault could not answer (unreachable, timed out, sealed, no active node, rate limited): the held
    /// credential still works, so the provider renews it later instead of replacing it.
    public func isUnavailability(_ error: any Error) -> Bool { VaultError.isUnavailability(error) }

    public func revoke(_ credential: Credential<VaultDatabaseCredentials>) async throws {
        try await self.database.client.revokeLease(credential.value.leaseID)
    }

    private func credential(
        _ credentials: VaultDatabaseCredentials,
        issuedAt: Date
    ) -> Credential<VaultDatabaseCredentials> {
        Credential(
            value: credentials,
            issuedAt: issuedAt,
            expiresAt: issuedAt.addingTimeInterval(credentials.leaseDuration.timeInterval),
            isRenewable: credentials.renewable,
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "vault-database",
                leaseID: credentials.leaseID,
                identifier: credentials.username
            )
        )
    }
}
