import Foundation
import Logging
import Testing
import WardenCore
import WardenTestServers
import WardenTesting

@testable import WardenCredentials

/// The rotation engine with a persistent cache: a provider that starts while its source is down serves the entry its
/// predecessor wrote, degraded and naming the cache, never an expired one; a refused credential's entry is removed, and
/// so is a credential's revoked on shutdown. OpenBao-backed restarts are in WardenVaultTests.
@Suite struct PersistentCacheProviderTests {
    let directory: TemporaryDirectory
    let key = CredentialCacheKey.environment(
        "KEY",
        environment: ["KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()]
    )

    init() throws { self.directory = try TemporaryDirectory() }

    var cacheDirectory: String { self.directory.file("cache") }

    func cache() throws -> PersistentCredentialCache<String> {
        try PersistentCredentialCache(
            directory: self.cacheDirectory,
            key: self.key,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            encode: { Array($0.utf8) },
            decode: { String(decoding: $0, as: UTF8.self) }
        )
    }

    func makeProvider(
        _ source: ScriptedSource,
        policy: RotationPolicy = .testing
    ) throws
        -> RotatingCredentialProvider<ScriptedSource>
    {
        RotatingCredentialProvider(
            source: source,
            policy: policy,
            owner: nil,
            clock: source.clock,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            metricsFactory: nil,
            inventory: nil,
            persistentCache: try self.cache(),
            seed: 1
        )
    }

    var hasEntry: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: self.cacheDirectory)) ?? [])
            .contains { $0.hasSuffix(".wcache") }
    }

    /// Waits, on the wall clock, for the background write or removal of the entry.
    func waitForEntry(_ present: Bool) async throws {
        for _ in 0..<500 where self.hasEntry != present { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aProviderStartingWhileItsSourceIsDownServesTheCachedCredential() async throws {
        let clock = ManualClock()
        let first = try self.makeProvider(ScriptedSource(clock: clock))
        #expect(try await first.current() == "secret-1")
        try await self.waitForEntry(true)
        #expect(self.hasEntry)

        let down = ScriptedSource(clock: clock)
        down.setFailing(SourceDown())
        let restarted = try self.makeProvider(down)
        #expect(try await restarted.current() == "secret-1")
        #expect(down.fetches == 1, "the source was asked first")
        guard case .degraded(let failure) = restarted.status else {
            Issue.record("expected degraded, got \(restarted.status)")
            return
        }
        #expect(failure.lastError.contains(self.cacheDirectory), "\(failure.lastError)")

        // Each later failure still says the credential served is the cached one.
        clock.advance(by: .seconds(60))
        restarted.refreshNow()
        await eventually({ down.fetches == 2 && !restarted.isAttemptInFlight }, "the second attempt")
        guard case .degraded(let later) = restarted.status else {
            Issue.record("expected degraded, got \(restarted.status)")
            return
        }
        #expect(later.attempts == 2)
        #expect(later.lastError.contains(self.cacheDirectory), "\(later.lastError)")
        withExtendedLifetime(first) {}
    }

    @Test func anExpiredEntryIsNeverServed() async throws {
        let clock = ManualClock()
        let first = try self.makeProvider(ScriptedSource(clock: clock))
        _ = try await first.current()
        try await self.waitForEntry(true)
        // Past the credential's expiry (1000 s): the entry is not served, and is removed.
        clock.advance(by: .seconds(1001))
        let down = ScriptedSource(clock: clock)
        down.setFailing(SourceDown())
        let restarted = try self.makeProvider(down)
        await #expect(throws: CredentialsError.self) { _ = try await restarted.current() }
        #expect(!self.hasEntry)
        withExtendedLifetime(first) {}
    }

    @Test func aRefusedCredentialsEntryIsRemoved() async throws {
        let clock = ManualClock()
        let provider = try self.makeProvider(ScriptedSource(clock: clock))
        _ = try await provider.current()
        try await self.waitForEntry(true)
        #expect(provider.invalidate { $0.value == "secret-1" })
        try await self.waitForEntry(false)
        #expect(!self.hasEntry)
    }

    /// Failing safe: a credential revoked on shutdown is never read back, whether the source says it issues leases or
    /// not (a source of one's own may revoke without saying so).
    @Test(arguments: [true, false])
    func aRevocationOnShutdownRemovesTheEntry(_ issuesLeases: Bool) async throws {
        let clock = ManualClock()
        var script = ScriptedSource.Script()
        script.issuesLeases = issuesLeases
        let source = ScriptedSource(clock: clock, script: script)
        var policy = RotationPolicy.testing
        policy.revokeOnShutdown = true
        let provider = try self.makeProvider(source, policy: policy)
        let runner = Tracked { try await provider.run() }
        _ = try await provider.current()
        try await self.waitForEntry(true)
        runner.task.cancel()
        guard await runner.result("run() to return") != nil else { return }
        #expect(source.revocations == 1)
        try await self.waitForEntry(false)
        #expect(!self.hasEntry)
    }
}
