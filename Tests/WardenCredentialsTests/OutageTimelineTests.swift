import Foundation
import InMemoryLogging
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenTestSupport
import WardenTesting

/// The outage of Documentation/RotationAndGracefulDegradation.md, run on a manual clock: a one-hour lease issued at
/// 12:00, the source down from 12:30.
@Suite struct OutageTimelineTests {
    struct Run {
        let clock: ManualClock
        let source: ScriptedSource
        let provider: RotatingCredentialProvider<ScriptedSource>
        let logs: InMemoryLogHandler
        let noon: Date
        let runner: Task<Void, any Error>
    }

    func start() async -> Run {
        let noon = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ManualClock(now: noon)
        let logs = InMemoryLogHandler()
        let source = ScriptedSource(clock: clock, script: .init(lifetime: .seconds(3600), allowsStale: false))
        let provider = RotatingCredentialProvider(
            source: source,
            policy: .testing,
            clock: clock,
            logger: Logger(label: "outage") { _ in logs.recordingEverything },
            randomSeed: 2026
        )
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        return Run(clock: clock, source: source, provider: provider, logs: logs, noon: noon, runner: runner)
    }

    /// Advances the loop through every wake-up until `date`, asserting what callers get on the way.
    func advance(_ run: Run, to date: Date, expecting value: String) async throws {
        while let next = run.clock.nextDeadline, next <= date {
            run.clock.advance(to: next)
            await settle(run.clock, run.provider)
            #expect(try await run.provider.current() == value)
        }
        run.clock.advance(to: date)
    }

    @Test func vaultDownFrom1230To1252() async throws {
        let run = await self.start()
        let noon = run.noon
        #expect(try await run.provider.current() == "secret-1")
        let refreshAt = run.clock.nextDeadline!
        #expect(refreshAt >= noon.addingTimeInterval(1800) && refreshAt <= noon.addingTimeInterval(2412))

        run.source.setFailing(SourceDown())  // 12:30
        try await self.advance(run, to: noon.addingTimeInterval(52 * 60), expecting: "secret-1")
        guard case .degraded(let failure) = run.provider.status else {
            Issue.record("expected degraded at 12:52, got \(run.provider.status)")
            return
        }
        #expect(failure.since == refreshAt)
        let attemptsDuringOutage = run.source.fetches - 1
        #expect(attemptsDuringOutage == failure.attempts)
        #expect(attemptsDuringOutage >= 5 && attemptsDuringOutage <= 25, "\(attemptsDuringOutage) attempts")

        run.source.setFailing(nil)  // 12:52
        let retry = run.clock.nextDeadline!
        #expect(retry.timeIntervalSince(noon.addingTimeInterval(52 * 60)) <= 300)
        run.clock.advance(to: retry)
        await settle(run.clock, run.provider)
        #expect(run.provider.status == .fresh)
        #expect(try await run.provider.current() == "secret-\(run.source.fetches)")
        #expect(run.logs.lines.filter { $0.hasPrefix("warning") }.count == 1)
        #expect(run.logs.lines.filter { $0.contains("recovered") }.count == 1)
        run.runner.cancel()
        _ = await run.runner.result
    }

    @Test func vaultDownPastExpiry() async throws {
        let run = await self.start()
        let expiry = run.noon.addingTimeInterval(3600)
        run.source.setFailing(SourceDown())
        try await self.advance(run, to: expiry.addingTimeInterval(-1), expecting: "secret-1")
        let times = run.source.counts.withLock { $0.fetchTimes }
        // One last attempt 15 s before expiry (half the 30 s mandatory window), however long the backoff.
        #expect(times.contains(expiry.addingTimeInterval(-15)), "\(times.map { $0.timeIntervalSince(run.noon) })")

        run.clock.advance(to: expiry.addingTimeInterval(1))
        do {
            _ = try await run.provider.current()
            Issue.record("served an expired lease")
        } catch let error as CredentialsError {
            #expect(error.code == .expired)
            #expect(error.message.contains("expired at"))
            #expect(error.message.contains("has been failing since"))
            #expect(error.message.contains("attempts): connection refused"))
        }
        guard case .expired = run.provider.status else {
            Issue.record("expected expired, got \(run.provider.status)")
            return
        }
        run.runner.cancel()
        _ = await run.runner.result
    }
}
