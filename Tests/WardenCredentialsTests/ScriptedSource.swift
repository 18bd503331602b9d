import Foundation
import Synchronization
import WardenCore
import WardenCredentials

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
        var renewFails = false
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
    var fetches: Int { self.counts.withLock { $0.fetches } }
    var renewals: Int { self.counts.withLock { $0.renewals } }
    var revocations: Int { self.counts.withLock { $0.revocations } }
    var waitingFetches: Int { self.held.withLock { $0.count } }

    func setFailing(_ error: (any Error)?) { self.script.withLock { $0.failing = error } }

    /// Lets every held fetch go on.
    func releaseFetches() {
        self.script.withLock { $0.holdFetches = false }
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
        if self.script.withLock({ $0.holdFetches }) {
            await withCheckedContinuation { continuation in
                self.held.withLock { $0.append(continuation) }
            }
        }
        let script = self.script.withLock { $0 }
        if let failing = script.failing { throw failing }
        return Credential(
            value: "secret-\(number)",
            issuedAt: now,
            expiresAt: script.lifetime.map { now.addingTimeInterval($0.timeInterval) },
            isRenewable: script.renewable,
            metadata: CredentialMetadata(sourceName: self.name, kind: "test", leaseID: "lease-\(number)", identifier: "\(number)")
        )
    }

    func renew(_ credential: Credential<String>) async throws -> Credential<String> {
        self.counts.withLock { $0.renewals += 1 }
        let script = self.script.withLock { $0 }
        if let failing = script.failing { throw failing }
        if script.renewFails { throw SourceDown() }
        let now = self.clock.now
        let ceiling = credential.issuedAt.addingTimeInterval(script.maximumLifetime.timeInterval)
        var renewed = credential
        renewed.expiresAt = min(ceiling, now.addingTimeInterval(script.renewIncrement.timeInterval))
        return renewed
    }

    func revoke(_ credential: Credential<String>) async throws {
        self.counts.withLock {
            $0.revocations += 1
            $0.revoked.append(credential.metadata.leaseID ?? "")
        }
    }
}

struct SourceDown: Error, CustomStringConvertible {
    var description: String { "connection refused (test outage)" }
}

/// Yields until `condition` holds: for waiting on work the provider does in its own tasks, with no real sleep.
func eventually(_ condition: () -> Bool, _ message: String = "condition") async {
    for _ in 0..<100_000 {
        if condition() { return }
        await Task.yield()
    }
    Issue.record("timed out waiting for \(message)")
}

import Testing
