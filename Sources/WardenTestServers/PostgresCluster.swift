import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throwaway PostgreSQL cluster on a free loopback port, in a directory of its own, removed by ``stop()``.
///
/// PostgreSQL refuses to run as root, so as root the cluster is made and run as the `postgres` user. TCP connections
/// need a password (scram-sha-256), so a login with wrong or revoked credentials fails for real; ``sql(_:)`` itself
/// connects over the cluster's Unix socket. The superuser ``adminUser`` logs in over TCP with ``adminPassword``, as
/// Vault's database engine does.
public final class PostgresCluster: Sendable {
    public let port: Int
    public let directory: String
    public static let adminUser = "vault_admin"
    public let adminPassword = "admin-\(UUID().uuidString)"
    private let runAs: [String]
    private let bin: String
    private let isStopped = Mutex(false)

    /// Whether PostgreSQL is installed (see ``InstalledTool/postgresBinDirectory``).
    public static var isInstalled: Bool { InstalledTool.postgresBinDirectory != nil }

    /// Makes the cluster and starts it; with a certificate and key (PEM files), it also speaks TLS (`ssl=on`).
    public init(tlsCertificate: String? = nil, tlsKey: String? = nil) throws {
        guard let bin = InstalledTool.postgresBinDirectory else {
            throw TestServerError(
                "PostgreSQL (Debian's postgresql and postgresql-client) is required but was not found; run "
                    + "Scripts/install-test-peers.sh, which installs it"
            )
        }
        self.bin = bin
        self.port = try LoopbackPort.free()
        self.directory = "/tmp/warden-pg-\(UUID().uuidString)"
        self.runAs = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        if getuid() == 0 { try Subprocess.check(["/bin/chown", "postgres:postgres", self.directory]) }
        try self.run([
            "\(bin)/initdb", "-D", "\(self.directory)/data", "--auth-local=trust", "--auth-host=scram-sha-256", "-U",
            "postgres",
        ])
        // The server pg_ctl starts inherits pg_ctl's descriptors: its output must go to a file, and the descriptors
        // Foundation's Process watches to see its child exit must be closed, or the caller waits for the server.
        var options = "-p \(self.port) -k \(self.directory) -c listen_addresses=127.0.0.1"
        if let tlsCertificate, let tlsKey {
            // The server refuses a key others can read, and reads both as its own user.
            for (source, name) in [(tlsCertificate, "server.crt"), (tlsKey, "server.key")] {
                let target = "\(self.directory)/\(name)"
                try FileManager.default.copyItem(atPath: source, toPath: target)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
                if getuid() == 0 { try Subprocess.check(["/bin/chown", "postgres:postgres", target]) }
            }
            options +=
                " -c ssl=on -c ssl_cert_file=\(self.directory)/server.crt -c ssl_key_file=\(self.directory)/server.key"
        }
        try self.run([
            "/bin/bash", "-c",
            "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec '\(bin)/pg_ctl' -D '\(self.directory)/data' -l '\(self.directory)/log' -w -o '\(options)' start >> '\(self.directory)/pg_ctl.log' 2>&1 < /dev/null",
        ])
        try self.sql("CREATE ROLE \(Self.adminUser) WITH LOGIN SUPERUSER PASSWORD '\(self.adminPassword)'")
    }

    deinit {
        self.stop()
    }

    /// Stops the server and removes its directory. Idempotent.
    public func stop() {
        let wasStopped = self.isStopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        _ = try? self.run(["\(self.bin)/pg_ctl", "-D", "\(self.directory)/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Runs SQL as the superuser over the Unix socket.
    @discardableResult
    public func sql(_ statement: String) throws -> String {
        try self.run([
            "/usr/bin/psql", "-h", self.directory, "-p", "\(self.port)", "-U", "postgres", "-d", "postgres", "-tAc",
            statement,
        ])
    }

    /// Logs in over TCP with a user and password, as an application does, and runs `statement`.
    public func query(user: String, password: String, _ statement: String) throws -> Subprocess.Result {
        try Subprocess.run(
            "/usr/bin/env",
            [
                "PGPASSWORD=\(password)", "PGCONNECT_TIMEOUT=5", "/usr/bin/psql", "-h", "127.0.0.1", "-p",
                "\(self.port)", "-U", user, "-d", "postgres", "-tAc", statement,
            ]
        )
    }

    /// Whether `user` logs in over TCP with `password` now.
    public func canLogIn(user: String, password: String) -> Bool {
        guard let result = try? self.query(user: user, password: password, "SELECT current_user") else { return false }
        return result.status == 0 && result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == user
    }

    @discardableResult
    private func run(_ command: [String]) throws -> String {
        try Subprocess.check(self.runAs + command)
    }
}
