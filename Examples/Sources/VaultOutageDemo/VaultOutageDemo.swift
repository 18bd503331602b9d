import ExampleEventLog
import Foundation
import Logging
import ServiceLifecycle
import Warden
import WardenCore

/// A small service that serves requests with a dynamic PostgreSQL credential and a KV API key from Vault, through
/// Warden's rotating providers, and lives through a Vault outage:
///
///     Vault up → Vault down (the demo stops the server) → requests keep succeeding on cached credentials, status
///     degraded → the service restarts during the outage and comes up from its encrypted persistent cache → Vault
///     back → recovery and rotation.
///
/// With no `VAULT_ADDR` it starts its own OpenBao and PostgreSQL and removes them at the end. `--json` prints one JSON
/// object per line: `{"t": seconds, "event": "...", "status": "...", "requestsOK": n, "requestsFailed": n}`.
@main
enum VaultOutageDemo {
    static func main() async {
        let json = CommandLine.arguments.contains("--json")
        if ProcessInfo.processInfo.environment["VAULT_ADDR"] != nil {
            FileHandle.standardError.write(
                Data(
                    "VaultOutageDemo stops and starts the Vault server itself, so it runs its own: unset VAULT_ADDR\n"
                        .utf8
                )
            )
            exit(2)
        }
        // A reader that goes away (`| head`) must not kill the demo before it removes its servers: writes then fail,
        // and the timeline ends the demo cleanly.
        signal(SIGPIPE, SIG_IGN)
        let timeline = DemoTimeline(json: json)
        do {
            let servers = try LocalServers()
            defer { servers.cleanUp() }
            let signalSources = servers.cleanUpOnSignals()
            defer { withExtendedLifetime(signalSources) {} }
            timeline.onOutputClosed = {
                servers.cleanUp()
                exit(141)
            }
            do {
                try await Self.run(servers, timeline)
            } catch {
                timeline.emit("error: \(error)", status: "failed")
                servers.cleanUp()
                exit(1)
            }
        } catch {
            timeline.emit("error: \(error)", status: "failed")
            exit(1)
        }
    }

    static func run(_ servers: LocalServers, _ timeline: DemoTimeline) async throws {
        timeline.emit("starting PostgreSQL and OpenBao", status: "pending")
        try servers.startPostgres()
        try await servers.startVault()

        // Set-up, as an operator would: a KV secret, the database engine, a token for the service.
        let admin = try VaultClient(
            configuration: VaultConfiguration(address: servers.vaultAddress, token: servers.rootToken)
        )
        try await admin.kv2().write("demo/api", ["key": "api-key-v1"])
        let postgres = try servers.database
        try await admin.write("sys/mounts/database", ["type": "database"])
        try await admin.write(
            "database/config/pg",
            [
                "plugin_name": "postgresql-database-plugin",
                "connection_url": .string(
                    "postgresql://{{username}}:{{password}}@127.0.0.1:\(postgres.port)/postgres?sslmode=disable"
                ),
                "username": .string(postgres.user), "password": .string(postgres.password),
                "allowed_roles": "app",
            ]
        )
        try await admin.write(
            "database/roles/app",
            [
                "db_name": "pg", "default_ttl": "2m", "max_ttl": "10m",
                "creation_statements": [
                    #"CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#
                ],
            ]
        )
        // The service's token may read its two secrets and manage its own leases, nothing more.
        try await admin.write(
            "sys/policy/demo-service",
            [
                "policy": .string(
                    """
                    path "secret/data/demo/*" { capabilities = ["read"] }
                    path "database/creds/app" { capabilities = ["read"] }
                    path "sys/leases/renew" { capabilities = ["update"] }
                    path "sys/leases/revoke" { capabilities = ["update"] }
                    """
                )
            ]
        )
        guard
            let serviceToken = try await admin.write(
                "auth/token/create",
                ["ttl": "10m", "policies": ["default", "demo-service"]]
            )?.auth?.clientToken
        else { throw DemoError("OpenBao did not create the service's token") }
        try await admin.shutdown()

        // The service, made from its configuration and its cache, as a process makes it when it starts.
        func startService() throws -> DemoService {
            try DemoService(
                vaultAddress: servers.vaultAddress,
                token: serviceToken,
                cacheDirectory: servers.cacheDirectory,
                keyFile: servers.cacheKeyFile
            )
        }
        var service = try startService()

        let counters = RequestCounters()
        var lastStatus = ""
        var lastKey = ""
        var lastUser = ""
        /// One request: the API key must be there, and the database credentials must log in to PostgreSQL.
        func serve(_ service: DemoService) async {
            do {
                let (key, credentials) = try await service.credentials()
                guard !key.isEmpty, servers.canLogIn(user: credentials.username, password: credentials.password) else {
                    counters.recordFailure()
                    return
                }
                counters.recordSuccess()
                if key != lastKey {
                    if !lastKey.isEmpty {
                        timeline.emit(
                            "the service now uses the rotated API key (\(key))",
                            status: service.status,
                            counters
                        )
                    }
                    lastKey = key
                }
                if credentials.username != lastUser {
                    timeline.emit(
                        "database credentials in use: \(credentials.username)",
                        status: service.status,
                        counters
                    )
                    lastUser = credentials.username
                }
            } catch {
                counters.recordFailure()
            }
        }

        _ = try await service.apiKey.current()
        _ = try await service.database.current()
        timeline.restart()
        timeline.emit("Vault up: serving requests", status: service.status, counters)
        enum Phase { case stopVault, restartService, startVault, rotateKey }
        let phases: [(at: Double, phase: Phase)] = [
            (6, .stopVault), (11, .restartService), (18, .startVault), (19, .rotateKey),
        ]
        var next = 0
        var lastTick = 0
        while timeline.elapsed < 28 {
            if next < phases.count, timeline.elapsed >= phases[next].at {
                switch phases[next].phase {
                case .stopVault:
                    servers.stopVault()
                    timeline.emit("Vault down: the demo stopped the server", status: service.status, counters)
                case .restartService:
                    try await service.stop()
                    timeline.emit("service stopped (restart during the outage)", status: "stopped", counters)
                    service = try startService()
                    // The first reads of the new service: Vault is down, so they come from the encrypted cache.
                    let credentials = try await service.database.current()
                    _ = try await service.apiKey.current()
                    timeline.emit(
                        "service restarted while Vault is down: it serves its token, API key and database "
                            + "credentials (\(credentials.username)) from the encrypted cache",
                        status: service.status,
                        counters
                    )
                case .startVault:
                    try await servers.startVault()
                    timeline.emit("Vault back: restarted and unsealed", status: service.status, counters)
                case .rotateKey:
                    let operatorClient = try VaultClient(
                        configuration: VaultConfiguration(address: servers.vaultAddress, token: servers.rootToken)
                    )
                    try await operatorClient.kv2().write("demo/api", ["key": "api-key-v2"])
                    try await operatorClient.shutdown()
                    timeline.emit("an operator rotated the API key in Vault", status: service.status, counters)
                }
                next += 1
            }
            await serve(service)
            let current = service.status
            if current != lastStatus {
                timeline.emit("status \(current)", status: current, counters)
                lastStatus = current
            }
            if Int(timeline.elapsed) > lastTick {
                lastTick = Int(timeline.elapsed)
                timeline.tick(status: current, counters)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let lastCredentials = try await service.database.current()
        let finalStatus = service.status
        try await service.stop()
        // Shutting down revoked the lease: the database login it held must no longer work.
        let revoked = !servers.canLogIn(user: lastCredentials.username, password: lastCredentials.password)
        timeline.emit(
            "done: \(counters.ok) requests served, \(counters.failed) failed; "
                + (revoked
                    ? "the database lease was revoked on shutdown (its login is refused now)"
                    : "the database lease was NOT revoked"),
            status: finalStatus,
            counters
        )
        if !revoked { throw DemoError("the database credentials still log in after shutdown") }
    }
}
