import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import Testing
import WardenCore
import WardenCredentials
import WardenTestServers
import WardenTestSupport

@testable import WardenVault

/// The client against a three-node OpenBao raft cluster on loopback, under a service's continuous load (KV writes and
/// reads, token renewals and logins, database credential renewals and PostgreSQL logins, all through the rotation
/// engine where a service would use it): the active node killed, a standby killed, the active node sealed. Every
/// request is counted; none may fail.
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

    /// Whether `node` answers a read of `path` itself (200) rather than redirect it to the active node, asked as the
    /// client asks (`X-Vault-No-Request-Forwarding`), with redirects not followed.
    static func answersLocally(_ node: OpenBaoServer, _ path: String, token: Secret<String>) async -> Bool {
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow)
        )
        defer { Task { try? await http.shutdown() } }
        var request = HTTPClientRequest(url: "\(node.address)/v1/\(path)")
        request.headers.add(name: "X-Vault-Token", value: token.reveal())
        request.headers.add(name: "X-Vault-No-Request-Forwarding", value: "true")
        let response = try? await http.execute(request, timeout: .seconds(2))
        _ = try? await response?.body.collect(upTo: 1 << 20)
        return response?.status.code == 200
    }

    /// What a service did through a fault, counted.
    struct Outcome {
        /// The root client's four workers writing and reading back KV secrets.
        var kv: Tally
        /// The AppRole client's KV reads, every 100 ms.
        var appReads: Tally
        /// PostgreSQL logins with the database provider's credentials, every 250 ms.
        var logins: Tally
        var tokenEvents: [(RotationEvent<Secret<String>>.Kind, Date)]
        var databaseEvents: [(RotationEvent<VaultDatabaseCredentials>.Kind, Date)]
        var faultAt: Date
        var appFailovers: Int

        var allFailures: [String] { self.kv.failed + self.appReads.failed + self.logins.failed }

        /// Whether the provider renewed or replaced its credential after the fault.
        func renewedAfterTheFault<Kind: Equatable>(_ events: [(Kind, Date)], _ renewed: Kind, _ rotated: Kind) -> Bool {
            events.contains { ($0.0 == renewed || $0.0 == rotated) && $0.1 > self.faultAt }
        }
    }

    /// Runs a service's whole load against `cluster` for `seconds`, doing `fault` after `faultAfter`:
    ///
    /// - `client` (root token) with four workers writing a KV secret each and reading it back;
    /// - a second client of every node whose token comes from an AppRole login through the rotation engine (a 4 s
    ///   token, 8 s at most: renewed, and replaced by new logins, all through the fault), reading KV every 100 ms;
    /// - through that client, dynamic PostgreSQL credentials with a 4 s lease, renewed every 2 to 3 s, and a login
    ///   with them every 250 ms.
    static func underLoad(
        _ cluster: OpenBaoCluster,
        _ client: VaultClient,
        seconds: Int = 12,
        faultAfter: Duration = .seconds(3),
        _ fault: @Sendable () async throws -> Void
    ) async throws -> Outcome {
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
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
        let (roleID, secretID) = try await client.createAppRole(
            "ha",
            ["token_ttl": "4s", "token_max_ttl": "8s", "token_policies": ["default", "ha"]]
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
            logger: quiet
        )
        app.setTokenProvider(tokens)
        let database = RotatingCredentialProvider(
            source: VaultDatabaseCredentialSource(client: app, role: "app"),
            policy: RotationPolicy(mandatoryRefreshWindow: .seconds(1)),
            logger: quiet
        )
        let tokenUpdates = tokens.updates
        let tokenEvents = Task {
            await tokenUpdates.reduce(into: [(RotationEvent<Secret<String>>.Kind, Date)]()) {
                $0.append(($1.kind, $1.date))
            }
        }
        let databaseUpdates = database.updates
        let databaseEvents = Task {
            await databaseUpdates.reduce(into: [(RotationEvent<VaultDatabaseCredentials>.Kind, Date)]()) {
                $0.append(($1.kind, $1.date))
            }
        }
        let tokensRunning = Task { try await tokens.run() }
        let databaseRunning = Task { try await database.run() }
        // A set-up or a fault that throws must not leave the providers running into the next test.
        defer {
            tokensRunning.cancel()
            databaseRunning.cancel()
        }
        _ = try await database.current()

        let end = ContinuousClock.now + .seconds(seconds)
        let kv = Task { await Self.load(client, until: end) }
        let appReads = Task {
            var tally = Tally()
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
        let logins = Task {
            var tally = Tally()
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

        try await Task.sleep(for: faultAfter)
        let faultAt = Date()
        try await fault()
        let outcome = Outcome(
            kv: await kv.value,
            appReads: await appReads.value,
            logins: await logins.value,
            tokenEvents: [],
            databaseEvents: [],
            faultAt: faultAt,
            appFailovers: app.failovers
        )
        databaseRunning.cancel()
        _ = await databaseRunning.result
        tokensRunning.cancel()
        _ = await tokensRunning.result
        var result = outcome
        result.tokenEvents = await tokenEvents.value
        result.databaseEvents = await databaseEvents.value
        return result
    }

    /// What holds whatever the fault: no request failed, every part of the load ran, and both providers renewed or
    /// replaced their credential after the fault.
    static func expectNothingFailed(_ outcome: Outcome) {
        #expect(outcome.allFailures.isEmpty, "\(outcome.allFailures.prefix(5))")
        #expect(outcome.kv.succeeded > 100, "the KV load ran: \(outcome.kv.succeeded) requests")
        #expect(outcome.appReads.succeeded > 50, "the AppRole client's reads ran: \(outcome.appReads.succeeded)")
        #expect(outcome.logins.succeeded > 20, "the logins ran: \(outcome.logins.succeeded)")
        #expect(
            outcome.renewedAfterTheFault(outcome.tokenEvents, .renewed, .rotated),
            "the engine renewed or replaced the token after the fault: \(outcome.tokenEvents)"
        )
        #expect(
            outcome.renewedAfterTheFault(outcome.databaseEvents, .renewed, .rotated),
            "the engine renewed or replaced the database credentials after the fault: \(outcome.databaseEvents)"
        )
        #expect(outcome.databaseEvents.filter { $0.0 == .renewed }.count >= 2, "\(outcome.databaseEvents)")
    }

    @Test(.enabled(if: PostgresCluster.shouldRun, "PostgreSQL is missing (Scripts/test.sh installs it)"))
    func theActiveNodeKilledUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }
        #expect(client.currentAddress == cluster.nodes[0].address)

        let outcome = try await Self.underLoad(cluster, client) { cluster.nodes[0].shutDown() }
        Self.expectNothingFailed(outcome)
        #expect(outcome.appFailovers >= 1)
        #expect(client.currentAddress != cluster.nodes[0].address)
        #expect(client.failovers >= 1)
        // The node in use now is the new active node: requests go nowhere else.
        let health = try await client.health()
        #expect(health.isActive)
    }

    @Test(.enabled(if: PostgresCluster.shouldRun, "PostgreSQL is missing (Scripts/test.sh installs it)"))
    func aStandbyKilledUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }

        let outcome = try await Self.underLoad(cluster, client, faultAfter: .seconds(2)) {
            cluster.nodes[1].shutDown()
        }
        Self.expectNothingFailed(outcome)
        // Nothing moved: the node in use never failed.
        #expect(client.currentAddress == cluster.nodes[0].address)
        #expect(client.failovers == 0)
        #expect(outcome.appFailovers == 0)
    }

    @Test(.enabled(if: PostgresCluster.shouldRun, "PostgreSQL is missing (Scripts/test.sh installs it)"))
    func theActiveNodeSealedUnderLoadFailsNoRequest() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        let client = try cluster.client(token: cluster.rootToken)
        defer { Task { try? await client.shutdown() } }

        let outcome = try await Self.underLoad(cluster, client) { try await cluster.nodes[0].seal() }
        Self.expectNothingFailed(outcome)
        #expect(outcome.appFailovers >= 1)
        #expect(client.currentAddress != cluster.nodes[0].address)
        #expect(client.failovers >= 1)
    }

    /// The active node steps down (`sys/step-down`): nothing fails, so nothing tells the client, and the node it uses
    /// is now a standby that would answer reads from its own copy. The client's next write finds out (a standby
    /// redirects it rather than forwarding it) and takes the client to the new active node, where the reads after it
    /// see it. Twice: with the addresses as the cluster advertises them (the redirect is followed), and spelled
    /// otherwise (`localhost`; the redirect names no configured address, so the client asks the nodes instead).
    @Test(arguments: ["127.0.0.1", "localhost"])
    func aStepDownIsFollowedAtTheNextWrite(host: String) async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        var configuration = cluster.configuration(token: cluster.rootToken, timeout: .seconds(10), maximumRetries: 20)
        configuration.addresses = cluster.addresses.map { $0.replacingOccurrences(of: "127.0.0.1", with: host) }
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        try await client.kv2().write("ha/step-down", ["round": .string("0")])
        #expect(client.currentAddress == configuration.addresses[0])

        let first = try cluster.nodes[0].client(token: cluster.rootToken, timeout: .seconds(5), maximumRetries: 0)
        defer { Task { try? await first.shutdown() } }
        _ = try await first.write("sys/step-down")
        var active: OpenBaoServer?
        for _ in 0..<100 where active == nil || active === cluster.nodes[0] {
            try await Task.sleep(for: .milliseconds(100))
            active = await cluster.activeNode()
        }
        let newActive = try #require(active)
        #expect(newActive !== cluster.nodes[0], "another node took over")
        #expect(try await first.health().standby, "the node that stepped down is a standby now")
        // Until its forwarding connection to the new active node is up, it redirects writes, which a client of it
        // alone follows without the token (another origin) and so cannot finish. Once it forwards them, a standby
        // sends the client no sign of what it is.
        var forwards = false
        for _ in 0..<100 where !forwards {
            forwards = (try? await first.kv2().write("ha/forwarded", ["ok": .bool(true)])) != nil
            if !forwards { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(forwards, "the node that stepped down forwards writes")
        // And until it has set itself up as a standby, it hands reads on too (a redirect, with the header the client
        // sends); once it answers them itself, nothing it says tells the client what it is.
        var local = false
        for _ in 0..<100 where !local {
            local = await Self.answersLocally(cluster.nodes[0], "secret/data/ha/step-down", token: cluster.rootToken)
            if !local { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(local, "the node that stepped down answers reads itself")
        // A read goes to it still: nothing has told the client, and its copy has every write the client made.
        #expect(try await client.kv2().read("ha/step-down").data.reveal()["round"]?.stringValue == "0")
        #expect(client.currentAddress == configuration.addresses[0])

        for round in 1...20 {
            try await client.kv2().write("ha/step-down", ["round": .string("\(round)")])
            let read = try await client.kv2().read("ha/step-down")
            #expect(read.data.reveal()["round"]?.stringValue == "\(round)", "round \(round) read back")
        }
        #expect(client.currentAddress == newActive.address.replacingOccurrences(of: "127.0.0.1", with: host))
        // A redirect, followed or not, is no election.
        #expect(client.electionsSeen == 0)
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
        // The first request looked for the active node before it was sent: no request failed, nothing failed over.
        #expect(client.failovers == 0)
        _ = try await client.kv2().read("ha/first")
        #expect(client.currentAddress == server.address)
        #expect(client.failovers == 0)
    }

    /// A standby answers whatever does not write from its own copy (OpenBao 2.5 and later), which may lack the write
    /// just made through it (it forwards writes) or a token just made by a login: the client sends requests only to a
    /// node it knows to be active.
    @Test func requestsGoToTheActiveNodeAndNeverToAStandby() async throws {
        let cluster = try await OpenBaoCluster.start()
        defer { cluster.shutDown() }
        // The first address is a standby: a new client goes to the active node before its first request.
        var configuration = cluster.configuration(token: cluster.rootToken, timeout: .seconds(10), maximumRetries: 4)
        configuration.addresses = [cluster.nodes[1].address, cluster.nodes[0].address, cluster.nodes[2].address]
        let client = try VaultClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        #expect(client.currentAddress == cluster.nodes[1].address)
        for round in 1...50 {
            try await client.kv2().write("ha/read-your-writes", ["round": .string("\(round)")])
            let read = try await client.kv2().read("ha/read-your-writes")
            #expect(read.data.reveal()["round"]?.stringValue == "\(round)")
        }
        #expect(client.currentAddress == cluster.nodes[0].address)
        #expect(client.failovers == 0)

        // The active node and one standby killed at once (no time to hand leadership over, as a graceful stop would):
        // the last node is a standby with no quorum to elect anyone. It still serves the secret to a client of it
        // alone, but a client of the cluster does not take that copy.
        cluster.nodes[0].kill()
        cluster.nodes[1].kill()
        var alone = VaultConfiguration(address: cluster.nodes[2].address, token: cluster.rootToken)
        alone.maximumRetries = 0
        let standbyClient = try VaultClient(configuration: alone)
        defer { Task { try? await standbyClient.shutdown() } }
        let health = try await standbyClient.health()
        #expect(health.standby)
        // Its copy may lack the last write: the leader can die before telling the followers that it was committed.
        let standbyCopy = try await standbyClient.kv2().read("ha/read-your-writes")
        #expect(["49", "50"].contains(standbyCopy.data.reveal()["round"]?.stringValue))

        let lookup: JSONValue = ["token": .string(cluster.rootToken.reveal())]
        _ = try await standbyClient.request(.POST, "auth/token/lookup", body: lookup)

        // Four retries, well within the timeout: the client runs out of retries waiting for an active node.
        let error = await #expect(throws: VaultError.self) { try await client.kv2().read("ha/read-your-writes") }
        #expect(error?.code == .standby, "\(String(describing: error))")
        #expect(client.currentAddress == cluster.nodes[2].address)
        // A request that reads without being a GET (a token lookup is a POST) is held back the same way.
        let postError = await #expect(throws: VaultError.self) {
            try await client.request(.POST, "auth/token/lookup", body: lookup)
        }
        #expect(postError?.code == .standby, "\(String(describing: postError))")
    }
}
