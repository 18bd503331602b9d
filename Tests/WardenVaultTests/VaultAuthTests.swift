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
import WardenTestServers
import WardenTestSupport
import X509

@testable import WardenVault

/// Auth methods and TLS: AppRole, JWT, Kubernetes, cert auth, the TLS server name. Against a real OpenBao, in `VaultClientTests`' suite.
extension VaultClientTests {
    @Test func appRoleWithAWrappedSecretID() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/auth/approle", ["type": "approle"])
            try await client.write("auth/approle/role/payments", ["token_ttl": "10m", "token_policies": ["default"]])
            let roleID = try #require(
                try await client.read("auth/approle/role/payments/role-id").data?["role_id"]?.stringValue
            )
            let wrapped = try #require(
                try await client.write("auth/approle/role/payments/secret-id", [:], wrapTTL: .seconds(60))?.wrapInfo
            )
            let login = try await client.login(
                using: VaultAppRoleAuth(roleID: roleID, secretID: .wrapped(wrappingToken: wrapped.token))
            )
            #expect(login.policies.contains("default"))
            #expect(login.leaseDuration == .seconds(600))
            #expect(!login.description.contains(login.clientToken.reveal()))
            let me = try await client.read("auth/token/lookup-self")
            #expect(me.data?["display_name"]?.stringValue == "approle")
            // A wrapping token is single use.
            let reused = await #expect(throws: VaultError.self) { try await client.unwrap(wrapped.token) }
            #expect(reused?.code == .invalidRequest || reused?.code == .permissionDenied)
        }
    }

    @Test func jwtAuthWithAJWTSVIDMintedByWarden() async throws {
        try await Self.withServer { _, client in
            let key = try PrivateKey.generate(.p256)
            let publicPEM = PEM.encode(label: "PUBLIC KEY", derBytes: key.subjectPublicKeyInfoDER)
            try await client.write("sys/auth/jwt", ["type": "jwt"])
            try await client.write(
                "auth/jwt/config",
                ["jwt_validation_pubkeys": [.string(publicPEM)], "jwt_supported_algs": ["ES256"]]
            )
            try await client.write(
                "auth/jwt/role/workload",
                [
                    "role_type": "jwt", "user_claim": "sub", "bound_audiences": ["vault"], "token_ttl": "5m",
                    "bound_subject": "spiffe://example.org/billing",
                ]
            )
            let signer = try JWTSigner(key: key, keyID: "k1")
            let auth = VaultJWTAuth(role: "workload") {
                try signer.mintSVID(subject: try SPIFFEID("spiffe://example.org/billing"), audience: ["vault"]).token
            }
            let login = try await client.login(using: auth)
            #expect(login.leaseDuration == .seconds(300))
            let other = VaultJWTAuth(role: "workload") {
                try signer.mintSVID(subject: try SPIFFEID("spiffe://example.org/intruder"), audience: ["vault"]).token
            }
            await #expect(throws: VaultError.self) { try await client.login(using: other) }
        }
    }

    /// Kubernetes auth: OpenBao reviews the pod's service-account token with the (stand-in) Kubernetes API; the token
    /// file is read at every login, as the kubelet rotates it.
    @Test(.enabled(if: ExternalTool.python.shouldRun, "Python is missing (Scripts/test.sh installs it)"))
    func kubernetesAuthWithAServiceAccountTokenFile() async throws {
        try await Self.withServer { server, admin in
            let kubernetes = try await KubernetesTestAPI(directory: server.directory)
            try await admin.write("sys/auth/kubernetes", ["type": "kubernetes"])
            try await admin.write(
                "auth/kubernetes/config",
                [
                    "kubernetes_host": .string(kubernetes.address), "kubernetes_ca_cert": .string(try kubernetes.caPEM),
                    "disable_local_ca_jwt": true,
                ]
            )
            try await admin.write(
                "auth/kubernetes/role/billing",
                [
                    "bound_service_account_names": ["billing"], "bound_service_account_namespaces": ["payments"],
                    "token_ttl": "5m", "token_policies": ["default"],
                ]
            )
            let tokenFile = server.directory.file("serviceaccount-token")
            let first = try await kubernetes.token(namespace: "payments", serviceAccount: "billing", uid: "7c1a")
            try server.directory.write("serviceaccount-token", first + "\n")
            let client = try server.client(maximumRetries: 0)
            defer { Task { try? await client.shutdown() } }
            let auth = VaultKubernetesAuth(role: "billing", tokenFile: tokenFile)

            let login = try await client.login(using: auth)
            #expect(login.leaseDuration == .seconds(300))
            #expect(login.metadata["service_account_name"] == "billing")
            #expect(login.metadata["service_account_namespace"] == "payments")
            #expect(login.metadata["service_account_uid"] == "7c1a")
            #expect(
                try await client.read("auth/token/lookup-self").data?["path"]?.stringValue == "auth/kubernetes/login"
            )
            var reviews = try await kubernetes.reviews()
            #expect(reviews.count == 1 && reviews.allWithBearer)

            // The kubelet rotates the token and the API server deletes the old one: the next login reads the new file.
            let second = try await kubernetes.token(namespace: "payments", serviceAccount: "billing", uid: "7c1a")
            try server.directory.write("serviceaccount-token", second)
            try await kubernetes.delete(token: first)
            #expect(try await client.login(using: auth).metadata["service_account_uid"] == "7c1a")

            // A deleted token is refused by the review; an account outside the role's namespaces before it.
            try server.directory.write("serviceaccount-token", first)
            await #expect(throws: VaultError(.permissionDenied, "")) { try await client.login(using: auth) }
            try server.directory.write(
                "serviceaccount-token",
                try await kubernetes.token(namespace: "default", serviceAccount: "billing", uid: "9f00")
            )
            let outside = await #expect(throws: VaultError.self) { try await client.login(using: auth) }
            #expect(outside?.message.contains("namespace not authorized") == true)
            reviews = try await kubernetes.reviews()
            #expect(reviews.count == 3)

            // No token file: a configuration error naming the file, before any request.
            let missing = VaultKubernetesAuth(role: "billing", tokenFile: server.directory.file("absent"))
            let error = await #expect(throws: VaultError.self) { try await client.login(using: missing) }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains("absent") == true)
        }
    }

    /// TLS with a custom CA (VAULT_CACERT), a client certificate (VAULT_CLIENT_CERT/KEY) and cert auth with a test CA.
    @Test func certAuthOverTLSWithAClientCertificate() async throws {
        let server = try OpenBaoServer(tls: true)
        try await server.start()
        defer { server.stop() }
        let ca = try TestPKI.issue(
            subject: "CN=Workload CA",
            isCA: true,
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        let leaf = try TestPKI.issue(
            subject: "CN=billing",
            issuer: ca,
            extendedKeyUsage: [.clientAuth],
            sans: [.uniformResourceIdentifier("spiffe://example.org/billing")],
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        let files = server.directory
        let certificateFile = try files.write("client.pem", leaf.pem)
        let keyFile = files.file("client.key")
        try leaf.key.write(to: keyFile)
        let admin = try server.client()
        defer { Task { try? await admin.shutdown() } }
        try await admin.write("sys/auth/cert", ["type": "cert"])
        try await admin.write(
            "auth/cert/certs/billing",
            ["certificate": .string(ca.pem), "token_ttl": "5m", "allowed_uri_sans": "spiffe://example.org/*"]
        )

        let configuration = try VaultConfiguration.fromEnvironment([
            "VAULT_ADDR": server.address, "VAULT_CACERT": server.tlsCAFile, "VAULT_CLIENT_CERT": certificateFile,
            "VAULT_CLIENT_KEY": keyFile,
        ])
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        let login = try await client.login(using: VaultCertAuth(role: "billing"))
        #expect(login.leaseDuration == .seconds(300))
        #expect(
            try await client.read("auth/token/lookup-self").data?["display_name"]?.stringValue?.contains("billing")
                == true
        )

        // Without the CA the server's certificate does not verify: TLS verification is on by default.
        let untrusting = try VaultClient(
            configuration: VaultConfiguration(address: server.address, token: Secret("x"), maximumRetries: 0)
        )
        defer { Task { try? await untrusting.shutdown() } }
        await #expect(throws: VaultError(.transport, "")) { try await untrusting.health() }
    }

    /// `VAULT_TLS_SERVER_NAME`: the connection goes to the address, 127.0.0.1, and the certificate, which names only
    /// `vault.internal`, is checked for the name.
    @Test func theTLSServerNameIsWhatTheCertificateIsCheckedFor() async throws {
        let files = try TemporaryDirectory()
        let ca = try TestPKI.issue(
            subject: "CN=Vault Test CA",
            isCA: true,
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        let leaf = try TestPKI.issue(
            subject: "CN=vault.internal",
            issuer: ca,
            extendedKeyUsage: [.serverAuth],
            sans: [.dnsName("vault.internal")],
            notBefore: Date().addingTimeInterval(-60),
            notAfter: Date().addingTimeInterval(3600)
        )
        let certificate = OpenBaoServer.ServerCertificate(
            certificateFile: try files.write("server.pem", leaf.pem),
            keyFile: files.file("server.key"),
            caFile: try files.write("ca.pem", ca.pem),
            serverName: "vault.internal"
        )
        try leaf.key.write(to: certificate.keyFile)
        let server = try OpenBaoServer(persistent: true, directory: files, certificate: certificate)
        try await server.start()
        defer { server.stop() }

        func health(serverName: String?) async throws -> VaultHealth {
            var environment = [
                "VAULT_ADDR": server.address, "VAULT_CACERT": certificate.caFile, "VAULT_MAX_RETRIES": "0",
            ]
            environment["VAULT_TLS_SERVER_NAME"] = serverName
            let client = try VaultClient(configuration: try VaultConfiguration.fromEnvironment(environment))
            do {
                let health = try await client.health()
                try await client.shutdown()
                return health
            } catch {
                try await client.shutdown()
                throw error
            }
        }
        #expect(server.address.hasPrefix("https://127.0.0.1:"))
        #expect(try await health(serverName: "vault.internal").isActive)
        // Without the name, or with another, the certificate does not match what the client checks.
        await #expect(throws: VaultError(.transport, "")) { try await health(serverName: nil) }
        await #expect(throws: VaultError(.transport, "")) { try await health(serverName: "vault.example.com") }
        // A shared HTTPClient cannot apply it: an error, not a silently different check.
        #expect(throws: VaultError(.invalidConfiguration, "")) {
            try VaultClient(
                configuration: VaultConfiguration(address: server.address, tlsServerName: "vault.internal"),
                httpClient: HTTPClient.shared
            )
        }
    }
}
