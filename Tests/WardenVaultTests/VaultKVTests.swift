import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenSPIFFE
import WardenTestSupport
import X509

@testable import WardenVault

/// KV v1 and v2, raw and decoded. Against a real OpenBao, in `VaultClientTests`' suite.
extension VaultClientTests {
    @Test func kv2VersionsCheckAndSetSoftDeleteAndDestroy() async throws {
        try await Self.withServer { _, client in
            let kv = client.kv2()
            #expect(try await kv.write("app/config", ["api-key": "one"]) == 1)
            #expect(try await kv.write("app/config", ["api-key": "two"], checkAndSet: 1) == 2)
            let mismatch = await #expect(throws: VaultError.self) {
                try await kv.write("app/config", ["api-key": "three"], checkAndSet: 1)
            }
            #expect(mismatch?.code == .invalidRequest)
            #expect(mismatch?.message.contains("check-and-set") == true)
            let latest = try await kv.read("app/config")
            #expect(latest.version == 2)
            #expect(latest.data.reveal()["api-key"] == "two")
            #expect(!latest.description.contains("two"))
            #expect(try await kv.read("app/config", version: 1).data.reveal()["api-key"] == "one")
            try await kv.delete("app/config")
            await #expect(throws: VaultError(.notFound, "")) { try await kv.read("app/config") }
            var metadata = try await kv.metadata("app/config")
            #expect(metadata.currentVersion == 2)
            #expect(metadata.versions[2]?.isDeleted == true)
            let written = try #require(metadata.versions[1]?.createdTime)
            #expect(abs(written.timeIntervalSinceNow) < 300, "created_time read as a Date: \(written)")
            try await kv.undelete("app/config", versions: [2])
            #expect(try await kv.read("app/config").data.reveal()["api-key"] == "two")
            try await kv.destroy("app/config", versions: [1])
            metadata = try await kv.metadata("app/config")
            #expect(metadata.versions[1]?.isDestroyed == true)
            await #expect(throws: VaultError(.notFound, "")) { try await kv.read("app/config", version: 1) }
            #expect(try await kv.list("app") == ["config"])
        }
    }

    struct APIConfig: Decodable, Sendable, Equatable {
        var apiKey: String
        var retries: Int
        enum CodingKeys: String, CodingKey {
            case apiKey = "api-key"
            case retries
        }
    }

    /// KV data decoded as the caller's type, by the client and by a rotating source; a mismatch names the key and the
    /// expected type, never the value.
    @Test func kvSecretsDecodeAsTheCallersTypeAndMismatchesNameTheKeyNotTheValue() async throws {
        try await Self.withServer { _, client in
            try await client.kv2().write("typed/config", ["api-key": "k-123", "retries": 3])
            let config = try await client.kv2().read("typed/config", as: APIConfig.self)
            #expect(config.reveal() == APIConfig(apiKey: "k-123", retries: 3))
            #expect("\(config)" == Secret<String>.redactedPlaceholder)

            let provider = RotatingCredentialProvider(
                source: VaultKVDecodedSecretSource(client: client, path: "typed/config", as: APIConfig.self)
            )
            #expect(try await provider.current().reveal().retries == 3)

            try await client.kv2().write("typed/wrong", ["api-key": "s3cr3t-value", "retries": "three"])
            let error = await #expect(throws: VaultError.self) {
                try await client.kv2().read("typed/wrong", as: APIConfig.self)
            }
            #expect(error?.code == .malformedResponse)
            #expect(error?.message.contains("retries") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("s3cr3t") == false)
            #expect(error?.message.contains("three") == false)
        }
    }

    @Test func kv1AndTheRawEnvelope() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/mounts/kv1", ["type": "kv", "options": ["version": "1"]])
            let kv = client.kv1(mount: "kv1")
            try await kv.write("service/db", ["password": "hunter2"])
            #expect(try await kv.read("service/db").reveal()["password"] == "hunter2")
            #expect(try await kv.list("service") == ["db"])
            let raw = try await client.read("kv1/service/db")
            #expect(raw.requestID?.isEmpty == false)
            #expect(raw.leaseDuration > .zero)
            #expect(!raw.description.contains("hunter2"))
            var dumped = ""
            dump(raw, to: &dumped)
            #expect(!dumped.contains("hunter2"))
            try await kv.delete("service/db")
            await #expect(throws: VaultError(.notFound, "")) { try await kv.read("service/db") }
        }
    }
}
