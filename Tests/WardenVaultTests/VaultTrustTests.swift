import Foundation
import Testing
import WardenCore
import WardenCredentials
import WardenSPIFFE
import WardenTestSupport
import WardenTrust
import X509

@testable import WardenVault

/// Vault's PKI CA chain as a trust source of `TrustBundleManager`, through its generic door (WardenTrust does not import
/// WardenVault). Against a real OpenBao, in `VaultClientTests`' suite.
extension VaultClientTests {
    @Test func aVaultCARolloverReachesTheTrustManagerAndTheOldCAIsRetained() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/mounts/pki", ["type": "pki", "config": ["max_lease_ttl": "87600h"]])
            try await client.write("pki/root/generate/internal", ["common_name": "Warden Root A", "ttl": "8760h"])
            let trustDomain = try TrustDomain("example.org")
            let manager = TrustBundleManager(retention: .seconds(3600))
            manager.addSource(
                VaultPKICAChainSource(client: client, rereadInterval: .milliseconds(300)),
                trustDomain: trustDomain
            )
            let events = manager.events()
            let running = Task { try await manager.run() }
            defer { running.cancel() }
            func subjects() -> [String] {
                (manager.bundles[trustDomain]?.x509Authorities ?? []).map { "\($0.subject)" }.sorted()
            }
            for _ in 0..<100 where subjects().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            #expect(subjects() == ["CN=Warden Root A"])

            // An operator rotates the root: a new issuer, made the default.
            let rotated = try #require(
                try await client.write("pki/root/rotate/internal", ["common_name": "Warden Root B", "ttl": "8760h"])
            )
            let issuerID = try #require(rotated.data?["issuer_id"]?.stringValue)
            try await client.write("pki/config/issuers", ["default": .string(issuerID)])
            for _ in 0..<100 where !subjects().contains("CN=Warden Root B") {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(subjects() == ["CN=Warden Root A", "CN=Warden Root B"], "B published, A retained")
            let kinds = await collect(3, from: events, within: 10).map(\.kind)
            #expect(kinds == [.added, .retained, .added])
            running.cancel()
            _ = try? await running.value
        }
    }
}
