import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WardenCore
import WardenCredentials
import WardenVault

/// A service process for the persistent cache's restart test (`PersistentCacheProcessRestartTests`): what a user's
/// service is, reduced to its credentials. It logs in to Vault with AppRole, gets dynamic PostgreSQL credentials, both
/// through rotation providers with an encrypted persistent cache, and serves a request every 200 ms: a login to
/// PostgreSQL with the credentials it holds, through `psql`. After each request it writes a report (JSON, atomically)
/// for the test to read; SIGTERM shuts it down as a service is shut down (leases revoked when Vault answers).
///
///     CachedCredentialsService --vault ADDR --role-id ID --secret-id-file FILE --cache DIR --key-file FILE
///                              --postgres-port PORT --report FILE
@main
struct CachedCredentialsService {
    static func main() async throws {
        let options = try Options(CommandLine.arguments.dropFirst())
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "cached-credentials-service")
        let client = try VaultClient(
            configuration: VaultConfiguration(address: options.vault, timeout: .seconds(2), maximumRetries: 0),
            logger: logger
        )
        let policy = RotationPolicy(
            backoff: BackoffPolicy(initialDelay: .milliseconds(200), maximumDelay: .seconds(1)),
            fetchTimeout: .seconds(3)
        )
        let key = CredentialCacheKey.file(options.keyFile)
        let secretID = try String(contentsOfFile: options.secretIDFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let tokens = RotatingCredentialProvider(
            source: VaultTokenSource(
                client: client,
                method: VaultAppRoleAuth(roleID: options.roleID, secretID: .plain(Secret(secretID)))
            ),
            policy: policy,
            logger: logger,
            persistentCache: try PersistentCredentialCache(directory: options.cache, key: key, logger: logger)
        )
        client.setTokenProvider(tokens)
        let database = RotatingCredentialProvider(
            source: VaultDatabaseCredentialSource(client: client, role: "app"),
            policy: policy,
            logger: logger,
            persistentCache: try PersistentCredentialCache(directory: options.cache, key: key, logger: logger)
        )
        let requests = RequestLoop(tokens: tokens, database: database, options: options)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: tokens), .init(service: database),
                    .init(service: requests, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm],
                logger: logger
            )
        )
        try await group.run()
        try await client.shutdown()
        try requests.report.write(to: options.report, finished: true)
    }
}

struct Options: Sendable {
    var vault = ""
    var roleID = ""
    var secretIDFile = ""
    var cache = ""
    var keyFile = ""
    var postgresPort = 0
    var report = ""

    init(_ arguments: ArraySlice<String>) throws {
        var values: [String: String] = [:]
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard name.hasPrefix("--"), let value = iterator.next() else { throw UsageError(name) }
            values[String(name.dropFirst(2))] = value
        }
        func value(_ name: String) throws -> String {
            guard let value = values[name] else { throw UsageError("--\(name) is required") }
            return value
        }
        self.vault = try value("vault")
        self.roleID = try value("role-id")
        self.secretIDFile = try value("secret-id-file")
        self.cache = try value("cache")
        self.keyFile = try value("key-file")
        self.postgresPort = try Int(value("postgres-port")) ?? 0
        self.report = try value("report")
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "usage: \(description)" }
}

/// What the test reads: requests served and failed, the providers' statuses, the database user in use (never its
/// password).
struct Report: Codable, Sendable {
    var ok = 0
    var failed = 0
    var tokenStatus = ""
    var databaseStatus = ""
    var databaseDetail = ""
    var user = ""
    var finished = false

    func write(to path: String, finished: Bool = false) throws {
        var report = self
        report.finished = finished
        try AtomicFile.write(Array(try JSONEncoder().encode(report)), to: path, permissions: 0o600)
    }
}

/// A request every 200 ms until the service shuts down.
final class RequestLoop: Service, Sendable {
    let tokens: RotatingCredentialProvider<VaultTokenSource>
    let database: RotatingCredentialProvider<VaultDatabaseCredentialSource>
    let options: Options
    private let state = Mutex(Report())

    init(
        tokens: RotatingCredentialProvider<VaultTokenSource>,
        database: RotatingCredentialProvider<VaultDatabaseCredentialSource>,
        options: Options
    ) {
        self.tokens = tokens
        self.database = database
        self.options = options
    }

    var report: Report { self.state.withLock { $0 } }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var served = false
            var user = ""
            if let credentials = try? await self.database.current() {
                user = credentials.username
                served = await Self.logIn(
                    port: self.options.postgresPort,
                    user: credentials.username,
                    password: credentials.password
                )
            }
            let report = self.state.withLock { report in
                if served { report.ok += 1 } else { report.failed += 1 }
                report.user = user
                report.tokenStatus = self.tokens.status.name
                report.databaseStatus = self.database.status.name
                report.databaseDetail = "\(self.database.status)"
                return report
            }
            try report.write(to: self.options.report)
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Whether `psql` logs in as `user` and the server says it is `user`; off the cooperative pool, as it blocks.
    static func logIn(port: Int, user: String, password: Secret<String>) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
                process.arguments = [
                    "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-tAc", "SELECT current_user",
                ]
                var environment = ProcessInfo.processInfo.environment
                environment["PGPASSWORD"] = password.reveal()
                environment["PGCONNECT_TIMEOUT"] = "5"
                process.environment = environment
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    let answer = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    continuation.resume(returning: process.terminationStatus == 0 && answer == user)
                } catch {
                    continuation.resume(returning: false)
                }
            }
        }
    }
}
