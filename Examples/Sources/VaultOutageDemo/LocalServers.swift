import Foundation
import Glibc
import Synchronization
import Warden

/// The OpenBao and PostgreSQL the demo runs when no `VAULT_ADDR` is set: OpenBao with integrated storage in a
/// temporary directory (so that it can be stopped and started again, as an outage does) and a throwaway PostgreSQL
/// cluster on loopback, both removed at the end.
// @unchecked: `bao` and `isCleanedUp` are guarded by `lock` (a recursive lock, since cleaning up may start from a
// signal handler while a start or stop holds it), the keys by a Mutex; nothing else is mutable.
final class LocalServers: @unchecked Sendable {
    let directory = "/tmp/warden-outage-demo-\(UUID().uuidString)"
    let vaultPort: Int
    let clusterPort: Int
    let postgresPort: Int
    private let keys = Mutex<(unseal: String, root: Secret<String>)>(("", Secret("")))
    var rootToken: Secret<String> { self.keys.withLock { $0.root } }
    private var bao: Process?
    private var isCleanedUp = false
    // Cleaning up may start from a signal handler's queue while the timeline stops or starts the server.
    private let lock = NSRecursiveLock()
    private let pgBin: String
    private let asPostgres: [String] = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
    static let databaseAdmin = "demo_admin"
    let databasePassword = "admin-\(UUID().uuidString)"

    var vaultAddress: String { "http://127.0.0.1:\(self.vaultPort)" }

    init() throws {
        self.vaultPort = try Self.freePort()
        self.clusterPort = try Self.freePort()
        self.postgresPort = try Self.freePort()
        guard
            let bin = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted(by: >)
                .map({ "/usr/lib/postgresql/\($0)/bin" }).first(where: {
                    FileManager.default.isExecutableFile(atPath: "\($0)/initdb")
                })
        else {
            throw DemoError("PostgreSQL is not installed; run Scripts/outage-demo.sh, which installs it")
        }
        self.pgBin = bin
        try FileManager.default.createDirectory(atPath: "\(self.directory)/bao", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(self.directory)/pg", withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run(["/bin/chown", "postgres:postgres", "\(self.directory)/pg"]) }
    }

    static var baoBinary: String? {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".venv/bin/bao").path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return
            ([ProcessInfo.processInfo.environment["WARDEN_BAO"] ?? "", here]
            + path.split(separator: ":").map { "\($0)/bao" })
            .first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }

    // MARK: PostgreSQL

    func startPostgres() throws {
        let data = "\(self.directory)/pg/data"
        try Self.run(
            self.asPostgres + [
                "\(self.pgBin)/initdb", "-D", data, "--auth-local=trust", "--auth-host=scram-sha-256", "-U", "postgres",
            ]
        )
        // The server inherits pg_ctl's descriptors; close them so that nothing here waits for the server to exit.
        try Self.run(
            self.asPostgres + [
                "/bin/bash", "-c",
                "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec '\(self.pgBin)/pg_ctl' -D '\(data)' -l '\(self.directory)/pg/log' -w -o '-p \(self.postgresPort) -k \(self.directory)/pg -c listen_addresses=127.0.0.1' start >> '\(self.directory)/pg/pg_ctl.log' 2>&1 < /dev/null",
            ]
        )
        try Self.run(
            self.asPostgres + [
                "/usr/bin/psql", "-h", "\(self.directory)/pg", "-p", "\(self.postgresPort)", "-U", "postgres", "-d",
                "postgres", "-tAc",
                "CREATE ROLE \(Self.databaseAdmin) WITH LOGIN SUPERUSER PASSWORD '\(self.databasePassword)'",
            ]
        )
    }

    /// Runs `SELECT current_user` as `user` over TCP with its password, as an application's connection does.
    func query(user: String, password: Secret<String>) -> Bool {
        (try? Self.run([
            "/usr/bin/env", "PGPASSWORD=\(password.reveal())", "PGCONNECT_TIMEOUT=3", "/usr/bin/psql", "-h",
            "127.0.0.1",
            "-p", "\(self.postgresPort)", "-U", user, "-d", "postgres", "-tAc", "SELECT current_user",
        ])) == user
    }

    // MARK: OpenBao

    func startVault() async throws {
        guard let binary = Self.baoBinary else {
            throw DemoError("OpenBao (bao) is not installed; run Scripts/outage-demo.sh, which installs it into .venv")
        }
        let config = """
            storage "raft" {
              path = "\(self.directory)/bao"
              node_id = "demo"
              # The fastest election timing: the default waits seconds for a one-node cluster to elect itself.
              performance_multiplier = 1
            }
            listener "tcp" {
              address = "127.0.0.1:\(self.vaultPort)"
              cluster_address = "127.0.0.1:\(self.clusterPort)"
              tls_disable = true
            }
            api_addr = "http://127.0.0.1:\(self.vaultPort)"
            cluster_addr = "http://127.0.0.1:\(self.clusterPort)"
            """
        try config.write(toFile: "\(self.directory)/bao.hcl", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["server", "-config=\(self.directory)/bao.hcl"]
        _ = FileManager.default.createFile(atPath: "\(self.directory)/bao.log", contents: nil)
        let log = FileHandle(forWritingAtPath: "\(self.directory)/bao.log")
        process.standardOutput = log
        process.standardError = log
        try self.lock.withLock {
            guard !self.isCleanedUp else { throw DemoError("the demo is shutting down") }
            try process.run()
            self.bao = process
        }
        let client = try VaultClient(
            configuration: VaultConfiguration(address: self.vaultAddress, timeout: .seconds(30), maximumRetries: 0)
        )
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<200 {
            if (try? await client.health()) != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let firstStart = self.keys.withLock { $0.unseal.isEmpty }
        if firstStart {
            let document = try await client.requestDocument(
                .PUT,
                "sys/init",
                body: ["secret_shares": 1, "secret_threshold": 1],
                authenticated: false
            )
            guard let key = document?["keys"]?.arrayValue?.first?.stringValue,
                let root = document?["root_token"]?.stringValue
            else {
                throw DemoError("OpenBao did not initialize; see \(self.directory)/bao.log")
            }
            self.keys.withLock { $0 = (key, Secret(root)) }
        }
        _ = try await client.request(
            .PUT,
            "sys/unseal",
            body: ["key": .string(self.keys.withLock { $0.unseal })],
            authenticated: false
        )
        for _ in 0..<200 {
            if let health = try? await client.health(), health.isActive { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if firstStart {
            client.setToken(self.rootToken)
            try await client.write("sys/mounts/secret", ["type": "kv", "options": ["version": "2"]])
        }
    }

    func stopVault() {
        self.lock.withLock {
            self.bao?.terminate()
            self.bao?.waitUntilExit()
            self.bao = nil
        }
    }

    /// Stops both servers and removes their directory; only the first call does anything.
    func cleanUp() {
        self.lock.withLock {
            guard !self.isCleanedUp else { return }
            self.isCleanedUp = true
            self.stopVault()
            _ = try? Self.run(
                self.asPostgres + [
                    "\(self.pgBin)/pg_ctl", "-D", "\(self.directory)/pg/data", "-m", "immediate", "stop",
                ]
            )
            try? FileManager.default.removeItem(atPath: self.directory)
        }
    }

    /// Cleans up and exits when the demo is interrupted (Ctrl-C, a closed terminal, `kill`), so that no server is left
    /// running. Keep the returned sources alive for as long as the demo runs.
    func cleanUpOnSignals() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                self.cleanUp()
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    // MARK: helpers

    @discardableResult
    static func run(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw DemoError("\(command.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard
            withUnsafePointer(
                to: &address,
                { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            ) == 0
        else {
            throw DemoError("cannot bind a loopback port")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
