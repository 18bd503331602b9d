import Foundation
import Logging
import Synchronization
import Testing
import WardenCore
import WardenCredentials
import WardenTestServers
import WardenTestSupport

@testable import WardenVault

/// The client against a three-node OpenBao raft cluster on loopback, under continuous load (KV writes and reads, token
/// renewals and logins, database credential renewals and PostgreSQL logins): the active node killed, a standby killed,
/// the active node sealed. Every request is counted; none may fail.
@Suite(
    .enabled(if: OpenBaoServer.shouldRun, "OpenBao is missing (Scripts/test.sh installs it into .venv)"),
    .serialized
)
struct VaultHighAvailabilityTests {
    struct Tally: Sendable {
        var succeeded = 0
        var failed: [String] = []
    }

    /// Four workers, each writing a KV secret and reading it back, until `end`. A read that does not return what
    /// the same worker wrote counts as a failure too.
    static func load(_ client: VaultClient, until end: ContinuousClock.Instant) async -> Tally {
        await withTaskGroup(of: Tally.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var tally = Tally()
                    var round = 0
                    while ContinuousClock.now < end {
                        round += 1
                        do {
                            try await client.kv2().write("ha/worker-\(worker)", ["round": .string("\(round)")])
                            let read = try await client.kv2().read("ha/worker-\(worker)")
                            if read.data.reveal()["round"]?.stringValue == "\(round)" {
                                tally.succeeded += 2
                            } else {
                                tally.succeeded += 1
                                tally.failed.append("worker \(worker) read \(read) after writing round \(round)")
                            }
                        } catch {
                            tally.failed.append("worker \(worker) round \(round): \(error)")
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                    return tally
                }
            }
            var total = Tally()
            for await tally in group {
                total.succeeded += tally.succeeded
                total.failed += tally.failed
            }
            return total
        }
    }

    /// Runs the load for `seconds`, doing `fault` after `faultAfter`.
    static func underLoad(
        _ client: VaultClient,
        seconds: Int,
        faultAfter: Duration,
        _ fault: @Sendable () async throws -> Void
    ) async throws -> Tally {
        let end = ContinuousClock.now + .seconds(seconds)
        async let tally = Self.load(client, until: end)
        try await Task.sleep(for: faultAfter)
        try await fault()
        return await tally
    }

    /// Whether `user` logs in to `postgres` with `password`, off the cooperative pool (`psql` blocks).
    static func logIn(_ postgres: PostgresCluster, _ credentials: VaultDatabaseCredentials) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: postgres.canLogIn(user: credentials.username, password: credentials.password.reveal())
                )
            }
        }
    }

    @Test(.enabled(if: PostgresCluster.shouldRun, "PostgreSQL is missing (Scripts/test.sh installs it)"))
    func theActiveNodeKilledUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let nodes = cluster.nodes
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }
        #expect(client.currentAddress == nodes[0].address)

        // A second client whose token comes from an AppRole login through the rotation engine: a 4 s token, renewed
        // and replaced by new logins all through the failover. Through it, dynamic PostgreSQL credentials with a 4 s
        // lease, renewed every 2 to 3 s, and used for a login every 250 ms.
        let postgres = try PostgresCluster()
        defer { postgres.stop() }
        try await VaultDatabaseAndOutageTests.configureDatabase(client, postgres, ttl: "4s", maxTTL: "10m")
        try await client.write(
            "sys/policies/acl/ha",
            [
                "policy": """
                path "secret/data/ha/*" { capabilities = ["read"] }
                path "database/creds/app" { capabilities = ["read"] }
                path "sys/leases/renew" { capabilities = ["update"] }
                """
            ]
        )
        try await client.write("sys/auth/approle", ["type": "approle"])
        try await client.write(
            "auth/approle/role/ha",
            ["token_ttl": "4s", "token_max_ttl": "8s", "token_policies": ["default", "ha"]]
        )
        let roleID = try #require(try await client.read("auth/approle/role/ha/role-id").data?["role_id"]?.stringValue)
        let secretID = try #require(
            try await client.write("auth/approle/role/ha/secret-id")?.data?["secret_id"]?.stringValue
        )
        try await client.kv2().write("ha/app", ["key": "value"])
        let app = try cluster.client(token: nil)
        defer { Task { try? await app.shutdown() } }
        let tokens = RotatingCredentialProvider(
            source: VaultTokenSource(
                client: app,
                method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
            ),
            policy: RotationPolicy(mandatoryRefreshWindow: .seconds(1)),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        app.setTokenProvider(tokens)
        let updates = tokens.updates
        let events = Task {
            await updates.reduce(into: [(RotationEvent<Secret<String>>.Kind, Date)]()) { $0.append(($1.kind, $1.date)) }
        }
        let running = Task { try await tokens.run() }
        let database = RotatingCredentialProvider(
            source: VaultDatabaseCredentialSource(client: app, role: "app"),
            policy: RotationPolicy(mandatoryRefreshWindow: .seconds(1)),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let databaseUpdates = database.updates
        let databaseEvents = Task {
            await databaseUpdates.reduce(into: [(RotationEvent<VaultDatabaseCredentials>.Kind, Date)]()) {
                $0.append(($1.kind, $1.date))
            }
        }
        let databaseRunning = Task { try await database.run() }
        _ = try await database.current()
        let logins = Task {
            var tally = Tally()
            let end = ContinuousClock.now + .seconds(12)
            while ContinuousClock.now < end {
                do {
                    let credentials = try await database.current()
                    if await Self.logIn(postgres, credentials) {
                        tally.succeeded += 1
                    } else {
                        tally.failed.append("PostgreSQL refused \(credentials.username)")
                    }
                } catch {
                    tally.failed.append("database credentials: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return tally
        }
        let appReads = Task {
            var tally = Tally()
            let end = ContinuousClock.now + .seconds(12)
            while ContinuousClock.now < end {
                do {
                    _ = try await app.kv2().read("ha/app")
                    tally.succeeded += 1
                } catch {
                    tally.failed.append("app read: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return tally
        }

        let killedAt = Mutex<Date?>(nil)
        let tally = try await Self.underLoad(client, seconds: 12, faultAfter: .seconds(3)) {
            killedAt.withLock { $0 = Date() }
            nodes[0].shutDown()
        }
        let appTally = await appReads.value
        let loginTally = await logins.value
        databaseRunning.cancel()
        _ = await databaseRunning.result
        running.cancel()
        _ = await running.result
        let seen = await events.value
        let databaseSeen = await databaseEvents.value
        let kill = try #require(killedAt.withLock { $0 })
        // A token renewed or replaced after the kill went through the failover.
        #expect(
            seen.contains { ($0.0 == .rotated || $0.0 == .renewed) && $0.1 > kill },
            "the engine renewed or replaced the token after the kill: \(seen.map { "\($0.0) \($0.1)" })"
        )
        #expect(tally.failed.isEmpty, "\(tally.failed.prefix(5))")
        #expect(appTally.failed.isEmpty, "\(appTally.failed.prefix(5))")
        // The lease was renewed through the failover (or replaced), and every login in PostgreSQL worked.
        #expect(
            databaseSeen.contains { ($0.0 == .rotated || $0.0 == .renewed) && $0.1 > kill },
            "the engine renewed or replaced the database credentials after the kill: \(databaseSeen.map { "\($0.0) \($0.1)" })"
        )
        #expect(databaseSeen.filter { $0.0 == .renewed }.count >= 2, "\(databaseSeen.map { "\($0.0) \($0.1)" })")
        #expect(loginTally.failed.isEmpty, "\(loginTally.failed.prefix(5))")
        #expect(loginTally.succeeded > 20, "the logins ran: \(loginTally.succeeded)")
        #expect(appTally.succeeded > 50)
        #expect(app.failovers >= 1)
        #expect(tally.succeeded > 100, "the load ran: \(tally.succeeded) requests")
        #expect(client.currentAddress != nodes[0].address)
        #expect(client.failovers >= 1)
        // The node in use now is the new active node, or a standby that forwards to it.
        let health = try await client.health()
        #expect(health.isActive || health.standby)
    }

    @Test func aStandbyKilledUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let nodes = cluster.nodes
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }

        let tally = try await Self.underLoad(client, seconds: 6, faultAfter: .seconds(2)) { nodes[1].shutDown() }
        #expect(tally.failed.isEmpty, "\(tally.failed.prefix(5))")
        #expect(tally.succeeded > 50)
        // Nothing moved: the node in use never failed.
        #expect(client.currentAddress == nodes[0].address)
        #expect(client.failovers == 0)
    }

    @Test func theActiveNodeSealedUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let nodes = cluster.nodes
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }

        let tally = try await Self.underLoad(client, seconds: 12, faultAfter: .seconds(3)) { try await nodes[0].seal() }
        #expect(tally.failed.isEmpty, "\(tally.failed.prefix(5))")
        #expect(tally.succeeded > 100)
        #expect(client.currentAddress != nodes[0].address)
        #expect(client.failovers >= 1)
    }

    @Test func aDeadFirstAddressIsPassedOverForAHealthyNode() async throws {
        let server = try OpenBaoServer()
        try await server.start()
        defer { server.stop() }
        let dead = "http://127.0.0.1:\(try LoopbackPort.free())"
        var configuration = VaultConfiguration(address: dead, token: server.rootToken)
        configuration.addresses.append(server.address)
        configuration.retryBackoff = BackoffPolicy(
            initialDelay: .milliseconds(50),
            maximumDelay: .milliseconds(100),
            minimumDelay: .milliseconds(50)
        )
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        try await client.kv2().write("ha/first", ["ok": .bool(true)])
        #expect(client.currentAddress == server.address)
        #expect(client.failovers == 1)
        // It stays there: the next request does not try the dead node first.
        _ = try await client.kv2().read("ha/first")
        #expect(client.failovers == 1)
    }
}
