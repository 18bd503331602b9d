import Foundation
import InMemoryLogging
import Logging
import Testing
import WardenCore
import WardenPKI
import WardenTestServers
import WardenTestSupport
import X509

@testable import WardenCredentials

/// The built-in encodings of the persistent cache: each value comes back as it went in, through a sealed entry on disk,
/// and an entry that authenticates but does not hold a valid value (a key that does not match its certificate, a
/// secret that is not UTF-8) is refused with `cacheRejected`.
@Suite struct PersistentCacheCodecTests {
    let directory: TemporaryDirectory
    let key: CredentialCacheKey

    init() throws {
        self.directory = try TemporaryDirectory()
        self.key = .environment(
            "KEY",
            environment: ["KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()]
        )
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    static let expiry = Date().addingTimeInterval(3600)

    func credential<Value>(_ value: Value) -> Credential<Value> {
        Credential(
            value: value,
            issuedAt: Date(),
            expiresAt: Self.expiry,
            metadata: CredentialMetadata(sourceName: "source", kind: "test", leaseID: "lease-1")
        )
    }

    /// Stores `value` and reads it back through the files.
    func roundTrip<Value>(_ cache: PersistentCredentialCache<Value>, _ value: Value) async throws -> Credential<Value> {
        try await cache.store(self.credential(value), sourceName: "source")
        return try #require(try await cache.load(sourceName: "source", at: Date()))
    }

    /// The only entry's bytes on disk.
    func entryBytes() throws -> Data {
        let cacheDirectory = self.directory.file("cache")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: cacheDirectory).first)
        return try #require(FileManager.default.contents(atPath: "\(cacheDirectory)/\(name)"))
    }

    @Test func aSecretStringComesBack() async throws {
        let cache = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let loaded = try await self.roundTrip(cache, Secret("hvs.token-ü"))
        #expect(loaded.value.reveal() == "hvs.token-ü")
        #expect(loaded.expiresAt == Self.expiry)
        #expect(loaded.metadata.leaseID == "lease-1")
        #expect(try self.entryBytes().range(of: Data("hvs.token".utf8)) == nil)
    }

    @Test func aSecretThatIsNotUTF8IsRefused() async throws {
        let raw = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet,
            encode: { _ in [0x66, 0xFF, 0xFE] },
            decode: { _ in Secret("") }
        )
        try await raw.store(self.credential(Secret("x")), sourceName: "source")
        let cache = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let error = await #expect(throws: CredentialsError.self) {
            _ = try await cache.load(sourceName: "source", at: Date())
        }
        #expect(error?.code == .cacheRejected)
    }

    struct APIKey: Codable, Sendable, Equatable {
        var key: String
        var rateLimit: Int
    }

    @Test func aCodableSecretComesBack() async throws {
        let cache = try PersistentCredentialCache<Secret<APIKey>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let loaded = try await self.roundTrip(cache, Secret(APIKey(key: "api-key-v7", rateLimit: 50)))
        #expect(loaded.value.reveal() == APIKey(key: "api-key-v7", rateLimit: 50))
        #expect(try self.entryBytes().range(of: Data("api-key-v7".utf8)) == nil)
    }

    @Test(arguments: [KeyType.p256, .p384, .ed25519, .rsa2048])
    func aCertificateChainAndKeyComeBack(_ keyType: KeyType) async throws {
        let root = try TestPKI.issue(subject: "CN=Root", isCA: true)
        let intermediate = try TestPKI.issue(subject: "CN=Intermediate", issuer: root, isCA: true)
        let leaf = try TestPKI.issue(subject: "CN=payments", keyType: keyType, issuer: intermediate)
        let cache = try PersistentCredentialCache<CertificateAndKey>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let value = CertificateAndKey(
            chain: [leaf.certificate, intermediate.certificate],
            privateKey: leaf.key,
            bundle: [root.certificate]
        )
        let loaded = try await self.roundTrip(cache, value).value
        #expect(loaded.chain == value.chain)
        #expect(loaded.bundle == value.bundle)
        #expect(loaded.privateKey.type == keyType)
        #expect(loaded.privateKey.pkcs8DERRepresentation.reveal() == leaf.key.pkcs8DERRepresentation.reveal())
        #expect(try self.entryBytes().range(of: Data(leaf.key.pkcs8DERRepresentation.reveal())) == nil)
    }

    @Test func aKeyThatDoesNotMatchItsCertificateIsRefused() async throws {
        let leaf = try TestPKI.issue(subject: "CN=payments")
        let otherKey = try PrivateKey.generate(.p256)
        // An entry that authenticates (written with the same key, name and type) but pairs the leaf with another key.
        let forged = try PersistentCredentialCache<CertificateAndKey>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet,
            encode: { value in
                Array(
                    try JSONEncoder().encode(
                        CachedCertificateAndKey(
                            chain: [Data(leaf.der)],
                            privateKey: Data(otherKey.pkcs8DERRepresentation.reveal()),
                            bundle: []
                        )
                    )
                )
            },
            decode: { _ in throw CancellationError() }
        )
        try await forged.store(
            self.credential(CertificateAndKey(chain: [leaf.certificate], privateKey: leaf.key)),
            sourceName: "source"
        )
        let logs = InMemoryLogHandler()
        let cache = try PersistentCredentialCache<CertificateAndKey>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Logger(label: "test") { _ in logs }
        )
        for _ in 0..<2 {
            let error = await #expect(throws: CredentialsError.self) {
                _ = try await cache.load(sourceName: "source", at: Date())
            }
            #expect(error?.code == .cacheRejected)
            #expect(error?.message.contains("does not match") == true, "\(String(describing: error))")
        }
        // Refused like a tampered entry: logged, once.
        #expect(logs.lines.filter { $0.contains("persistent cache entry refused") }.count == 1, "\(logs.lines)")
    }

    /// A secret string is kept as its UTF-8 bytes (what the first release wrote), not as JSON: the string-specific
    /// initializer is the one chosen, and an entry written as raw bytes reads back.
    @Test func aSecretStringEntryIsItsRawUTF8() async throws {
        let raw = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet,
            encode: { Array($0.reveal().utf8) },
            decode: { _ in Secret("") }
        )
        try await raw.store(self.credential(Secret("hvs.raw-token")), sourceName: "source")
        let cache = try PersistentCredentialCache<Secret<String>>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        #expect(try await cache.load(sourceName: "source", at: Date())?.value.reveal() == "hvs.raw-token")
    }

    @Test func anEmptyChainIsRefusedNotTrapped() throws {
        let record = CachedCertificateAndKey(chain: [], privateKey: Data(), bundle: [])
        #expect(throws: CredentialsError.self) {
            _ = try CachedCertificateAndKey.decode(Array(try JSONEncoder().encode(record)))
        }
        #expect(throws: CredentialsError.self) { _ = try CachedCertificateAndKey.decode(Array("[]".utf8)) }
    }
}
