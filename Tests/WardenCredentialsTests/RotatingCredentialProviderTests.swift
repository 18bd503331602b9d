import Foundation
import InMemoryLogging
import Logging
import MetricsTestKit
import ServiceLifecycle
import Testing
import WardenCore
import WardenCredentials
import WardenTestSupport
import WardenTesting

extension RotationPolicy {
    /// The defaults, without the periodic metrics wake-up, so that every sleep of the loop is a refresh or a retry.
    static var testing: RotationPolicy {
        var policy = RotationPolicy()
        policy.metricsInterval = .seconds(10_000_000)
        return policy
    }
}

/// Deterministic tests of the rotation engine: a manual clock, seeded jitter, no real sleeps.
@Suite struct RotatingCredentialProviderTests {
    func makeProvider(
        _ source: ScriptedSource,
        policy: RotationPolicy = .testing,
        seed: UInt64 = 1,
        logs: InMemoryLogHandler? = nil,
        metrics: TestMetrics? = nil,
        owner: String? = nil
    ) -> RotatingCredentialProvider<ScriptedSource> {
        let logger =
            logs.map { store in Logger(label: "test") { _ in store.recordingEverything } }
            ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        return RotatingCredentialProvider(
            source: source,
            policy: policy,
            owner: owner,
            clock: source.clock,
            logger: logger,
            metricsFactory: metrics ?? TestMetrics(),
            randomSeed: seed
        )
    }

    @Test func theFirstCallFetchesAndLaterCallsDoNotWait() async throws {
        let source = ScriptedSource(clock: ManualClock())
        let provider = self.makeProvider(source)
        #expect(provider.status == .pending)
        #expect(provider.currentIfAvailable() == nil)
        #expect(try await provider.current() == "secret-1")
        for _ in 0..<100 { #expect(try await provider.current() == "secret-1") }
        #expect(provider.currentIfAvailable() == "secret-1")
        #expect(source.fetches == 1)
        #expect(provider.status == .fresh)
    }

    @Test func refreshIsScheduledBetween50And67PercentOfTheLifetimeAndSpreads() async throws {
        var offsets: [TimeInterval] = []
        for seed in UInt64(0)..<20 {
            let clock = ManualClock()
            let start = clock.now
            let source = ScriptedSource(clock: clock)
            let provider = self.makeProvider(source, seed: seed)
            let runner = Task { try await provider.run() }
            await settle(clock, provider)
            #expect(source.fetches == 1)
            let offset = clock.nextDeadline!.timeIntervalSince(start)
            #expect(offset >= 500 && offset <= 670, "seed \(seed): refresh at \(offset) s of 1000")
            offsets.append(offset)
            await step(clock, provider)
            #expect(source.fetches == 2)
            #expect(try await provider.current() == "secret-2")
            runner.cancel()
            _ = await runner.result
        }
        // A fleet on the same schedule does not align.
        #expect(offsets.max()! - offsets.min()! > 60)
        #expect(Set(offsets).count == offsets.count)
    }

    @Test func aCredentialIssuedLongAgoIsRefreshedFromWhatIsLeft() async throws {
        // The value came from a cache: issued 900 s before it reached us, 100 s left. Refreshing at 50–67% of the
        // lifetime measured from issue would already be in the past.
        let clock = ManualClock()
        let issued = clock.now.addingTimeInterval(-900)
        let source = ClosureCredentialSource(name: "cached") {
            Credential(
                value: "cached",
                issuedAt: issued,
                expiresAt: issued.addingTimeInterval(1000),
                metadata: CredentialMetadata(sourceName: "cached", kind: "test")
            )
        }
        let provider = RotatingCredentialProvider(source: source, policy: .testing, clock: clock, randomSeed: 3)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let wait = clock.nextDeadline!.timeIntervalSince(clock.now)
        #expect(wait >= 50 && wait <= 67, "refresh in \(wait) s")
        runner.cancel()
        _ = await runner.result
    }

    @Test func aThousandConcurrentCallersShareOneFetch() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(holdFetches: true))
        let provider = self.makeProvider(source)

        func thousandCallers() async throws -> [String] {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<1000 { group.addTask { try await provider.current() } }
                await eventually({ source.waitingFetches == 1 }, "the fetch to start")
                for _ in 0..<2000 { await Task.yield() }  // let the other callers pile up on it
                source.releaseFetches()
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }

        let first = try await thousandCallers()
        #expect(first.count == 1000 && Set(first) == ["secret-1"])
        #expect(source.fetches == 1)

        // The same when the held credential has expired: one request to the source, not a thousand.
        clock.advance(by: .seconds(1001))
        source.script.withLock { $0.holdFetches = true }
        let second = try await thousandCallers()
        #expect(second.count == 1000 && Set(second) == ["secret-2"])
        #expect(source.fetches == 2)
    }

    @Test func failureDegradesKeepsServingLogsOnceAndRecovers() async throws {
        let clock = ManualClock()
        let logs = InMemoryLogHandler()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source, logs: logs)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        #expect(provider.status == .fresh)

        source.setFailing(SourceDown())
        await step(clock, provider)
        guard case .degraded(let failure) = provider.status else {
            Issue.record("expected degraded, got \(provider.status)")
            return
        }
        #expect(failure.attempts == 1)
        #expect(failure.lastError.contains("connection refused"))
        #expect(failure.since == clock.now)
        // Callers keep the cached value, without waiting and without a request of their own.
        #expect(try await provider.current() == "secret-1")
        #expect(source.fetches == 2)

        for _ in 0..<4 { await step(clock, provider) }
        #expect(source.fetches == 6)
        if case .degraded(let failure) = provider.status {
            #expect(failure.attempts == 5)
        } else {
            Issue.record("expected degraded, got \(provider.status)")
        }
        #expect(try await provider.current() == "secret-1")
        #expect(logs.lines.filter { $0.hasPrefix("warning") }.count == 1, "\(logs.lines)")

        source.setFailing(nil)
        await step(clock, provider)
        #expect(provider.status == .fresh)
        #expect(try await provider.current() == "secret-7")
        #expect(logs.lines.filter { $0.contains("recovered") }.count == 1)
        #expect(logs.lines.allSatisfy { !$0.contains("secret-") }, "a value reached the logs")
        runner.cancel()
        _ = await runner.result
    }

    /// The delays between the attempts of a source that is down from the start.
    func retryGaps(seed: UInt64, attempts: Int) async -> [TimeInterval] {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(failing: SourceDown()))
        let provider = self.makeProvider(source, seed: seed)
        let runner = Task { try await provider.run() }
        var gaps: [TimeInterval] = []
        for attempt in 1...attempts {
            await eventually({ source.fetches == attempt }, "attempt \(attempt)")
            await settle(clock, provider)
            gaps.append(clock.nextDeadline!.timeIntervalSince(clock.now))
            if attempt < attempts { clock.advance(to: clock.nextDeadline!) }
        }
        if case .unavailable(let failure) = provider.status {
            #expect(failure.attempts == attempts)
        } else {
            Issue.record("expected unavailable, got \(provider.status)")
        }
        // While backing off, callers fail fast instead of sending a request of their own.
        await #expect(throws: CredentialsError(.unavailable, "")) { try await provider.current() }
        #expect(source.fetches == attempts)
        runner.cancel()
        _ = await runner.result
        return gaps
    }

    @Test func retriesBackOffExponentiallyWithJitterUpToTheCapAndNeverWithoutDelay() async throws {
        let policy = BackoffPolicy.default
        let gaps = await self.retryGaps(seed: 11, attempts: 14)
        for (attempt, gap) in gaps.enumerated() {
            #expect(gap >= 0.1, "attempt \(attempt): \(gap) s")
            #expect(gap <= policy.ceiling(forAttempt: attempt).timeInterval + 1e-6, "attempt \(attempt): \(gap) s")
        }
        #expect(gaps.allSatisfy { $0 <= 300 })
        #expect(gaps.suffix(5).contains { $0 > 100 }, "the backoff does not grow: \(gaps)")
        #expect(await self.retryGaps(seed: 11, attempts: 14) == gaps)
        #expect(await self.retryGaps(seed: 12, attempts: 14) != gaps)
    }

    @Test func expiryWhileFailingThrowsATypedErrorAfterOneLastAttemptNearExpiry() async throws {
        let clock = ManualClock()
        let start = clock.now
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100)))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.setFailing(SourceDown())
        let expiry = start.addingTimeInterval(100)
        while clock.now <= expiry { await step(clock, provider) }

        let attempts = source.counts.withLock { $0.fetchTimes }
        // The 10 s mandatory window (10% of 100 s): the last attempt before expiry comes within it.
        #expect(
            attempts.contains { $0 >= expiry.addingTimeInterval(-10) && $0 <= expiry },
            "\(attempts.map { $0.timeIntervalSince(start) })"
        )
        guard case .expired(let since, let failure) = provider.status else {
            Issue.record("expected expired, got \(provider.status)")
            return
        }
        #expect(since == expiry)
        do {
            _ = try await provider.current()
            Issue.record("an expired credential was served")
        } catch let error as CredentialsError {
            #expect(error.code == .expired)
            #expect(error.message.contains("expired at"))
            #expect(error.message.contains("failing since"))
            #expect(error.message.contains("connection refused"))
            #expect(error.failingSince == failure?.since)
            #expect(!error.message.contains("secret-"))
        }
        runner.cancel()
        _ = await runner.result
    }

    @Test func theMandatoryWindowMakesCallersWaitForTheRefresh() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100)))
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(89))
        #expect(try await provider.current() == "secret-1")
        #expect(source.fetches == 1)
        clock.advance(by: .seconds(2))  // 9 s left: inside the 10 s window
        #expect(try await provider.current() == "secret-2")
        #expect(source.fetches == 2)
    }

    @Test func staleValuesAreServedOnlyWhenOptedInForABoundedTimeAndNeverForLeases() async throws {
        var policy = RotationPolicy.testing
        policy.staleExtension = .seconds(60)
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100)))
        let provider = self.makeProvider(source, policy: policy)
        #expect(try await provider.current() == "secret-1")
        source.setFailing(SourceDown())
        clock.advance(by: .seconds(130))
        #expect(try await provider.current() == "secret-1")
        #expect(provider.currentIfAvailable() == "secret-1")
        clock.advance(by: .seconds(31))
        await #expect(throws: CredentialsError(.expired, "")) { try await provider.current() }
        #expect(provider.currentIfAvailable() == nil)

        let leaseClock = ManualClock()
        let leases = ScriptedSource(clock: leaseClock, script: .init(lifetime: .seconds(100), allowsStale: false))
        let leaseProvider = self.makeProvider(leases, policy: policy)
        #expect(try await leaseProvider.current() == "secret-1")
        leases.setFailing(SourceDown())
        leaseClock.advance(by: .seconds(101))
        await #expect(throws: CredentialsError(.expired, "")) { try await leaseProvider.current() }

        let strictClock = ManualClock()
        let strict = ScriptedSource(clock: strictClock, script: .init(lifetime: .seconds(100)))
        let strictProvider = self.makeProvider(strict)
        #expect(try await strictProvider.current() == "secret-1")
        strict.setFailing(SourceDown())
        strictClock.advance(by: .seconds(101))
        await #expect(throws: CredentialsError(.expired, "")) { try await strictProvider.current() }
    }

    @Test func renewableCredentialsAreRenewedThenReplacedBeforeTheyExpire() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100), renewable: true))
        let provider = self.makeProvider(source)
        let updates = provider.updates
        let collector = Task { await updates.reduce(into: [RotationEvent<String>]()) { $0.append($1) } }
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        var steps = 0
        while source.fetches < 2 && steps < 20 {
            await step(clock, provider)
            steps += 1
        }
        #expect(source.fetches == 2)
        #expect(source.renewals >= 1)
        runner.cancel()
        _ = await runner.result
        let events = await collector.value
        #expect(events.first?.kind == .initial)
        #expect(events.contains { $0.kind == .renewed })
        let rotation = try #require(events.first { $0.kind == .rotated })
        #expect(rotation.old?.value == "secret-1")
        #expect(rotation.new?.value == "secret-2")
        // Old and new overlap: the old lease is still valid when the new one arrives.
        #expect(rotation.old!.expiresAt! > rotation.date)
        #expect(source.revocations == 0)
    }

    @Test(arguments: ["renewal no longer extends", "renewal throws"])
    func aLeaseThatCannotBeRenewedIsReplaced(_ way: String) async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(100), renewable: true))
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        source.script.withLock {
            if way == "renewal throws" { $0.renewFails = true } else { $0.maximumLifetime = .zero }
        }
        await step(clock, provider)
        #expect(source.renewals == 1)
        #expect(source.fetches == 2)
        #expect(provider.status == .fresh)
        #expect(try await provider.current() == "secret-2")
        runner.cancel()
        _ = await runner.result
    }

    /// A renewal that failed only because the source was out of reach (Vault down, sealed, timing out) is retried, not
    /// followed by a fetch: the held credential still works, and a fetch the moment the source answers again would
    /// replace it for nothing (a new lease and database user per hiccup).
    @Test func aRenewalFailingOnlyForUnavailabilityIsRetriedAndTheSameCredentialRenewed() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(
                lifetime: .seconds(100),
                renewable: true,
                maximumLifetime: .seconds(1_000_000),
                outagesAreUnavailability: true
            )
        )
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let expiresAt = try #require(provider.credential?.expiresAt)
        source.script.withLock { $0.renewFails = true }
        await step(clock, provider)
        #expect(source.renewals == 1)
        #expect(source.fetches == 1, "no fetch after a renewal that failed for unavailability")
        #expect(provider.status.name == "degraded")
        #expect(try await provider.current() == "secret-1")

        // The source answers again: the same credential is renewed, not replaced.
        source.script.withLock { $0.renewFails = false }
        for _ in 0..<20 where source.renewals < 2 { await step(clock, provider) }
        #expect(source.renewals == 2)
        #expect(source.fetches == 1)
        #expect(provider.status == .fresh)
        #expect(try await provider.current() == "secret-1")
        #expect(try #require(provider.credential?.expiresAt) > expiresAt)
        runner.cancel()
        _ = await runner.result
    }

    /// Put off, the renewal is not put off for ever: the retry that backing off would sleep past a quarter of the
    /// lifetime before expiry is brought to that point, and when it fails too a fetch follows, with a quarter of the
    /// lifetime left (not at the last chance in the mandatory window).
    @Test func aRenewalPutOffForUnavailabilityGivesWayToAFetchWithAQuarterOfTheLifetimeLeft() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(
            clock: clock,
            script: .init(
                lifetime: .seconds(1000),
                renewable: true,
                renewIncrement: .seconds(1000),
                maximumLifetime: .seconds(1_000_000),
                outagesAreUnavailability: true
            )
        )
        var policy = RotationPolicy.testing
        policy.backoff = BackoffPolicy(initialDelay: .seconds(400), maximumDelay: .seconds(400), jitter: .none)
        // Drawn at the window's end, 67%: past the third (and the minimum interval) a renewal must start with.
        policy.refreshWindow = 0.67...0.67
        let provider = self.makeProvider(source, policy: policy)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let expiresAt = try #require(provider.credential?.expiresAt)
        source.script.withLock { $0.renewFails = true }
        let renewedAt = await step(clock, provider)
        #expect(
            abs(expiresAt.timeIntervalSince(renewedAt) - (1000.0 / 3 + 0.1)) < 1e-3,
            "a renewal drawn at 67% starts with a third and the minimum interval left"
        )
        #expect(source.renewals == 1)
        #expect(source.fetches == 1)
        for _ in 0..<10 where source.fetches < 2 { await step(clock, provider) }
        #expect(source.fetches == 2)
        let fetchedAt = try #require(source.counts.withLock { $0.fetchTimes.last })
        #expect(
            abs(expiresAt.timeIntervalSince(fetchedAt) - 250) < 1,
            "fetched \(expiresAt.timeIntervalSince(fetchedAt)) s before expiry"
        )
        #expect(source.renewals == 2, "the renewal was retried once, at the quarter, before the fetch")
        #expect(try await provider.current() == "secret-2")
        runner.cancel()
        _ = await runner.result
    }

    @Test func aRefusedCredentialIsReplacedByOneFetchNotRenewedAndNoLongerServed() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(1000), renewable: true))
        let provider = self.makeProvider(source)
        let updates = provider.updates
        let collector = Task { await updates.prefix(2).reduce(into: [RotationEvent<String>]()) { $0.append($1) } }
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(60))

        // A hundred callers saw "secret-1" refused at once: one fetch, no renewal of the refused value.
        source.script.withLock { $0.holdFetches = true }
        let reports = (0..<100).map { _ in provider.invalidate { $0.value == "secret-1" } }
        #expect(reports.filter { $0 }.count == 1)
        #expect(provider.currentIfAvailable() == nil)
        await eventually({ source.waitingFetches == 1 }, "the replacement fetch")
        source.releaseFetches()
        #expect(try await provider.current() == "secret-2")
        #expect(source.fetches == 2)
        #expect(source.renewals == 0)
        #expect(provider.status == .fresh)
        // A late report of the old refusal changes nothing.
        #expect(!provider.invalidate { $0.value == "secret-1" })
        #expect(provider.currentIfAvailable() == "secret-2")
        let events = await collector.value
        #expect(events.map(\.kind) == [.initial, .rotated])
        #expect(events.last?.old?.value == "secret-1")
    }

    /// A push from the source (`refreshNow`): fetched at once, ahead of the schedule, with the held value served
    /// meanwhile; a request during an attempt makes another follow it; requests are spaced by the minimum interval.
    @Test func refreshNowFetchesAheadOfTheScheduleAndKeepsServing() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(1000)))
        let provider = self.makeProvider(source)
        let running = Task { try await provider.run() }
        defer { running.cancel() }
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(10))

        source.script.withLock { $0.holdFetches = true }
        provider.refreshNow()
        await eventually({ source.waitingFetches == 1 }, "the pushed fetch")
        #expect(provider.currentIfAvailable() == "secret-1", "served while the fetch is under way")
        // A second push during the attempt: the source may have changed after the attempt read it.
        provider.refreshNow()
        source.releaseFetches()
        await eventually({ provider.currentIfAvailable() == "secret-2" }, "the pushed value")
        // The loop asleep on the clock until the minimum interval since the last attempt has passed, then that.
        await settle(clock, provider)
        clock.advance(by: .milliseconds(200))
        await eventually({ source.fetches == 3 }, "the attempt that follows a push made during one")
        await settle(clock, provider)
        #expect(provider.status == .fresh)
        // Ten seconds into a 1,000-second lifetime: nothing but the pushes made these fetches.
        #expect(source.fetches == 3)
    }

    /// A push says the held credential is to be replaced (a Vault lease whose token was replaced dies with the old
    /// token): a renewable credential is fetched anew, not renewed, and a failed fetch is retried as a fetch until one
    /// succeeds, never as a renewal.
    @Test func refreshNowReplacesARenewableCredentialEvenAfterAFailedFetch() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(1000), renewable: true))
        let provider = self.makeProvider(source)
        let running = Task { try await provider.run() }
        defer { running.cancel() }
        #expect(try await provider.current() == "secret-1")
        await settle(clock, provider)
        clock.advance(by: .seconds(10))

        source.setFailing(SourceDown())
        provider.refreshNow()
        await eventually({ source.fetches == 2 && !provider.isAttemptInFlight }, "the pushed fetch, failing")
        source.setFailing(nil)
        // The retry, after the backoff: a fetch again, though the held credential could be renewed.
        await settle(clock, provider)
        clock.advance(by: .seconds(5))
        await eventually({ provider.currentIfAvailable() == "secret-3" }, "the retried fetch")
        #expect(source.renewals == 0)
        #expect(source.fetches == 3)
    }

    /// A push after an outage says the source works again: the retry backed off after its failures is brought
    /// forward to the minimum interval instead of waiting out the backoff.
    @Test func refreshNowBringsABackedOffRetryForward() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(1000)))
        let provider = self.makeProvider(source)
        let running = Task { try await provider.run() }
        defer { running.cancel() }
        #expect(try await provider.current() == "secret-1")
        source.setFailing(SourceDown())
        // Past the refresh point, then failures until the backoff has grown well past a second.
        for failures in 2...7 {
            await settle(clock, provider)
            clock.advance(by: .seconds(600))
            await eventually({ source.fetches >= failures }, "failure \(failures)")
        }
        await settle(clock, provider)
        source.setFailing(nil)
        provider.refreshNow()
        await settle(clock, provider, sleepers: 1)
        clock.advance(by: .milliseconds(200))
        await eventually({ provider.currentIfAvailable() == "secret-8" }, "the fetch the push brought forward")
    }

    @Test func aRefusedCredentialIsNotServedWhileTheSourceIsDownAndRetriesStayOnSchedule() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        #expect(try await provider.current() == "secret-1")
        clock.advance(by: .seconds(60))
        source.setFailing(SourceDown())
        #expect(provider.invalidate { _ in true })
        await eventually(
            { source.fetches == 2 && provider.status.name == "unavailable" },
            "the failed replacement fetch"
        )
        let error = await #expect(throws: CredentialsError.self) { try await provider.current() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("refused") == true)
        // Callers during the backoff start no fetches of their own.
        for _ in 0..<50 { _ = try? await provider.current() }
        #expect(source.fetches == 2)
        source.setFailing(nil)
        clock.advance(by: .seconds(3600))
        #expect(try await provider.current() == "secret-3")
        #expect(provider.status == .fresh)
    }

    @Test func gracefulShutdownRevokesWhenAskedAndEndsTheUpdates() async throws {
        var policy = RotationPolicy.testing
        policy.revokeOnShutdown = true
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source, policy: policy)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: provider)], logger: Logger(label: "test"))
        )
        let runner = Task { try await group.run() }
        await settle(clock, provider)
        let updates = provider.updates
        let collector = Task { await updates.reduce(into: [RotationEvent<String>.Kind]()) { $0.append($1.kind) } }

        await group.triggerGracefulShutdown()
        try await runner.value
        #expect(source.revocations == 1)
        #expect(source.counts.withLock { $0.revoked } == ["lease-1"])
        #expect(provider.status == .revoked)
        await #expect(throws: CredentialsError(.revoked, "")) { try await provider.current() }
        #expect(await collector.value == [.revoked])
    }

    @Test func cancellationStopsTheLoopWithoutRevokingByDefault() async throws {
        let clock = ManualClock()
        let source = ScriptedSource(clock: clock)
        let provider = self.makeProvider(source)
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        let updates = provider.updates
        let collector = Task { await updates.reduce(into: 0) { count, _ in count += 1 } }
        runner.cancel()
        _ = await runner.result
        #expect(clock.sleeperCount == 0)
        #expect(source.revocations == 0)
        #expect(await collector.value == 0)
        #expect(try await provider.current() == "secret-1")
    }

    @Test func metricsSayWhatAnOperatorAlertsOn() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let source = ScriptedSource(name: "db", clock: clock)
        let provider = self.makeProvider(source, metrics: metrics)
        _ = try await provider.current()
        let dimensions = [("credential", "db")]
        #expect(try metrics.expectCounter("warden_credential_refreshes_total", dimensions).totalValue == 1)
        #expect(try metrics.expectCounter("warden_credential_rotations_total", dimensions).totalValue == 1)
        let expiry = try metrics.expectGauge("warden_credential_expiry_timestamp_seconds", dimensions).lastValue
        #expect(expiry == clock.now.addingTimeInterval(1000).timeIntervalSince1970)
        #expect(try metrics.expectGauge("warden_credential_seconds_until_expiry", dimensions).lastValue == 1000)
        #expect(try metrics.expectTimer("warden_credential_fetch_duration", dimensions).values.count == 1)

        source.setFailing(SourceDown())
        clock.advance(by: .seconds(995))
        _ = try? await provider.current()
        #expect(try metrics.expectCounter("warden_credential_refresh_failures_total", dimensions).totalValue == 1)
    }

    @Test func theInventoryListsTheProvidersGivenItWithoutValues() async throws {
        let clock = ManualClock()
        let inventory = CredentialInventory()
        let source = ScriptedSource(name: "inventory-test", clock: clock)
        let provider = RotatingCredentialProvider(
            source: source,
            policy: .testing,
            owner: "payments",
            clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            inventory: inventory,
            randomSeed: 1
        )
        let bystander = self.makeProvider(ScriptedSource(name: "not-in-the-inventory", clock: clock))
        _ = try await provider.current()
        _ = try await bystander.current()
        let entries = inventory.entries()
        #expect(entries.map(\.name) == ["inventory-test"], "opt-in: only the provider given the inventory reports")
        let entry = try #require(entries.first)
        #expect(entry.owner == "payments")
        #expect(entry.kind == "test")
        #expect(entry.status == "fresh")
        #expect(entry.expiresAt == clock.now.addingTimeInterval(1000))
        #expect(entry.lastRotation == clock.now)
        #expect(!CredentialInventory.shared.entries().contains { $0.name == "not-in-the-inventory" })
        let encoded = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(!encoded.contains("secret-"))
        withExtendedLifetime((provider, bystander)) {}
    }
}
