import Foundation
import Logging
import ServiceLifecycle
import Testing
import WardenCore
import WardenTesting

@testable import WardenCredentials

/// One test or more for each promise of the rotation engine's contract (see `RotatingCredentialProvider`), each under
/// the hostile condition that used to break it: deterministic, on a manual clock, with no real sleeps.
@Suite struct RotationContractTests {
    func makeProvider(
        _ source: ScriptedSource,
        policy: RotationPolicy = .testing,
        seed: UInt64 = 1
    ) -> RotatingCredentialProvider<ScriptedSource> {
        RotatingCredentialProvider(
            source: source,
            policy: policy,
            clock: source.clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            randomSeed: seed
        )
    }

    // MARK: - Never serve what is not valid

    @Test(arguments: ["already expired", "expires before it was issued", "expires when it was issued"])
    func aCredentialThatCannotBeValidIsAFailureNotAValue(_ shape: String) async throws {
        let clock = ManualClock()
        var script = ScriptedSource.Script()
        switch shape {
        case "already expired": (script.issuedAgo, script.lifetime) = (.seconds(100), .seconds(10))
        case "expires before it was issued": script.lifetime = .seconds(-10)
        default: script.lifetime = .zero
        }
        let source = ScriptedSource(clock: clock, script: script)
        let provider = self.makeProvider(source)
        let error = await #expect(throws: CredentialsError.self) { try await provider.current() }
        #expect(error?.code == .unavailable)
        guard case .unavailable(let failure) = provider.status else {
            Issue.record("expected unavailable, got \(provider.status)")
            return
        }
        #expect(failure.lastError.contains("invalidCredential"), "\(failure.lastError)")
        #expect(provider.currentIfAvailable() == nil)
        // Handled like any failure: backed off, not fetched again by the next caller.
        _ = try? await provider.current()
        #expect(source.fetches == 1)
    }

    /// Also when that renewal then fails for unavailability, which would otherwise be retried: a refusal is never put
    /// off.
    @Test(arguments: ["renewal succeeds", "renewal fails for unavailability"])
    func aCredentialRefusedWhileItsRenewalIsUnderWayIsNeverServedAgain(_ renewal: String) async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(
                lifetime: .seconds(100),
                renewable: true,
                renewFails: renewal == "renewal fails for unavailability",
                outagesAreUnavailability: true
            )
        )
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.script.withLock { $0.holdRenewals = true }
        clock.advance(to: clock.nextDeadline!)
        await eventually({ source.waitingFetches == 1 }, "the renewal to start")
        #expect(provider.invalidate { $0.value == "secret-1" })
        source.releaseFetches()
        await settle(clock, provider)
        #expect(source.renewals == 1)
        #expect(source.fetches == 2)
        #expect(try await provider.current() == "secret-2")
        #expect(provider.credential?.value == "secret-2")
        runner.cancel()
        _ = await runner.result
    }

    @Test func aSourceThatReturnsARefusedCredentialAgainHasFailed() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(stuckUntil: clock.now.addingTimeInterval(1000)))
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "stuck")
        clock.advance(by: .seconds(10))
        #expect(provider.invalidate { _ in true })
        await eventually({ !provider.isAttemptInFlight && source.fetches == 2 }, "the replacement fetch")
        await #expect(throws: CredentialsError(.unavailable, "")) { try await provider.current() }
        guard case .unavailable(let failure) = provider.status else {
            Issue.record("expected unavailable, got \(provider.status)")
            return
        }
        #expect(failure.lastError.contains("refused"))
    }

    @Test func statusIsServingOnlyWhileAServableValueIsHeld() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(holdFetches: true))
        let provider = self.makeProvider(source)
        let first = Task { try await provider.current() }
        await eventually({ source.waitingFetches == 1 }, "the first fetch")
        #expect(provider.status == .pending)
        #expect(!provider.status.isServing)
        source.releaseFetches()
        #expect(try await first.value == "secret-1")
        #expect(provider.status == .fresh && provider.status.isServing)

        clock.advance(by: .seconds(60))
        source.script.withLock { $0.holdFetches = true }
        #expect(provider.invalidate { _ in true })
        await eventually({ source.waitingFetches == 1 }, "the replacement fetch")
        #expect(provider.status == .pending, "a refused value is not served")
        #expect(!provider.status.isServing)
        source.releaseFetches()
        await eventually({ provider.status == .fresh }, "the replacement")
        #expect(provider.status.isServing)

        clock.advance(by: .seconds(1001))
        #expect(!provider.status.isServing, "expired")
    }

    // MARK: - Never storm the source

    @Test func pastTheLastChanceASourceThatIsDownGetsOneAttemptNotABurst() async throws {
        let clock = ManualClock()
        let start = clock.now
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100)))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.setFailing(SourceDown())
        let expiry = start.addingTimeInterval(100)
        while clock.now < expiry.addingTimeInterval(60) { await step(clock, provider) }
        runner.cancel()
        _ = await runner.result

        let times = source.counts.withLock { $0.fetchTimes }.map { $0.timeIntervalSince(start) }
        let inWindow = times.filter { $0 >= 90 && $0 <= 100 }
        // The mandatory window is 10 s (10% of 100 s): one attempt moved to its middle, and at most one more the
        // backoff put there by itself.
        #expect(!inWindow.isEmpty && inWindow.count <= 2, "\(times)")
        let afterExpiry = times.filter { $0 > 100 }
        #expect(afterExpiry.count <= 4, "past expiry the backoff goes on growing: \(times)")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 >= 0.1 - 1e-5 }, "\(gaps)")
    }

    @Test func aConsumerThatRefusesEveryCredentialCannotMakeAStorm() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        _ = try await provider.current()
        // A thousand refusals at one instant: the credential fetched at this instant is not replaced at once.
        for _ in 0..<1000 {
            _ = provider.currentIfAvailable()
            provider.invalidate { _ in true }
        }
        #expect(source.fetches == 1)
        #expect(provider.currentIfAvailable() == nil)

        // Ten seconds of a consumer refusing whatever it gets, every 10 ms.
        for _ in 0..<1000 {
            clock.advance(by: .milliseconds(10))
            _ = provider.currentIfAvailable()
            provider.invalidate { _ in true }
            await eventually({ !provider.isAttemptInFlight }, "the fetch")
        }
        let times = source.counts.withLock { $0.fetchTimes }
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        #expect(gaps.allSatisfy { $0 >= 0.1 - 1e-5 }, "\(gaps)")
        // The backoff spaces them further: 1 s, 2 s, 4 s, 8 s ceilings, drawn with full jitter.
        #expect(source.fetches <= 12, "\(gaps)")
        #expect(gaps.suffix(2).allSatisfy { $0 > 0.5 }, "\(gaps)")
    }

    @Test func aCredentialRefusedMomentsAfterItsFetchIsReplacedAfterAShortWaitNotAnError() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        #expect(provider.invalidate { _ in true })
        #expect(source.fetches == 1, "within the minimum interval of the last fetch")
        let caller = Task { try await provider.current() }
        await eventually({ clock.sleeperCount == 1 }, "the caller to wait out the interval")
        clock.advance(by: RotationPolicy.testing.minimumRefreshInterval)
        #expect(try await caller.value == "secret-2")
        #expect(source.fetches == 2)
    }

    @Test func aStuckSourceInsideTheMandatoryWindowIsNotCalledOnEveryRequest() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(stuckUntil: clock.now.addingTimeInterval(100)))
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "stuck")
        clock.advance(by: .seconds(95))  // inside the 30 s window (capped at 10% of 1000 s lifetime: 30 s)
        for _ in 0..<100 { #expect(try await provider.current() == "stuck") }
        #expect(source.fetches == 2, "one attempt in the window; then the source counts as failing")
        guard case .degraded(let failure) = provider.status else {
            Issue.record("expected degraded, got \(provider.status)")
            return
        }
        #expect(failure.lastError.contains("held credential again"))
    }

    @Test func aCallerThatMissedTheFastPathChecksAgainBeforeFetching() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        // What a caller that read the snapshot just before a fresh value was installed does next.
        for _ in 0..<100 { #expect(try await provider.currentAfterRefresh() == "secret-1") }
        #expect(source.fetches == 1)
    }

    @Test func aSourceThatThrowsCancellationOnItsOwnHasFailedAndIsBackedOff() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.setFailing(CancellationError())
        for _ in 0..<4 { await step(clock, provider) }
        #expect(source.fetches == 5, "one attempt per wake-up, not a loop")
        guard case .degraded(let failure) = provider.status else {
            Issue.record("expected degraded, got \(provider.status)")
            return
        }
        #expect(failure.attempts == 4)
        runner.cancel()
        _ = await runner.result
    }

    @Test func aRefusalWithNoTrafficIsActedOnByTheLoop() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        #expect(provider.invalidate { _ in true })  // moments after the fetch: the loop must come back for it
        await settle(clock, provider)
        let wake = try #require(clock.nextDeadline)
        #expect(
            wake.timeIntervalSince(clock.now) <= 0.1 + 1e-5,
            "the loop sleeps until the spacing allows, not until the old refresh point"
        )
        await step(clock, provider)
        #expect(source.fetches == 2)
        #expect(provider.currentIfAvailable() == "secret-2")
        runner.cancel()
        _ = await runner.result
    }

    @Test func withoutRunAWallClockSteppedBackDoesNotStallRetries() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(7200)))
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        source.setFailing(SourceDown())
        clock.advance(by: .seconds(5000))  // past the refresh point: a background attempt, which fails
        #expect(try await provider.current() == "secret-1")
        await eventually({ source.fetches == 2 && !provider.isAttemptInFlight }, "the failed refresh")
        clock.stepWallClock(by: .seconds(-3600))
        clock.advance(by: .seconds(2))  // past the first backoff (at most 1 s) on the monotonic clock
        #expect(try await provider.current() == "secret-1")
        await eventually({ source.fetches == 3 && !provider.isAttemptInFlight }, "the retry")
        #expect(source.fetches == 3)
    }

    // MARK: - Never hang

    @Test func aSourceThatHangsFailsWithATimeoutAndIsRetried() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(holdFetches: true))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        let caller = Tracked { try await provider.current() }
        await eventually({ source.waitingFetches == 1 && clock.sleeperCount == 1 }, "the fetch and its timer")
        clock.advance(by: RotationPolicy.testing.fetchTimeout)
        guard let outcome = await caller.result("the caller to give up at the fetch timeout") else {
            source.releaseFetches()
            return
        }
        let error = #expect(throws: CredentialsError.self) { try outcome.get() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("took longer than") == true, "\(error?.message ?? "")")
        await settle(clock, provider)
        guard case .unavailable(let failure) = provider.status else {
            Issue.record("expected unavailable, got \(provider.status)")
            return
        }
        #expect(failure.lastError.contains("timeout"))
        // The loop goes on: the next attempt comes on the backoff schedule, and succeeds.
        source.releaseFetches()
        await step(clock, provider)
        #expect(source.fetches == 2)
        #expect(try await provider.current() == "secret-2")
        runner.cancel()
        _ = await runner.result
    }

    @Test func aCallerInsideTheMandatoryWindowIsNotHeldPastExpiry() async throws {
        var policy = RotationPolicy.testing
        policy.fetchTimeout = .seconds(1000)
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100)))
        let provider = self.makeProvider(source, policy: policy)
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(95))
        source.script.withLock { $0.holdFetches = true }
        let caller = Tracked { try await provider.current() }
        await eventually(
            { source.waitingFetches == 1 && clock.sleeperCount == 2 },
            "the fetch, its timer and the caller's"
        )
        clock.advance(by: .seconds(5))  // to the held value's expiry, far short of the fetch timeout
        let result = await caller.result("the caller to be let go at the held value's expiry")
        source.releaseFetches()
        #expect((try? result?.get()) == "secret-1", "the caller gets the held value at its last valid instant")
    }

    @Test func aCancelledCallerStopsWaitingAtOnceAndTheFetchGoesOnForOthers() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(holdFetches: true))
        let provider = self.makeProvider(source)
        let cancelled = Tracked { try await provider.current() }
        let patient = Task { try await provider.current() }
        await eventually({ source.waitingFetches == 1 }, "the fetch")
        for _ in 0..<1000 { await Task.yield() }
        cancelled.task.cancel()
        guard let result = await cancelled.result("the cancelled caller to leave") else {
            source.releaseFetches()
            return
        }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(source.waitingFetches == 1, "the shared fetch is still under way")
        source.releaseFetches()
        #expect(try await patient.value == "secret-1")
        #expect(source.fetches == 1)
    }

    @Test func shutdownIsBoundedAndALateCredentialIsNeverServedButRevoked() async throws {
        var policy = RotationPolicy.testing
        policy.revokeOnShutdown = true
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(holdFetches: true))
        let provider = self.makeProvider(source, policy: policy)
        let runner = Tracked { try await provider.run() }
        await eventually({ source.waitingFetches == 1 }, "the fetch")
        // The source ignores cancellation; run() returns all the same.
        runner.task.cancel()
        guard await runner.result("run() to return while the fetch hangs") != nil else {
            source.releaseFetches()
            return
        }
        #expect(source.waitingFetches == 1)
        source.releaseFetches()
        await eventually({ source.revocations == 1 }, "the late credential to be revoked")
        #expect(source.counts.withLock { $0.revoked } == ["lease-1"])
        #expect(provider.currentIfAvailable() == nil)
        await #expect(throws: CredentialsError.self) { try await provider.current() }
        #expect(provider.credential == nil)
    }

    @Test func aRevocationThatHangsDoesNotHoldShutdownPastItsGrace() async throws {
        var policy = RotationPolicy.testing
        policy.revokeOnShutdown = true
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source, policy: policy)
        let runner = Tracked { try await provider.run() }
        await settle(clock, provider)
        source.script.withLock { $0.holdRevocations = true }
        runner.task.cancel()
        await eventually({ source.waitingFetches == 1 && clock.sleeperCount == 1 }, "the revocation and its timer")
        clock.advance(by: policy.shutdownGracePeriod)
        guard await runner.result("run() to return at the end of the grace") != nil else {
            source.releaseFetches()
            return
        }
        #expect(!provider.status.isServing)
        guard case .unavailable(let failure) = provider.status else {
            Issue.record("expected unavailable, got \(provider.status)")
            return
        }
        #expect(failure.lastError.contains("revoking on shutdown failed"))
        source.releaseFetches()
    }

    @Test func aWallClockSteppedBackDuringAnOutageDoesNotStallRetries() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(7200)))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.setFailing(SourceDown())
        for _ in 0..<3 { await step(clock, provider) }
        #expect(source.fetches == 4)
        clock.stepWallClock(by: .seconds(-3600))
        // Retries keep to the backoff, measured on the monotonic clock: the next comes within the 5-minute cap.
        let monotonicBefore = clock.monotonicNow
        await step(clock, provider)
        #expect(source.fetches == 5)
        #expect(clock.monotonicNow - monotonicBefore <= .seconds(300))
        source.setFailing(nil)
        await step(clock, provider)
        #expect(provider.status == .fresh)
        runner.cancel()
        _ = await runner.result
    }

    // MARK: - Overlap and renewal

    /// Vault-style: each renewal grants the full lifetime from the moment of renewal, up to a maximum after issue. The
    /// short lifetimes are a test's tokens (3 s, at most 8 s), where one second is a third of the lifetime: a grant of
    /// 2 s is already capped.
    @Test(arguments: [(100, 250), (3, 8), (3, 7), (10, 25)], 1...32 as ClosedRange<UInt64>)
    func aLeaseAtItsMaximumLifetimeIsReplacedWithAUsefulRemainder(
        _ lifetimes: (full: Int, maximum: Int),
        _ seed: UInt64
    ) async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(
                lifetime: .seconds(lifetimes.full),
                renewable: true,
                renewIncrement: .seconds(lifetimes.full),
                maximumLifetime: .seconds(lifetimes.maximum)
            )
        )
        let provider = self.makeProvider(source, seed: seed)
        let updates = provider.updates
        let collector = Task { await updates.prefix(while: { $0.kind != .rotated }).reduce(into: 0) { n, _ in n += 1 } }
        let rotation = Task { await provider.updates.first { $0.kind == .rotated } }
        let runner = Task { try await provider.run() }
        var steps = 0
        while source.fetches < 2 && steps < 50 {
            await step(clock, provider)
            steps += 1
        }
        #expect(source.fetches == 2)
        let event = try #require(await rotation.value)
        let old = try #require(event.old?.expiresAt)
        #expect(
            old.timeIntervalSince(event.date) >= Double(lifetimes.full) / 3 - 1e-6,
            "the replacement came \(old.timeIntervalSince(event.date)) s before the old lease expired"
        )
        runner.cancel()
        _ = await runner.result
        #expect(await collector.value >= 2)
    }

    /// A renewable credential issued long before it arrived (700 s of its 1000 s gone) has less than the third a
    /// renewal starts with: it is refreshed on what is left, not renewed and fetched at every minimum interval.
    @Test func aBackdatedRenewableCredentialIsNotRefreshedInALoop() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(
                lifetime: .seconds(1000),
                renewable: true,
                renewIncrement: .seconds(100),
                maximumLifetime: .seconds(1_000_000),
                issuedAgo: .seconds(700)
            )
        )
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let start = clock.now
        for _ in 0..<100 where clock.now.timeIntervalSince(start) < 600 { await step(clock, provider) }
        #expect(clock.now.timeIntervalSince(start) >= 600, "600 s pass in fewer than 100 refreshes")
        #expect(source.fetches + source.renewals <= 20, "\(source.fetches) fetches, \(source.renewals) renewals")
        runner.cancel()
        _ = await runner.result
    }

    @Test func aRenewalThatMovesOnlyTheExpiryKeepsBeingRenewedWhileItGrantsTheFullLifetime() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(lifetime: .seconds(100), renewable: true, maximumLifetime: .seconds(1_000_000))
        )
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let start = clock.now
        while clock.now.timeIntervalSince(start) < 2000 { await step(clock, provider) }
        #expect(source.fetches == 1)
        #expect(source.renewals >= 20)
        runner.cancel()
        _ = await runner.result
    }

    @Test(arguments: [1.0, 0.5, 0.2])
    func shortLifetimesKeepTheirRefreshBetween50And67Percent(_ seconds: Double) async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(seconds)))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let start = clock.now
        for _ in 0..<3 {
            let issued = provider.credential!.issuedAt
            let at = await step(clock, provider)
            let fraction = at.timeIntervalSince(issued) / seconds
            #expect(fraction >= 0.5 - 1e-6 && fraction <= 0.67 + 1e-6, "refreshed at \(fraction) of \(seconds) s")
        }
        #expect(clock.now.timeIntervalSince(start) < 3 * seconds)
        runner.cancel()
        _ = await runner.result
    }

    // MARK: - Without run()

    @Test func withoutRunAValuePastItsRefreshPointIsRefreshedInTheBackground() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(700))  // past the refresh point (500–670 s), far from expiry
        #expect(try await provider.current() == "secret-1", "served at once, without waiting")
        await eventually({ source.fetches == 2 && !provider.isAttemptInFlight }, "the background refresh")
        #expect(try await provider.current() == "secret-2")
        for _ in 0..<100 { _ = try await provider.current() }
        #expect(source.fetches == 2)

        // A value that never expires is re-read after the re-read interval.
        let keyClock = ManualClock()
        let keys = ScriptedSource(clock: keyClock, script: .init(lifetime: nil))
        let keyProvider = self.makeProvider(keys)
        #expect(try await keyProvider.current() == "secret-1")
        keyClock.advance(by: .seconds(301))
        #expect(try await keyProvider.current() == "secret-1")
        await eventually({ keys.fetches == 2 && !keyProvider.isAttemptInFlight }, "the re-read")
        #expect(try await keyProvider.current() == "secret-2")
    }

    // MARK: - Revocation on shutdown

    @Test(arguments: [(true, nil, 1), (false, nil, 0), (true, false, 0), (false, true, 1)] as [(Bool, Bool?, Int)])
    func shutdownRevokesLeasesByDefaultAndThePolicyOverrides(
        _ leases: Bool,
        _ override: Bool?,
        _ revocations: Int
    ) async throws {
        var policy = RotationPolicy.testing
        policy.revokeOnShutdown = override
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(issuesLeases: leases))
        let provider = self.makeProvider(source, policy: policy)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        runner.cancel()
        _ = await runner.result
        #expect(source.revocations == revocations)
        #expect((provider.status == .revoked) == (revocations == 1))
    }
}
