import Foundation
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenTestServers
import WardenTestSupport

@testable import WardenVault

/// A process restarted while Vault is down: a new provider (what a restarted process makes) over the same encrypted
/// cache serves the token its predecessor got, degraded and naming the cache, and is fresh again when OpenBao returns.
/// An entry edited by one byte, or opened with another key, is not served.
@Suite(
    .enabled(if: OpenBaoServer.shouldRun, "OpenBao is missing (Scripts/test.sh installs it into .venv)"),
    .serialized
)
struct PersistentCacheRestartTests {
    let directory: TemporaryDirectory
    let keyFile: String

    init() throws {
        self.directory = try TemporaryDirectory()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
        self.keyFile = try self.directory.write("cache.key", Data(key).base64EncodedString())
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: self.keyFile)
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// What a process makes at start: a client, and a provider of AppRole tokens over the cache in `cache/`.
    func provider(
        _ server: OpenBaoServer,
        roleID: String,
        secretID: String,
        key: CredentialCacheKey? = nil
    ) throws -> (VaultClient, RotatingCredentialProvider<VaultTokenSource>) {
        let client = try server.client(token: Secret(""), timeout: .seconds(2), maximumRetries: 0)
        let cache = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: key ?? .file(self.keyFile),
            logger: Self.quiet
        )
        let provider = RotatingCredentialProvider(
            source: VaultTokenSource(
                client: client,
                method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
            ),
            policy: RotationPolicy(
                backoff: BackoffPolicy(
                    initialDelay: .milliseconds(200),
                    maximumDelay: .milliseconds(500),
                    minimumDelay: .milliseconds(100)
                ),
                fetchTimeout: .seconds(3)
            ),
            logger: Self.quiet,
            persistentCache: cache
        )
        return (client, provider)
    }

    @Test func aRestartDuringAnOutageServesTheCachedTokenThenRecovers() async throws {
        let server = try OpenBaoServer(persistent: true)
        try await server.start()
        defer { server.shutDown() }
        let admin = try server.client()
        defer { Task { try? await admin.shutdown() } }
        let (roleID, secretID) = try await admin.createAppRole(
            "app",
            ["token_ttl": "1h", "token_policies": ["default"]]
        )

        // The first process gets a token, which the cache keeps.
        let (firstClient, first) = try self.provider(server, roleID: roleID, secretID: secretID)
        let token = try await first.current()
        // Written in the background, once the token is installed.
        var entries: [String] = []
        for _ in 0..<100 {
            entries = (try? FileManager.default.contentsOfDirectory(atPath: self.directory.file("cache"))) ?? []
            if entries.contains(where: { $0.hasSuffix(".wcache") }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let entry = try #require(entries.first { $0.hasSuffix(".wcache") })
        let file = self.directory.file("cache/\(entry)")
        #expect(FileManager.default.contents(atPath: file)?.range(of: Data(token.reveal().utf8)) == nil)
        try await firstClient.shutdown()

        // Vault goes down; the process restarts.
        server.stop()
        let (client, restarted) = try self.provider(server, roleID: roleID, secretID: secretID)
        defer { Task { try? await client.shutdown() } }
        #expect(try await restarted.current().reveal() == token.reveal())
        guard case .degraded(let failure) = restarted.status else {
            Issue.record("expected degraded, got \(restarted.status)")
            return
        }
        #expect(failure.lastError.contains(self.directory.file("cache")), "\(failure.lastError)")
        #expect(!failure.lastError.contains(token.reveal()))

        let cachedBefore = FileManager.default.contents(atPath: file)
        // Vault returns: the provider's next attempt reaches it (the cached token is renewed, being renewable and
        // valid) and the status is fresh again; the token works.
        let running = Task { try await restarted.run() }
        defer { running.cancel() }
        try await server.start()
        for _ in 0..<100 where restarted.status != .fresh { try await Task.sleep(for: .milliseconds(100)) }
        #expect(restarted.status == .fresh)
        let fresh = try await restarted.current()
        let check = try server.client(token: fresh)
        defer { Task { try? await check.shutdown() } }
        let lookup = try await check.read("auth/token/lookup-self")
        #expect(lookup.data?["policies"] != nil)

        // The confirmed token replaced the cached entry (a new expiry, a new nonce; written in the background).
        for _ in 0..<100 where FileManager.default.contents(atPath: file) == cachedBefore {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(FileManager.default.contents(atPath: file) != cachedBefore)

        // Down again: an entry edited by one byte, or read with another key, is not served.
        server.stop()
        let intact = try #require(FileManager.default.contents(atPath: file))
        var edited = intact
        edited[edited.count / 2] ^= 0x01
        try edited.write(to: URL(fileURLWithPath: file))
        let (editedClient, afterEdit) = try self.provider(server, roleID: roleID, secretID: secretID)
        defer { Task { try? await editedClient.shutdown() } }
        await #expect(throws: CredentialsError.self) { _ = try await afterEdit.current() }

        // The intact entry again: served with the right key, refused with another.
        try intact.write(to: URL(fileURLWithPath: file))
        let (intactClient, withTheKey) = try self.provider(server, roleID: roleID, secretID: secretID)
        defer { Task { try? await intactClient.shutdown() } }
        #expect(try await withTheKey.current().reveal() == fresh.reveal())
        let otherKey = CredentialCacheKey.environment(
            "KEY",
            environment: ["KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()]
        )
        let (otherClient, withOtherKey) = try self.provider(server, roleID: roleID, secretID: secretID, key: otherKey)
        defer { Task { try? await otherClient.shutdown() } }
        await #expect(throws: CredentialsError.self) { _ = try await withOtherKey.current() }
        withExtendedLifetime((first, restarted, afterEdit, withTheKey)) {}
    }
}
