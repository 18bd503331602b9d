import Foundation
import Synchronization
import Testing
import WardenCore
import WardenCredentials
import WardenTesting

/// A source whose outages, timings and counts the test scripts exactly.
///
/// This is the one stand-in in these tests, and it stands in for faults a real server cannot produce on cue: failing
/// at a chosen instant, for a chosen number of attempts, or holding a request open until the test lets it go, all on
/// a manual clock. WardenVault's integration tests run the same engine against a real OpenBao server.
final class ScriptedSource: CredentialSource, Sendable {
    struct Script: Sendable {
        var failing: (any Error)?
        var lifetime: Duration? = .seconds(1000)
        var renewable = false
        var renewIncrement: Duration = .seconds(100)
        var maximumLifetime: Duration = .seconds(250)
        var allowsStale = true
        var holdFetches = false
        var holdRenewals = false
        var holdRevocations = false
        var renewFails = false
        /// Says that its outages (``SourceDown``) are only unavailability, as Vault's sources do.
        var outagesAreUnavailability = false
        /// How long before the fetch the credential says it was issued.
        var issuedAgo: Duration = .zero
        /// Returns the same credential every time (a source stuck on a cached value), expiring at this instant.
        var stuckUntil: Date?
        var issuesLeases = false
    }

    struct Counts: Sendable {
        var fetches = 0
        var renewals = 0
        var revocations = 0
        var fetchTimes: [Date] = []
        var revoked: [String] = []
    }

    let name: String
    let clock: ManualClock
    let script: Mutex<Script>
    let counts = Mutex(Counts())
    private let held = Mutex<[CheckedContinuation<Void, Never>]>([])

    init(name: String = "scripted", clock: ManualClock, script: Script = Script()) {
        self.name = name
        self.clock = clock
        self.script = Mutex(script)
    }

    var allowsStaleValues: Bool { self.script.withLock { $0.allowsStale } }
    var issuesLeases: Bool { self.script.withLock { $0.issuesLeases } }
    var fetches: Int { self.counts.withLock { $0.fetches } }
    var renewals: Int { self.counts.withLock { $0.renewals } }
    var revocations: Int { self.counts.withLock { $0.revocations } }
    var waitingFetches: Int { self.held.withLock { $0.count } }

    func setFailing(_ error: (any Error)?) { self.script.withLock { $0.failing = error } }

    func isUnavailability(_ error: any Error) -> Bool {
        self.script.withLock { $0.outagesAreUnavailability } && error is SourceDown
    }

    /// Lets every held fetch, renewal and revocation go on.
    func releaseFetches() {
        self.script.withLock {
            $0.holdFetches = false
            $0.holdRenewals = false
            $0.holdRevocations = false
        }
        let waiting = self.held.withLock { held in
            defer { held = [] }
            return held
        }
        for continuation in waiting { continuation.resume() }
    }

    func fetch() async throws -> Credential<String> {
        let (number, now) = self.counts.withLock { counts in
            counts.fetches += 1
            counts.fetchTimes.append(self.clock.now)
            return (counts.fetches, self.clock.now)
        }
        if self.script.withLock({ $0.holdFetches }) { await self.hold() }
        let script = self.script.withLock { $0 }
        if let failing = script.failing { throw failing }
        if let stuckUntil = script.stuckUntil {
            return Credential(
                value: "stuck",
                issuedAt: stuckUntil.addingTimeInterval(-1000),
                expiresAt: stuckUntil,
                metadata: CredentialMetadata(sourceName: self.name, kind: "test", identifier: "stuck")
            )
        }
        let issued = now.addingTimeInterval(-script.issuedAgo.timeInterval)
        return Credential(
            value: "secret-\(number)",
            issuedAt: issued,
            expiresAt: script.lifetime.map { issued.addingTimeInterval($0.timeInterval) },
            isRenewable: script.renewable,
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "test",
                leaseID: "lease-\(number)",
                identifier: "\(number)"
            )
        )
    }

    func renew(_ credential: Credential<String>) async throws -> Credential<String> {
        self.counts.withLock { $0.renewals += 1 }
        if self.script.withLock({ $0.holdRenewals }) { await self.hold() }
        let script = self.script.withLock { $0 }
        if let failing = script.failing { throw failing }
        if script.renewFails { throw SourceDown() }
        let now = self.clock.now
        let ceiling = credential.issuedAt.addingTimeInterval(script.maximumLifetime.timeInterval)
        var renewed = credential
        renewed.expiresAt = min(ceiling, now.addingTimeInterval(script.renewIncrement.timeInterval))
        return renewed
    }

    /// Waits until the test releases it, ignoring cancellation, as a source stuck in a system call would.
    private func hold() async {
        await withCheckedContinuation { continuation in
            self.held.withLock { $0.append(continuation) }
        }
    }

    func revoke(_ credential: Credential<String>) async throws {
        if self.script.withLock({ $0.holdRevocations }) { await self.hold() }
        self.counts.withLock {
            $0.revocations += 1
            $0.revoked.append(credential.metadata.leaseID ?? "")
        }
    }
}

struct SourceDown: Error, CustomStringConvertible {
    var description: String { "connection refused (test outage)" }
}

/// Waits until the engine has settled: no attempt on the source under way (so no fetch timer is asleep on the clock)
/// and `sleepers` tasks asleep on the clock (by default the background loop alone).
func settle<S>(_ clock: ManualClock, _ provider: RotatingCredentialProvider<S>, sleepers: Int = 1) async {
    await eventually({ !provider.isAttemptInFlight && clock.sleeperCount == sleepers }, "the engine to settle")

}

/// Advances the clock to the loop's next wake-up and waits until the engine has settled again.
@discardableResult
func step<S>(_ clock: ManualClock, _ provider: RotatingCredentialProvider<S>) async -> Date {
    await settle(clock, provider)
    let deadline = clock.nextDeadline!
    clock.advance(to: deadline)
    await settle(clock, provider)
    return deadline
}

/// A task whose end a test can wait for without awaiting it: for the promises whose breach would be a hang, so that
/// the test fails (and says what did not end) instead of hanging.
struct Tracked<Success: Sendable>: Sendable {
    private final class Flag: Sendable {
        let ended = Atomic<Bool>(false)
    }

    let task: Task<Success, any Error>
    private let flag = Flag()

    init(_ body: @escaping @Sendable () async throws -> Success) {
        let flag = self.flag
        self.task = Task {
            defer { flag.ended.store(true, ordering: .releasing) }
            return try await body()
        }
    }

    var hasEnded: Bool { self.flag.ended.load(ordering: .acquiring) }

    /// The task's result once it has ended, or `nil` (with an issue recorded) if it does not end while the test yields.
    func result(_ what: String) async -> Result<Success, any Error>? {
        await eventually({ self.hasEnded }, what)
        guard self.hasEnded else { return nil }
        return await self.task.result
    }
}

/// Yields until `condition` holds: for waiting on work the provider does in its own tasks, with no real sleep.
func eventually(_ condition: () -> Bool, _ message: String = "condition") async {
    for _ in 0..<100_000 {
        if condition() { return }
        await Task.yield()
    }
    Issue.record("timed out waiting for \(message)")
}
