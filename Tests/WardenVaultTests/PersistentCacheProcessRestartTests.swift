import Foundation
import Testing
import WardenCore
import WardenTestServers

@testable import WardenVault

/// The restart the persistent cache is for, with real processes: a service process (`CachedCredentialsService`, an
/// AppRole token and dynamic PostgreSQL credentials through providers with the encrypted cache) gets its credentials;
/// OpenBao is stopped; the process is stopped and started again. It comes up, logs in to PostgreSQL with the cached
/// credentials, reports degraded, recovers when OpenBao returns, and revokes its lease when stopped. A cache edited by
/// one byte, or read with another key, serves nothing.
@Suite(
    .enabled(
        if: OpenBaoServer.shouldRun && PostgresCluster.shouldRun,
        "OpenBao or PostgreSQL is missing (Scripts/test.sh installs them)"
    ),
    .serialized
)
struct PersistentCacheProcessRestartTests {
    /// What the service process writes after each request.
    struct Report: Codable {
        var ok: Int
        var failed: Int
        var tokenStatus: String
        var databaseStatus: String
        var databaseDetail: String
        var user: String
        var finished: Bool
    }

    /// One run of the service process, its report and its log in files.
    final class ServiceProcess: Sendable {
        let process: Process
        let reportPath: String
        let logPath: String

        init(_ arguments: [String], in directory: TemporaryDirectory, run: Int) throws {
            // Tests run from the build products directory, where SwiftPM also puts the fixture's executable.
            let executable = Bundle.main.bundleURL.appendingPathComponent("CachedCredentialsService").path
            self.reportPath = directory.file("report-\(run).json")
            self.logPath = directory.file("service-\(run).log")
            _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments + ["--report", self.reportPath]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: self.logPath))
            try process.run()
            self.process = process
        }

        /// A test that fails midway must not leave the process serving: it stops only on a signal.
        deinit {
            if self.process.isRunning { self.process.terminate() }
        }

        var report: Report? {
            FileManager.default.contents(atPath: self.reportPath).flatMap {
                try? JSONDecoder().decode(Report.self, from: $0)
            }
        }

        var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

        /// Waits (30 s at most) for a report that satisfies `condition`.
        func waitFor(_ what: String, _ condition: (Report) -> Bool) async throws -> Report {
            for _ in 0..<300 {
                if let report = self.report, condition(report) { return report }
                guard self.process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw TestServerError(
                "the service process did not report \(what); last report: \(String(describing: self.report)); log:\n\(self.log)"
            )
        }

        /// SIGTERM, and the exit status once it has exited.
        func stop() async -> Int32 {
            self.process.terminate()
            return await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    self.process.waitUntilExit()
                    continuation.resume(returning: self.process.terminationStatus)
                }
            }
        }
    }

    @Test func aServiceRestartedDuringAnOutageLogsInWithItsCachedCredentialsThenRecovers() async throws {
        let directory = try TemporaryDirectory()
        let postgres = try PostgresCluster()
        let server = try OpenBaoServer(persistent: true)
        try await server.start()
        defer { server.shutDown() }
        let admin = try server.client()
        defer { Task { try? await admin.shutdown() } }
        try await VaultDatabaseAndOutageTests.configureDatabase(admin, postgres, ttl: "10m", maxTTL: "1h")
        try await admin.write(
            "sys/policy/app",
            [
                "policy": """
                path "database/creds/app" { capabilities = ["read"] }
                path "sys/leases/renew" { capabilities = ["update"] }
                path "sys/leases/revoke" { capabilities = ["update"] }
                """
            ]
        )
        let (roleID, secretID) = try await admin.createAppRole(
            "app",
            ["token_ttl": "10m", "token_policies": ["default", "app"]]
        )
        let secretIDFile = try directory.write("secret-id", secretID)
        let keyFile = try directory.write(
            "cache.key",
            Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        )
        for file in [secretIDFile, keyFile] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        let cache = directory.file("cache")
        func arguments(key: String = keyFile) -> [String] {
            [
                "--vault", server.address, "--role-id", roleID, "--secret-id-file", secretIDFile, "--cache", cache,
                "--key-file", key, "--postgres-port", "\(postgres.port)",
            ]
        }

        // The first process: Vault is up; it logs in to PostgreSQL with credentials Vault made for it.
        let first = try ServiceProcess(arguments(), in: directory, run: 1)
        let up = try await first.waitFor("three logins") { $0.ok >= 3 && $0.databaseStatus == "fresh" }
        #expect(up.failed == 0)

        // Vault goes down, and the process is stopped during the outage (its revocations fail; the cache stays).
        server.stop()
        #expect(await first.stop() == 0, "\(first.log)")
        #expect(first.report?.finished == true)
        #expect(first.report?.failed == 0)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".wcache") }
        #expect(entries.count == 2, "the token's and the database credentials' entries: \(entries)")
        let snapshot = try entries.map { ($0, try #require(FileManager.default.contents(atPath: "\(cache)/\($0)"))) }

        // Started again while Vault is still down: it comes up and logs in with the cached credentials, degraded.
        let second = try ServiceProcess(arguments(), in: directory, run: 2)
        let restarted = try await second.waitFor("three logins from the cache") { $0.ok >= 3 }
        #expect(restarted.failed == 0)
        #expect(restarted.user == up.user, "the same database user as before the restart; log:\n\(second.log)")
        #expect(restarted.databaseStatus == "degraded")
        #expect(restarted.tokenStatus == "degraded")
        #expect(restarted.databaseDetail.contains(cache), "\(restarted.databaseDetail)")

        // Vault returns: the cached token and lease are renewed, the statuses turn fresh, the logins go on.
        try await server.start()
        let recovered = try await second.waitFor("fresh statuses") {
            $0.databaseStatus == "fresh" && $0.tokenStatus == "fresh"
        }
        let later = try await second.waitFor("more logins") { $0.ok >= recovered.ok + 3 }
        #expect(later.failed == 0)
        #expect(later.user == up.user, "the cached lease was renewed, not replaced; log:\n\(second.log)")

        // Stopped with Vault up: the lease is revoked, so PostgreSQL no longer has the role.
        #expect(await second.stop() == 0, "\(second.log)")
        let roles = try postgres.query(
            user: PostgresCluster.adminUser,
            password: postgres.adminPassword,
            "SELECT count(*) FROM pg_roles WHERE rolname = '\(up.user)'"
        )
        #expect(roles.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(roles.stdout) \(roles.stderr)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".wcache") }.isEmpty,
            "revoking removed the entries"
        )

        // Vault down again, and the cache of the first stop put back with one byte edited: nothing is served.
        server.stop()
        for (name, bytes) in snapshot {
            var edited = bytes
            edited[edited.count / 2] ^= 0x01
            try edited.write(to: URL(fileURLWithPath: "\(cache)/\(name)"))
        }
        let third = try ServiceProcess(arguments(), in: directory, run: 3)
        let tampered = try await third.waitFor("failed requests") { $0.failed >= 3 }
        #expect(tampered.ok == 0)
        #expect(third.log.contains("persistent cache entry refused"), "\(third.log)")
        _ = await third.stop()

        // The intact entries, read with another key: nothing is served either.
        for (name, bytes) in snapshot { try bytes.write(to: URL(fileURLWithPath: "\(cache)/\(name)")) }
        let otherKey = try directory.write(
            "other.key",
            Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: otherKey)
        let fourth = try ServiceProcess(arguments(key: otherKey), in: directory, run: 4)
        let wrongKey = try await fourth.waitFor("failed requests") { $0.failed >= 3 }
        #expect(wrongKey.ok == 0)
        #expect(fourth.log.contains("persistent cache entry refused"), "\(fourth.log)")
        _ = await fourth.stop()

        // No run logged its secret ID (the reports name the database user only, never a password or token).
        for run in [first, second, third, fourth] {
            #expect(!run.log.contains(secretID))
        }
    }
}
