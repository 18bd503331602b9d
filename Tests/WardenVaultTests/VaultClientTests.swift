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

/// The client against a real OpenBao dev server: the envelope, KV v1 and v2, errors, auth methods, PKI and transit.
@Suite(
    .enabled(if: OpenBaoServer.shouldRun, "OpenBao is missing (Scripts/test.sh installs it into .venv)"),
    .serialized
)
struct VaultClientTests {
    static func withServer(_ body: (OpenBaoServer, VaultClient) async throws -> Void) async throws {
        let server = try OpenBaoServer()
        try await server.start()
        defer { server.stop() }
        let client = try server.client()
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test func healthOfAnActiveServer() async throws {
        try await Self.withServer { _, client in
            let health = try await client.health()
            #expect(health.isActive)
            #expect(health.initialized && !health.sealed)
            #expect(health.version.hasPrefix("2."))
        }
    }

    /// In a ServiceGroup the client serves requests while the group runs and shuts its HTTPClient down at graceful
    /// shutdown; a later `shutdown()` does nothing.
    @Test func theClientIsAServiceThatShutsDownWithItsGroup() async throws {
        let server = try OpenBaoServer()
        try await server.start()
        defer { server.stop() }
        let client = try server.client()
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: client)], logger: Logger(label: "test"))
        )
        let running = Task { try await group.run() }
        #expect(try await client.health().isActive)
        await group.triggerGracefulShutdown()
        try await running.value
        await #expect(throws: (any Error).self) { try await client.health() }
        try await client.shutdown()
    }

    /// Any rotating provider of tokens can feed the client, with the same re-login when Vault refuses the token.
    @Test func aTokenProviderOfAnyTokenSourceIsReloggedInOnRefusal() async throws {
        try await Self.withServer { server, client in
            let logins = Mutex(0)
            let source = ClosureCredentialSource(name: "custom-token") {
                let response = try await client.request(
                    .POST,
                    "auth/token/create",
                    body: ["ttl": "1h", "policies": ["root"]],
                    token: server.rootToken
                )
                logins.withLock { $0 += 1 }
                let token = try #require(response?.auth?.clientToken)
                return Credential(
                    value: token,
                    issuedAt: Date(),
                    expiresAt: Date().addingTimeInterval(3600),
                    metadata: CredentialMetadata(
                        sourceName: "custom-token",
                        kind: "vault-token",
                        identifier: "\(logins.withLock { $0 })"
                    )
                )
            }
            let tokens = RotatingCredentialProvider(
                source: source,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
            client.setTokenProvider(tokens)
            try await client.kv2().write("custom/key", ["value": "v"])
            let first = try await tokens.current()
            _ = try await client.request(
                .POST,
                "auth/token/revoke",
                body: ["token": .string(first.reveal())],
                token: server.rootToken
            )
            try await Task.sleep(for: .milliseconds(150))  // past the engine's minimum interval since the first login
            #expect(try await client.kv2().read("custom/key").data.reveal()["value"] == "v")
            #expect(logins.withLock { $0 } == 2)
        }
    }

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

    @Test func errorsAreTypedAndCarryVaultsMessageNeverTheToken() async throws {
        try await Self.withServer { server, _ in
            let badToken = "hvs.not-a-real-token-\(UUID().uuidString)"
            let client = try server.client(token: Secret(badToken))
            defer { Task { try? await client.shutdown() } }
            let denied = await #expect(throws: VaultError.self) { try await client.read("secret/data/anything") }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.status == 403)
            #expect(denied?.message.contains("permission denied") == true)
            #expect(denied?.message.contains(badToken) == false)
            let root = try server.client()
            defer { Task { try? await root.shutdown() } }
            await #expect(throws: VaultError(.notFound, "")) { try await root.read("secret/data/missing") }
            let invalid = await #expect(throws: VaultError.self) {
                try await root.write("sys/mounts/bad", ["type": "no-such-engine"])
            }
            #expect(invalid?.code == .invalidRequest)
        }
    }

    /// A rate-limit quota of OpenBao's own answers 429 with `Retry-After`: with no retry left it is a typed
    /// `rateLimited` error carrying Vault's message; with retries the client waits the quota out and the read succeeds;
    /// and a wait that would outlast the client's timeout is not started.
    @Test func aRateLimitQuotaIsTypedAndWaitedOut() async throws {
        try await Self.withServer { server, admin in
            try await admin.write("sys/quotas/config", ["enable_rate_limit_response_headers": true])
            try await admin.kv2().write("app/key", ["value": "v1"])
            try await admin.write(
                "sys/quotas/rate-limit/one-per-interval",
                ["path": "secret/", "rate": 1, "interval": "3s"]
            )
            let impatient = try server.client(maximumRetries: 0)
            defer { Task { try? await impatient.shutdown() } }
            // Backoff alone would spend three retries in well under a second; only Retry-After makes it wait.
            var configuration = VaultConfiguration(address: server.address, token: server.rootToken, maximumRetries: 3)
            configuration.retryBackoff = BackoffPolicy(
                initialDelay: .milliseconds(10),
                maximumDelay: .milliseconds(20),
                minimumDelay: .milliseconds(10)
            )
            let patient = try VaultClient(configuration: configuration)
            defer { Task { try? await patient.shutdown() } }

            // The interval's one request, then a refusal.
            _ = try await impatient.kv2().read("app/key")
            let refused = await #expect(throws: VaultError.self) { try await impatient.kv2().read("app/key") }
            #expect(refused?.code == .rateLimited)
            #expect(refused?.status == 429)
            #expect(refused?.message.contains("rate limit quota exceeded") == true)

            let started = ContinuousClock.now
            #expect(try await patient.kv2().read("app/key").data.reveal()["value"] == "v1")
            #expect(ContinuousClock.now - started >= .seconds(1), "the client waited for the quota's next interval")

            // That read spent the new interval's request. A wait longer than the timeout is not started.
            let hurried = try server.client(timeout: .seconds(2), maximumRetries: 3)
            defer { Task { try? await hurried.shutdown() } }
            let startedHurried = ContinuousClock.now
            await #expect(throws: VaultError(.rateLimited, "")) { try await hurried.kv2().read("app/key") }
            #expect(ContinuousClock.now - startedHurried < .seconds(1), "the 429 surfaced at once")
        }
    }

    /// A standby that restarts while the active node is down has no active node to hand a write to, and OpenBao answers
    /// 500 `local node not active but active cluster node not found`: a typed `standby` error, not a bare 5xx, and
    /// retried before it surfaces.
    @Test func aStandbyWithoutAnActiveNodeIsATypedRetriedError() async throws {
        let active = try OpenBaoServer(persistent: true)
        try await active.start()
        defer { active.stop() }
        let standby = try OpenBaoServer(persistent: true, joining: active)
        try await standby.start()
        defer { standby.stop() }
        let client = try standby.client(maximumRetries: 1)
        defer { Task { try? await client.shutdown() } }
        #expect(try await client.health().standby)
        try await client.write("sys/mounts/kv-through-standby", ["type": "kv"])

        active.stop()
        standby.stop()
        try await standby.start()
        let health = try await client.health()
        #expect(health.standby && !health.isActive)
        // Retried (an election may end it): the one retry waits out the default backoff of at least 1 s.
        let started = ContinuousClock.now
        let error = await #expect(throws: VaultError.self) {
            try await client.write("sys/mounts/kv-without-leader", ["type": "kv"])
        }
        #expect(error?.code == .standby)
        #expect(error?.message.contains("active cluster node not found") == true)
        #expect(ContinuousClock.now - started >= .seconds(1), "the standby error was retried")
    }

    @Test func connectionRefusedIsRetriedThenATransportError() async throws {
        let port = try OpenBaoServer.freePort()
        var configuration = VaultConfiguration(address: "http://127.0.0.1:\(port)", token: Secret("x"))
        configuration.maximumRetries = 2
        configuration.retryBackoff = BackoffPolicy(
            initialDelay: .milliseconds(10),
            maximumDelay: .milliseconds(20),
            minimumDelay: .milliseconds(10)
        )
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        let started = ContinuousClock.now
        let error = await #expect(throws: VaultError.self) { try await client.read("secret/data/x") }
        #expect(error?.code == .transport)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

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

    @Test func tokenSourceRenewsAndRevokes() async throws {
        try await Self.withServer { server, client in
            let created = try #require(
                try await client.write(
                    "auth/token/create",
                    ["ttl": "1h", "explicit_max_ttl": "2h", "policies": ["default"]]
                )?.auth
            )
            let source = VaultTokenSource(client: client, method: VaultTokenAuth(token: created.clientToken))
            let first = try await source.fetch()
            #expect(first.isRenewable)
            #expect(first.value.reveal() == created.clientToken.reveal())
            let renewed = try await source.renew(first)
            #expect(try #require(renewed.expiresAt) >= first.expiresAt!)
            try await source.revoke(renewed)
            let revoked = try server.client(token: created.clientToken)
            defer { Task { try? await revoked.shutdown() } }
            await #expect(throws: VaultError(.permissionDenied, "")) {
                try await revoked.read("auth/token/lookup-self")
            }
        }
    }

    /// A token revoked mid-TTL: the next request logs in again (one login for many callers) and succeeds; a path the
    /// token's policies do not cover is refused without a login.
    @Test func aRevokedTokenIsReplacedByANewLoginAndAPolicyDenialIsNot() async throws {
        try await Self.withServer { server, admin in
            try await admin.write("sys/auth/approle", ["type": "approle"])
            try await admin.write(
                "sys/policy/payments",
                ["policy": #"path "secret/data/payments/*" { capabilities = ["read"] }"#]
            )
            try await admin.write(
                "auth/approle/role/payments",
                ["token_ttl": "10m", "token_policies": ["default", "payments"]]
            )
            let roleID = try #require(
                try await admin.read("auth/approle/role/payments/role-id").data?["role_id"]?.stringValue
            )
            let secretID = try #require(
                try await admin.write("auth/approle/role/payments/secret-id")?.data?["secret_id"]?.stringValue
            )
            try await admin.kv2().write("payments/api-key", ["key": "k1"])
            try await admin.kv2().write("billing/api-key", ["key": "b1"])

            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let tokens = RotatingCredentialProvider(
                source: VaultTokenSource(
                    client: client,
                    method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
                ),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
            client.setTokenProvider(tokens)
            #expect(try await client.kv2().read("payments/api-key").data.reveal()["key"] == "k1")
            let first = try #require(tokens.credential?.metadata.identifier)

            // Not a refused token but a policy that does not cover the path: no new login.
            await #expect(throws: VaultError(.permissionDenied, "")) { try await client.kv2().read("billing/api-key") }
            #expect(tokens.credential?.metadata.identifier == first)

            // An operator revokes the token long before its TTL.
            try await admin.write("auth/token/revoke-accessor", ["accessor": .string(first)])
            let reads = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.kv2().read("payments/api-key").data.reveal()["key"]?.stringValue }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(reads == Array(repeating: "k1", count: 20))
            let second = try #require(tokens.credential?.metadata.identifier)
            #expect(second != first)
            // One login for the twenty callers that saw the refusal: the AppRole tokens alive now are the new one only.
            let accessors = try #require(
                try await admin.list("auth/token/accessors").data?["keys"]?.arrayValue?.compactMap(\.stringValue)
            )
            var appRoleTokens: [String] = []
            for accessor in accessors {
                let token = try await admin.write("auth/token/lookup-accessor", ["accessor": .string(accessor)])
                if token?.data?["display_name"]?.stringValue == "approle" { appRoleTokens.append(accessor) }
            }
            #expect(appRoleTokens == [second])
        }
    }

    /// The client token as a rotating credential against a real server: renewed with `renew-self` while that extends
    /// it, then replaced by a fresh login before its maximum TTL, with every request served throughout.
    @Test func theTokenIsRenewedThenReplacedByALoginAtItsMaximumTTL() async throws {
        try await Self.withServer { server, admin in
            try await admin.write("sys/auth/approle", ["type": "approle"])
            try await admin.write(
                "auth/approle/role/short",
                ["token_ttl": "4s", "token_max_ttl": "7s", "token_policies": ["default"]]
            )
            let roleID = try #require(
                try await admin.read("auth/approle/role/short/role-id").data?["role_id"]?.stringValue
            )
            let secretID = try #require(
                try await admin.write("auth/approle/role/short/secret-id")?.data?["secret_id"]?.stringValue
            )

            let client = try server.client(maximumRetries: 0)
            defer { Task { try? await client.shutdown() } }
            let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let tokens = RotatingCredentialProvider(
                source: VaultTokenSource(
                    client: client,
                    method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
                ),
                policy: RotationPolicy(mandatoryRefreshWindow: .seconds(1)),
                logger: quiet
            )
            client.setTokenProvider(tokens)
            let updates = tokens.updates
            let events = Task {
                await updates.reduce(into: [RotationEvent<Secret<String>>.Kind]()) { $0.append($1.kind) }
            }
            let running = Task { try await tokens.run() }

            var accessors: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(11)
            while ContinuousClock.now < deadline {
                let me = try await client.read("auth/token/lookup-self")
                accessors.insert(try #require(me.data?["accessor"]?.stringValue))
                try await Task.sleep(for: .milliseconds(250))
            }
            running.cancel()
            _ = await running.result
            let kinds = await events.value
            #expect(kinds.first == .initial)
            #expect(kinds.contains(.renewed), "\(kinds)")
            #expect(kinds.contains(.rotated), "\(kinds)")
            #expect(accessors.count >= 2, "a new login replaced the token at its maximum TTL")
        }
    }

    /// `VAULT_NAMESPACE` scopes every request, logins included, to an OpenBao namespace.
    @Test func aNamespaceScopesEveryRequest() async throws {
        try await Self.withServer { server, admin in
            try await admin.write("sys/namespaces/team-a")
            var configuration = try VaultConfiguration.fromEnvironment([
                "VAULT_ADDR": server.address, "VAULT_TOKEN": server.rootToken.reveal(), "VAULT_NAMESPACE": "team-a",
            ])
            configuration.maximumRetries = 0
            let teamA = try VaultClient(configuration: configuration)
            defer { Task { try? await teamA.shutdown() } }
            try await teamA.write("sys/mounts/secret", ["type": "kv", "options": ["version": "2"]])
            try await teamA.kv2().write("app/config", ["owner": "team-a"])
            try await admin.kv2().write("app/config", ["owner": "root namespace"])
            #expect(try await teamA.kv2().read("app/config").data.reveal()["owner"] == "team-a")
            #expect(try await admin.kv2().read("app/config").data.reveal()["owner"] == "root namespace")

            // A token made inside the namespace works only with the namespace sent.
            try await teamA.write("sys/auth/approle", ["type": "approle"])
            try await teamA.write(
                "sys/policy/reader",
                ["policy": #"path "secret/data/app/*" { capabilities = ["read"] }"#]
            )
            try await teamA.write(
                "auth/approle/role/reader",
                ["token_policies": ["default", "reader"], "token_ttl": "5m"]
            )
            let roleID = try #require(
                try await teamA.read("auth/approle/role/reader/role-id").data?["role_id"]?.stringValue
            )
            let secretID = try #require(
                try await teamA.write("auth/approle/role/reader/secret-id")?.data?["secret_id"]?.stringValue
            )
            configuration.token = nil
            let reader = try VaultClient(configuration: configuration)
            defer { Task { try? await reader.shutdown() } }
            let login = try await reader.login(
                using: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
            )
            #expect(try await reader.kv2().read("app/config").data.reveal()["owner"] == "team-a")
            let outside = try server.client(token: login.clientToken, maximumRetries: 0)
            defer { Task { try? await outside.shutdown() } }
            await #expect(throws: VaultError(.permissionDenied, "")) { try await outside.kv2().read("app/config") }
        }
    }

    @Test func pkiSignsALocalCSRAndIssues() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/mounts/pki", ["type": "pki", "config": ["max_lease_ttl": "87600h"]])
            try await client.write("pki/root/generate/internal", ["common_name": "Warden Test Root", "ttl": "8760h"])
            try await client.write(
                "pki/roles/service",
                [
                    "allowed_domains": "example.org", "allow_subdomains": true,
                    "allowed_uri_sans": "spiffe://example.org/*", "max_ttl": "72h", "key_type": "any",
                ]
            )
            let key = try PrivateKey.generate(.p256)
            var csr = try CSRBuilder(subject: "CN=api.example.org")
            csr.dnsNames = ["api.example.org"]
            let signed = try await client.pki().sign(
                role: "service",
                csr: try csr.pemEncoded(signingWith: key),
                commonName: "api.example.org",
                ttl: .seconds(3600)
            )
            #expect(signed.privateKey == nil)
            #expect(key.matches(signed.certificate.publicKey))
            let chain = try await client.pki().caChain()
            #expect(!chain.isEmpty)
            _ = try await CertificateChainVerifier(roots: chain).verify(
                leaf: signed.certificate,
                dnsName: "api.example.org"
            )
            let issued = try await client.pki().issue(role: "service", commonName: "web.example.org", keyType: .p256)
            let issuedKey = try #require(issued.privateKey)
            #expect(issuedKey.matches(issued.certificate.publicKey))
            let source = VaultPKICertificateSource(
                client: client,
                role: "service",
                commonName: "job.example.org",
                ttl: .seconds(600)
            )
            let credential = try await source.fetch()
            #expect(credential.value.privateKey.matches(credential.value.leaf.publicKey))
            #expect(credential.expiresAt == credential.value.leaf.notValidAfter)
            let caSource = try await VaultPKICAChainSource(client: client).fetch()
            #expect(caSource.value == chain)
        }
    }

    /// The PKI source through the rotation engine: each certificate is re-issued, with a new key, while the previous one
    /// is still valid, and only once per lifetime, although Vault back-dates `notBefore` by 30 s.
    @Test func aPKICertificateIsReissuedAheadOfItsExpiry() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/mounts/pki", ["type": "pki", "config": ["max_lease_ttl": "87600h"]])
            try await client.write("pki/root/generate/internal", ["common_name": "Warden Test Root", "ttl": "8760h"])
            try await client.write(
                "pki/roles/service",
                ["allowed_domains": "example.org", "allow_subdomains": true, "max_ttl": "1h", "key_type": "any"]
            )
            let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let provider = RotatingCredentialProvider(
                source: VaultPKICertificateSource(
                    client: client,
                    role: "service",
                    commonName: "job.example.org",
                    ttl: .seconds(6)
                ),
                logger: quiet
            )
            let running = Task { try await provider.run() }
            defer { running.cancel() }

            // Every certificate the provider serves over 5.5 s, with the time it was first seen.
            var seen: [(certificate: Certificate, key: PrivateKey, at: Date)] = []
            let end = ContinuousClock.now + .milliseconds(5_500)
            while ContinuousClock.now < end {
                if let held = provider.currentIfAvailable(),
                    held.leaf.serialNumber != seen.last?.certificate.serialNumber
                {
                    seen.append((held.leaf, held.privateKey, Date()))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            // Issued at 0 s; re-issued at 50% to 67% of the 6 s left (3 to 4 s), and that one at 6 to 8 s.
            #expect(
                seen.count == 2,
                "\(seen.map { "\($0.certificate.serialNumber) at \($0.at.timeIntervalSince(seen[0].at))" }); \(provider.status)"
            )
            if seen.count >= 2 {
                #expect(seen[1].at < seen[0].certificate.notValidAfter, "re-issued before the first one expired")
                #expect(seen[1].at.timeIntervalSince(seen[0].at) >= 2.5)
                #expect(!seen[1].key.matches(seen[0].certificate.publicKey), "a new key for the new certificate")
                #expect(seen[1].key.matches(seen[1].certificate.publicKey))
            }
        }
    }

    @Test func transitEncryptsDecryptsSignsAndVerifies() async throws {
        try await Self.withServer { _, client in
            try await client.write("sys/mounts/transit", ["type": "transit"])
            try await client.write("transit/keys/app", ["type": "ecdsa-p256"])
            try await client.write("transit/keys/data", [:])
            let transit = client.transit()
            let ciphertext = try await transit.encrypt(key: "data", plaintext: Secret(Array("card 4111".utf8)))
            #expect(ciphertext.hasPrefix("vault:v1:"))
            #expect(try await transit.decrypt(key: "data", ciphertext: ciphertext).reveal() == Array("card 4111".utf8))
            let signature = try await transit.sign(key: "app", input: Array("payload".utf8))
            #expect(try await transit.verify(key: "app", input: Array("payload".utf8), signature: signature))
            #expect(try await transit.verify(key: "app", input: Array("tampered".utf8), signature: signature) == false)
        }
    }
}
