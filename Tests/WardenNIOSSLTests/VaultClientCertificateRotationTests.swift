import Foundation
import Testing
import WardenCore
import WardenCredentials
import WardenNIOSSL
import WardenPKI
import WardenTestServers
import WardenTestSupport
import WardenVault
import X509

/// Vault's cert auth with a client certificate that rotates under one `VaultClient` (AsyncHTTPClient inside), against a
/// real OpenBao over TLS.
@Suite(.enabled(if: OpenBaoServer.shouldRun, "OpenBao is missing (Scripts/test.sh installs it into .venv)"))
struct VaultClientCertificateRotationTests {
    static func workload(_ name: String, issuer: TestPKI.Issued) throws -> CertificateAndKey {
        let issued = try TestPKI.issue(
            subject: "CN=\(name)",
            issuer: issuer,
            extendedKeyUsage: [.clientAuth],
            sans: [.uniformResourceIdentifier("spiffe://example.org/\(name)")],
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        return CertificateAndKey(chain: [issued.certificate], privateKey: issued.key)
    }

    @Test func certAuthLogsInWithTheRotatedCertificateOnTheNextConnection() async throws {
        let server = try OpenBaoServer(tls: true)
        try await server.start()
        defer { server.stop() }
        let ca = try TestPKI.issue(
            subject: "CN=Workload CA",
            isCA: true,
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        let admin = try server.client()
        try await admin.write("sys/auth/cert", ["type": "cert"])
        try await admin.write(
            "auth/cert/certs/workloads",
            ["certificate": .string(ca.pem), "token_ttl": "5m", "allowed_uri_sans": "spiffe://example.org/*"]
        )
        try await admin.shutdown()

        let current = Shared(try Self.workload("billing-1", issuer: ca))
        var configuration = VaultConfiguration(address: server.address, caCertificateFile: server.tlsCAFile)
        configuration.clientCertificateReloader = RotatingCertificateReloader { current.value }
        configuration.connectionIdleTimeout = .milliseconds(500)
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }

        func loggedInAs() async throws -> String? {
            _ = try await client.login(using: VaultCertAuth(role: "workloads"))
            return try await client.read("auth/token/lookup-self").data?["meta"]?["common_name"]?.stringValue
        }
        #expect(try await loggedInAs() == "billing-1")

        // While the pooled connection lives, it keeps the certificate it was opened with.
        current.modify { $0 = try! Self.workload("billing-2", issuer: ca) }
        #expect(try await loggedInAs() == "billing-1", "an established connection keeps its certificate")

        // Idle past the pool's timeout: the next request opens a connection, which presents the rotated certificate.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await loggedInAs() == "billing-2")
    }

    @Test func aReloaderAndCertificateFilesTogetherAreAConfigurationError() throws {
        var configuration = VaultConfiguration(address: "https://127.0.0.1:8200", clientCertificateFile: "/x.pem")
        configuration.clientKeyFile = "/x.key"
        configuration.clientCertificateReloader = RotatingCertificateReloader { nil }
        #expect(throws: VaultError(.invalidConfiguration, "")) { try VaultClient(configuration: configuration) }
    }
}
