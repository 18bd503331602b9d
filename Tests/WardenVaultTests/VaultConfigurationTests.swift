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

/// The client's configuration, without a server: these run wherever the tests run, OpenBao or not.
@Suite struct VaultConfigurationTests {
    @Test func aCommaSeparatedVaultAddrListsAClustersNodes() throws {
        let configuration = try VaultConfiguration.fromEnvironment([
            "VAULT_ADDR": "https://vault-1.internal:8200, https://vault-2.internal:8200,https://vault-3.internal:8200"
        ])
        #expect(
            configuration.addresses == [
                "https://vault-1.internal:8200", "https://vault-2.internal:8200", "https://vault-3.internal:8200",
            ]
        )
        #expect(configuration.address == "https://vault-1.internal:8200")
        #expect(throws: VaultError(.invalidConfiguration, "")) {
            try VaultConfiguration.fromEnvironment(["VAULT_ADDR": "https://vault-1.internal:8200,"])
        }
        // A TLS server name names one server: with several addresses it is refused, not applied to all.
        var several = VaultConfiguration(address: "https://10.0.0.1:8200")
        several.addresses.append("https://10.0.0.2:8200")
        several.tlsServerName = "vault.internal"
        #expect(throws: VaultError(.invalidConfiguration, "")) { try VaultClient(configuration: several) }
        let client = try VaultClient(configuration: VaultConfiguration(address: "http://127.0.0.1:1"))
        #expect(client.currentAddress == "http://127.0.0.1:1")
        try client.httpClient.syncShutdown()
    }

    @Test func configurationFromTheEnvironment() throws {
        let configuration = try VaultConfiguration.fromEnvironment([
            "VAULT_ADDR": "https://vault.example.com:8200", "VAULT_TOKEN": "s.token", "VAULT_NAMESPACE": "team-a",
            "VAULT_SKIP_VERIFY": "true", "VAULT_CLIENT_TIMEOUT": "30s", "VAULT_MAX_RETRIES": "5",
            "VAULT_CACERT": "/etc/ca.pem",
            "VAULT_TLS_SERVER_NAME": "vault.internal",
        ])
        #expect(configuration.tlsServerName == "vault.internal")
        #expect(configuration.address == "https://vault.example.com:8200")
        #expect(configuration.token?.reveal() == "s.token")
        #expect(configuration.namespace == "team-a")
        #expect(configuration.insecureSkipTLSVerify)
        #expect(configuration.timeout == .seconds(30))
        #expect(configuration.maximumRetries == 5)
        #expect(configuration.caCertificateFile == "/etc/ca.pem")
        #expect(throws: VaultError(.invalidConfiguration, "")) {
            try VaultConfiguration.fromEnvironment(["VAULT_MAX_RETRIES": "many"])
        }
        #expect(throws: VaultError(.invalidConfiguration, "")) {
            try VaultConfiguration.fromEnvironment(["VAULT_SKIP_VERIFY": "maybe"])
        }
        #expect(throws: VaultError(.invalidConfiguration, "")) {
            try VaultClient(configuration: VaultConfiguration(address: "ftp://x"))
        }
    }

    @Test func skipVerifyLogsAWarning() throws {
        let log = InMemoryLogHandler()
        let client = try VaultClient(
            configuration: VaultConfiguration(address: "https://127.0.0.1:1", insecureSkipTLSVerify: true),
            logger: Logger(label: "t") { _ in log.recordingEverything }
        )
        defer { Task { try? await client.shutdown() } }
        #expect(log.lines.contains { $0.hasPrefix("warning") && $0.contains("TLS verification") })
    }

}
