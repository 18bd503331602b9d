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
        let port = try LoopbackPort.free()
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
            try await teamA.write(
                "sys/policy/reader",
                ["policy": #"path "secret/data/app/*" { capabilities = ["read"] }"#]
            )
            let (roleID, secretID) = try await teamA.createAppRole(
                "reader",
                ["token_policies": ["default", "reader"], "token_ttl": "5m"]
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

}
