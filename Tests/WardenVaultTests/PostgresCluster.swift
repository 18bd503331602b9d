import Foundation
import WardenTestSupport

/// A throwaway PostgreSQL cluster on a free loopback port, in a temporary directory, for the database engine tests.
///
/// PostgreSQL refuses to run as root, so as root the cluster is made and run as the `postgres` user. TCP connections
/// need a password (scram-sha-256), so a login with wrong or revoked credentials fails for real; the harness itself
/// connects over the cluster's Unix socket.
final class PostgresCluster: @unchecked Sendable {
    let port: Int
    let directory: String
    static let adminUser = "vault_admin"
    static let adminPassword = "admin-\(UUID().uuidString)"
    private let runAs: [String]
    private let bin: String

    static var binDirectory: String? {
        let candidates =
            (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted(by: >).map {
                "/usr/lib/postgresql/\($0)/bin"
            } ?? []
        return candidates.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    static var shouldRun: Bool {
        ExternalTool.isCI || (Self.binDirectory != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"))
    }

    init() throws {
        guard let bin = Self.binDirectory else { throw MissingPostgres() }
        self.bin = bin
        self.port = try OpenBaoServer.freePort()
        self.directory = "/tmp/warden-pg-\(UUID().uuidString)"
        self.runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            _ = try Subprocess.run("/bin/chown", ["postgres:postgres", self.directory])
        }
        try self.run([
            "\(bin)/initdb", "-D", "\(self.directory)/data", "--auth-local=trust", "--auth-host=scram-sha-256", "-U",
            "postgres",
        ])
        // The server pg_ctl starts inherits pg_ctl's descriptors: its output must go to a file, and the descriptors
        // Foundation's Process watches to see its child exit must be closed, or the harness waits for the server.
        try self.run([
            "/bin/bash", "-c",
            "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec '\(bin)/pg_ctl' -D '\(self.directory)/data' -l '\(self.directory)/log' -w -o '-p \(self.port) -k \(self.directory) -c listen_addresses=127.0.0.1' start >> '\(self.directory)/pg_ctl.log' 2>&1 < /dev/null",
        ])
        try self.sql("CREATE ROLE \(Self.adminUser) WITH LOGIN SUPERUSER PASSWORD '\(Self.adminPassword)'")
    }

    deinit {
        _ = try? self.run(["\(self.bin)/pg_ctl", "-D", "\(self.directory)/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Runs SQL as the superuser over the Unix socket.
    @discardableResult
    func sql(_ statement: String) throws -> String {
        try self.run([
            "/usr/bin/psql", "-h", self.directory, "-p", "\(self.port)", "-U", "postgres", "-d", "postgres", "-tAc",
            statement,
        ])
    }

    /// Logs in over TCP with a user and password, as an application does, and runs `statement`.
    func query(user: String, password: String, _ statement: String) throws -> Subprocess.Result {
        try Subprocess.run(
            "/usr/bin/env",
            [
                "PGPASSWORD=\(password)", "PGCONNECT_TIMEOUT=5", "/usr/bin/psql", "-h", "127.0.0.1", "-p",
                "\(self.port)", "-U", user, "-d", "postgres", "-tAc", statement,
            ]
        )
    }

    @discardableResult
    private func run(_ command: [String]) throws -> String {
        let full = self.runAs + command
        let result = try Subprocess.run(full[0], Array(full.dropFirst()))
        guard result.status == 0 else {
            throw PostgresFailure(
                description: "\(command.joined(separator: " ")) failed (\(result.status)): \(result.stderr)"
            )
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct PostgresFailure: Error, CustomStringConvertible {
    let description: String
}

struct MissingPostgres: Error, CustomStringConvertible {
    var description: String {
        "PostgreSQL (Debian postgresql) is required by this test but was not found; run Scripts/test.sh, which installs it"
    }
}
