import Foundation
import Synchronization
import Warden
import WardenTestServers

/// The OpenBao and PostgreSQL the demo runs when no `VAULT_ADDR` is set, from the harness Warden's own tests use
/// (`WardenTestServers`): OpenBao with integrated storage (so that it can be stopped and started again, as an outage
/// does) and a throwaway PostgreSQL cluster on loopback, both removed at the end.
final class LocalServers: Sendable {
    private let vault: OpenBaoServer
    private let postgres = Mutex<PostgresCluster?>(nil)
    private let isCleanedUp = Mutex(false)

    /// Where the service keeps its encrypted persistent cache, and its key (outside the cache's directory).
    let stateDirectory: String
    var cacheDirectory: String { self.stateDirectory + "/cache" }
    var cacheKeyFile: String { self.stateDirectory + "/cache.key" }

    var vaultAddress: String { self.vault.address }
    var rootToken: Secret<String> { self.vault.rootToken }

    init() throws {
        self.vault = try OpenBaoServer(persistent: true)
        self.stateDirectory = NSTemporaryDirectory() + "warden-outage-demo-" + UUID().uuidString
        try FileManager.default.createDirectory(
            atPath: self.stateDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        // A random 256-bit key, as `openssl rand -base64 32` makes one, readable by the service alone.
        var key = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &key) }
        try AtomicFile.write(Array(Data(bytes).base64EncodedString().utf8), to: self.cacheKeyFile, permissions: 0o600)
    }

    // MARK: PostgreSQL

    func startPostgres() throws {
        // Under the lock, so that a signal's clean-up waits for a cluster being made and then removes it.
        try self.postgres.withLock { postgres in
            guard !self.isCleanedUp.withLock({ $0 }) else { throw DemoError("the demo is shutting down") }
            postgres = try PostgresCluster()
        }
    }

    /// The cluster's port, the superuser Vault's database engine connects as, and its password.
    var database: (port: Int, user: String, password: String) {
        get throws {
            guard let cluster = self.postgres.withLock({ $0 }) else { throw DemoError("PostgreSQL is not running") }
            return (cluster.port, PostgresCluster.adminUser, cluster.adminPassword)
        }
    }

    /// Whether `user` logs in with `password` over TCP now, as an application's connection does.
    func canLogIn(user: String, password: Secret<String>) -> Bool {
        self.postgres.withLock { $0 }?.canLogIn(user: user, password: password.reveal()) ?? false
    }

    // MARK: OpenBao

    func startVault() async throws {
        try await self.vault.start()
    }

    func stopVault() {
        self.vault.stop()
    }

    /// Stops both servers and removes their files; only the first call does anything.
    func cleanUp() {
        let first = self.isCleanedUp.withLock { cleanedUp in
            defer { cleanedUp = true }
            return !cleanedUp
        }
        guard first else { return }
        self.vault.shutDown()
        // An exit from a signal handler runs no deinitializer, so the files go now.
        try? FileManager.default.removeItem(atPath: self.vault.directory.path)
        try? FileManager.default.removeItem(atPath: self.stateDirectory)
        self.postgres.withLock { $0 }?.stop()
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
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
