import Foundation
import Logging
import ServiceLifecycle
import Warden

/// The service of the demo: a Vault client whose token comes from a rotating provider, and two more providers for its
/// secrets (a KV API key and a dynamic PostgreSQL credential), each writing its last good credential to an encrypted
/// persistent cache.
///
/// It is made from only what a process has when it starts: its configuration (the Vault address and the token it was
/// given) and the cache directory with its key file. So a restart (``stop()`` and a new `DemoService`) is what a
/// restarted process does: while Vault is down, the new providers come up from the cache, degraded, and recover when
/// Vault answers again.
final class DemoService: Sendable {
    let client: VaultClient
    let tokens: RotatingCredentialProvider<VaultTokenSource>
    let apiKey: RotatingCredentialProvider<VaultKVSecretSource>
    let database: RotatingCredentialProvider<VaultDatabaseCredentialSource>
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    init(vaultAddress: String, token: Secret<String>, cacheDirectory: String, keyFile: String) throws {
        let quiet = Logger(label: "demo") { _ in SwiftLogNoOpLogHandler() }
        self.client = try VaultClient(
            configuration: VaultConfiguration(address: vaultAddress, timeout: .seconds(2), maximumRetries: 1),
            logger: quiet
        )
        // Shutting down revokes what is a lease (the token, the database credentials), as each source says.
        let policy = RotationPolicy(
            backoff: BackoffPolicy(initialDelay: .milliseconds(500), maximumDelay: .seconds(2), jitter: .equal)
        )
        // One key for the three caches, in a file outside their directory (the cache refuses one inside it).
        let key = CredentialCacheKey.file(keyFile)
        self.tokens = RotatingCredentialProvider(
            source: VaultTokenSource(client: self.client, method: VaultTokenAuth(token: token)),
            policy: policy,
            logger: quiet,
            persistentCache: try PersistentCredentialCache(directory: cacheDirectory, key: key, logger: quiet)
        )
        self.client.setTokenProvider(self.tokens)
        self.apiKey = RotatingCredentialProvider(
            source: VaultKVSecretSource(client: self.client, path: "demo/api", rereadInterval: .seconds(2)),
            policy: policy,
            logger: quiet,
            persistentCache: try PersistentCredentialCache(directory: cacheDirectory, key: key, logger: quiet)
        )
        self.database = RotatingCredentialProvider(
            source: VaultDatabaseCredentialSource(client: self.client, role: "app"),
            policy: policy,
            logger: quiet,
            persistentCache: try PersistentCredentialCache(directory: cacheDirectory, key: key, logger: quiet)
        )
        let group = ServiceGroup(services: [self.tokens, self.apiKey, self.database], logger: quiet)
        self.group = group
        self.running = Task { try await group.run() }
    }

    /// The worst status of the three providers.
    var status: String {
        let names = [self.tokens.status.name, self.apiKey.status.name, self.database.status.name]
        for worst in ["revoked", "expired", "unavailable", "degraded", "pending"] where names.contains(worst) {
            return worst
        }
        return "fresh"
    }

    /// One request's credentials: the API key and the database login.
    func credentials() async throws -> (apiKey: String, database: VaultDatabaseCredentials) {
        let key = try await self.apiKey.current().reveal()["key"]?.stringValue ?? ""
        return (key, try await self.database.current())
    }

    /// Shuts the service down as a process does on SIGTERM: the providers stop and revoke their leases (which fails,
    /// and keeps the cache, while Vault is down), then the client closes.
    func stop() async throws {
        await self.group.triggerGracefulShutdown()
        _ = try? await self.running.value
        try await self.client.shutdown()
    }
}
