import Crypto
import Foundation
import Logging
import Testing
import WardenTestServers
import WardenTestSupport

@testable import WardenCredentials

/// The persistent cache's storage: sealed with AES-256-GCM under a key kept elsewhere, written atomically with mode
/// 0600, refused when one byte is edited or the key, name or kind differs, and opened by pyca/cryptography's AESGCM
/// from the documented format.
@Suite struct EncryptedCredentialCacheTests {
    let directory: TemporaryDirectory
    let keyBytes: [UInt8]
    let keyFile: String

    init() throws {
        self.directory = try TemporaryDirectory()
        self.keyBytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        self.keyFile = try self.directory.write("cache.key", Data(self.keyBytes).base64EncodedString() + "\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: self.keyFile)
    }

    func cache(key: CredentialCacheKey? = nil) throws -> EncryptedCredentialCache {
        try EncryptedCredentialCache(
            directory: self.directory.file("cache"),
            key: key ?? .file(self.keyFile),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    static let entry = EncryptedCredentialCache.Entry(
        name: "vault:database/creds/orders",
        kind: "database",
        expiresAt: Date(timeIntervalSince1970: 4_000_000_000),
        payload: Array(#"{"username":"v-orders-1","password":"s3cret-password"}"#.utf8)
    )

    @Test func anEntryIsSealedWrittenPrivatelyAndReadBack() async throws {
        let cache = try self.cache()
        try await cache.store(Self.entry)
        let path = cache.path(of: Self.entry.name)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let first = try #require(FileManager.default.contents(atPath: path))
        #expect(first.range(of: Data("s3cret-password".utf8)) == nil, "the file does not hold the value in clear")
        #expect(try await cache.load(name: Self.entry.name, kind: "database") == Self.entry)
        // A fresh nonce each time: the same value never makes the same file.
        try await cache.store(Self.entry)
        #expect(try #require(FileManager.default.contents(atPath: path)) != first)
    }

    @Test func oneEditedByteWrongKeyNameOrKindIsRefused() async throws {
        let cache = try self.cache()
        try await cache.store(Self.entry)
        let path = cache.path(of: Self.entry.name)
        let original = try #require(FileManager.default.contents(atPath: path))
        for position in stride(from: 0, to: original.count, by: 7) {
            var edited = original
            edited[position] ^= 0x01
            try edited.write(to: URL(fileURLWithPath: path))
            let error = await #expect(throws: CredentialsError.self) {
                _ = try await cache.load(name: Self.entry.name, kind: "database")
            }
            #expect(error?.code == .cacheRejected, "byte \(position)")
            #expect(error?.message.contains("s3cret") == false)
        }
        try original.write(to: URL(fileURLWithPath: path))
        #expect(try await cache.load(name: Self.entry.name, kind: "database") == Self.entry)

        // Another key.
        let otherKey = CredentialCacheKey.provider("a test KMS") { SymmetricKey(size: .bits256) }
        await #expect(throws: CredentialsError.self) {
            _ = try await self.cache(key: otherKey).load(name: Self.entry.name, kind: "database")
        }
        // Read as another kind, or copied to another name's file.
        await #expect(throws: CredentialsError.self) { _ = try await cache.load(name: Self.entry.name, kind: "token") }
        try FileManager.default.copyItem(atPath: path, toPath: cache.path(of: "vault:other"))
        await #expect(throws: CredentialsError.self) { _ = try await cache.load(name: "vault:other", kind: "database") }
        // Truncated.
        try original.prefix(20).write(to: URL(fileURLWithPath: path))
        await #expect(throws: CredentialsError.self) {
            _ = try await cache.load(name: Self.entry.name, kind: "database")
        }
    }

    @Test func anExpiredEntryIsNotServedAndIsRemoved() async throws {
        let cache = try self.cache()
        var entry = Self.entry
        entry.expiresAt = Date(timeIntervalSince1970: 1_000)
        try await cache.store(entry)
        #expect(try await cache.load(name: entry.name, kind: "database") == nil)
        #expect(!FileManager.default.fileExists(atPath: cache.path(of: entry.name)))
        try await cache.store(Self.entry)
        try cache.remove(name: Self.entry.name)
        #expect(try await cache.load(name: Self.entry.name, kind: "database") == nil)
    }

    @Test func keysMustBe256BitsPrivateAndKeptElsewhere() async throws {
        let fromEnvironment = CredentialCacheKey.environment(
            "WARDEN_CACHE_KEY",
            environment: ["WARDEN_CACHE_KEY": Data(self.keyBytes).base64EncodedString()]
        )
        let cache = try self.cache()
        try await cache.store(Self.entry)
        #expect(try await self.cache(key: fromEnvironment).load(name: Self.entry.name, kind: "database") == Self.entry)

        let short = try self.directory.write("short.key", "c2hvcnQ=")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: short)
        let loose = try self.directory.write("loose.key", Data(self.keyBytes).base64EncodedString())
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose)
        for key in [CredentialCacheKey.file(short), .file(loose), .environment("UNSET", environment: [:])] {
            let error = await #expect(throws: CredentialsError.self) {
                try await self.cache(key: key).store(Self.entry)
            }
            #expect(error?.code == .invalidConfiguration)
        }
        // A key file inside the cache's directory would travel with every copy of it.
        try FileManager.default.createDirectory(atPath: self.directory.file("cache"), withIntermediateDirectories: true)
        let beside = try self.directory.write("cache/cache.key", Data(self.keyBytes).base64EncodedString())
        #expect(throws: CredentialsError.self) { _ = try self.cache(key: .file(beside)) }
    }

    @Test(.enabled(if: ExternalTool.python.shouldRun, "python with cryptography is missing"))
    func pycaCryptographyOpensAnEntryFromTheDocumentedFormat() async throws {
        let cache = try self.cache()
        try await cache.store(Self.entry)
        let script = """
            import base64, sys
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            key = base64.b64decode(open(sys.argv[1]).read().strip())
            blob = open(sys.argv[2], "rb").read()
            assert blob[:8] == b"WCACHE01"
            nonce, sealed = blob[8:20], blob[20:]
            aad = b"warden.cache.v1\\0" + sys.argv[3].encode() + b"\\0" + sys.argv[4].encode()
            plain = AESGCM(key).decrypt(nonce, sealed, aad)
            print(int.from_bytes(plain[:8], "big"), plain[8:].decode())
            """
        let result = try Subprocess.run(
            try ExternalTool.python.require(),
            ["-c", script, self.keyFile, cache.path(of: Self.entry.name), Self.entry.name, "database"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.trimmingCharacters(in: .newlines)
                == "4000000000 " + String(decoding: Self.entry.payload, as: UTF8.self)
        )
    }
}
