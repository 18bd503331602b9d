import Foundation
import Logging
import Testing
import WardenCore
import WardenTestServers

@testable import WardenCredentials
@testable import WardenVault

/// The persistent cache's encodings of Vault's values: database credentials with their lease, and a KV secret as the
/// JSON Vault returned, each back as it went in through a sealed entry; a record that is not one is refused.
@Suite struct VaultPersistentCacheCodecTests {
    let directory: TemporaryDirectory
    let key = CredentialCacheKey.environment(
        "KEY",
        environment: ["KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()]
    )

    init() throws { self.directory = try TemporaryDirectory() }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func roundTrip<Value>(_ cache: PersistentCredentialCache<Value>, _ value: Value) async throws -> Value {
        let credential = Credential(
            value: value,
            issuedAt: Date(),
            expiresAt: Date().addingTimeInterval(120),
            isRenewable: true,
            metadata: CredentialMetadata(sourceName: "vault", kind: "test", leaseID: "database/creds/app/abc")
        )
        try await cache.store(credential, sourceName: "vault")
        let loaded = try #require(try await cache.load(sourceName: "vault", at: Date()))
        #expect(loaded.isRenewable)
        #expect(loaded.metadata.leaseID == "database/creds/app/abc")
        return loaded.value
    }

    @Test func databaseCredentialsComeBackWithTheirLease() async throws {
        let cache = try PersistentCredentialCache<VaultDatabaseCredentials>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let loaded = try await self.roundTrip(
            cache,
            VaultDatabaseCredentials(
                username: "v-token-app-x1",
                password: Secret("A1a-password"),
                leaseID: "database/creds/app/abc",
                leaseDuration: .seconds(120),
                renewable: true
            )
        )
        #expect(loaded.username == "v-token-app-x1")
        #expect(loaded.password.reveal() == "A1a-password")
        #expect(loaded.leaseID == "database/creds/app/abc")
        #expect(loaded.leaseDuration == .seconds(120))
        #expect(loaded.renewable)
    }

    @Test func aKVSecretComesBackAsVaultWroteIt() async throws {
        let cache = try PersistentCredentialCache<Secret<[String: JSONValue]>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let object = try #require(
            try JSONValue(parsing: Array(#"{"key":"api-key-v1","limit":1.50,"tags":["a",null,true]}"#.utf8)).objectValue
        )
        let loaded = try await self.roundTrip(cache, Secret(object)).reveal()
        #expect(loaded == object)
        #expect(loaded["limit"] == .number("1.50"), "numbers keep the text Vault wrote")
    }

    @Test func aRecordThatIsNotOneIsRefused() async throws {
        for bytes in [
            Array("[]".utf8),
            Array(#"{"username":"","password":"p","leaseID":"l","leaseSeconds":1,"renewable":true}"#.utf8),
        ] {
            let raw = try PersistentCredentialCache<VaultDatabaseCredentials>(
                directory: self.directory.file("cache"),
                key: self.key,
                logger: Self.quiet,
                encode: { _ in bytes },
                decode: { _ in throw CancellationError() }
            )
            let placeholder = VaultDatabaseCredentials(
                username: "u",
                password: Secret("p"),
                leaseID: "l",
                leaseDuration: .seconds(1),
                renewable: false
            )
            try await raw.store(
                Credential(
                    value: placeholder,
                    issuedAt: Date(),
                    metadata: CredentialMetadata(sourceName: "vault", kind: "test")
                ),
                sourceName: "vault"
            )
            let cache = try PersistentCredentialCache<VaultDatabaseCredentials>(
                directory: self.directory.file("cache"),
                key: self.key,
                logger: Self.quiet
            )
            let error = await #expect(throws: CredentialsError.self) {
                _ = try await cache.load(sourceName: "vault", at: Date())
            }
            #expect(error?.code == .cacheRejected)
        }
    }
}
