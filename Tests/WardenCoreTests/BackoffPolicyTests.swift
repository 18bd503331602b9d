import Testing
import WardenCore
import WardenTesting

@Suite struct BackoffPolicyTests {
    @Test func ceilingDoublesFromOneSecondToTheFiveMinuteCap() {
        let policy = BackoffPolicy.default
        let ceilings = (0..<12).map { policy.ceiling(forAttempt: $0) }
        #expect(Array(ceilings.prefix(9)) == [1, 2, 4, 8, 16, 32, 64, 128, 256].map { Duration.seconds($0) })
        #expect(ceilings.dropFirst(9).allSatisfy { $0 == .seconds(300) })
        #expect(policy.ceiling(forAttempt: 10_000) == .seconds(300))
    }

    @Test func fullJitterStaysBetweenTheFloorAndTheCeilingAndNeverZero() {
        let policy = BackoffPolicy.default
        var generator = SeededRandomNumberGenerator(seed: 99)
        for attempt in 0..<40 {
            for _ in 0..<50 {
                let delay = policy.delay(forAttempt: attempt, using: &generator)
                #expect(delay >= .milliseconds(100))
                #expect(delay <= policy.ceiling(forAttempt: attempt))
                #expect(delay > .zero)
            }
        }
    }

    @Test func fullJitterSpreadsOverTheWholeRange() {
        let policy = BackoffPolicy.default
        var generator = SeededRandomNumberGenerator(seed: 5)
        let delays = (0..<1000).map { _ in policy.delay(forAttempt: 8, using: &generator) }
        #expect(delays.min()! < .seconds(10))
        #expect(delays.max()! > .seconds(240))
    }

    @Test func sameSeedGivesTheSameSchedule() {
        var first = Backoff(policy: .default)
        var second = Backoff(policy: .default)
        var a = SeededRandomNumberGenerator(seed: 3)
        var b = SeededRandomNumberGenerator(seed: 3)
        for _ in 0..<20 {
            #expect(first.nextDelay(using: &a) == second.nextDelay(using: &b))
        }
    }

    @Test func noJitterIsTheCeilingAndEqualJitterTheUpperHalf() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        let none = BackoffPolicy(jitter: .none)
        #expect(none.delay(forAttempt: 3, using: &generator) == .seconds(8))
        let equal = BackoffPolicy(jitter: .equal)
        for _ in 0..<100 {
            let delay = equal.delay(forAttempt: 3, using: &generator)
            #expect(delay >= .seconds(4) && delay <= .seconds(8))
        }
    }

    @Test func retryLimitEndsTheScheduleAndResetStartsOver() {
        var backoff = Backoff(policy: BackoffPolicy(jitter: .none, maximumRetries: 3))
        var generator = SeededRandomNumberGenerator(seed: 0)
        #expect(backoff.nextDelay(using: &generator) == .seconds(1))
        #expect(backoff.nextDelay(using: &generator) == .seconds(2))
        #expect(backoff.nextDelay(using: &generator) == .seconds(4))
        #expect(backoff.nextDelay(using: &generator) == nil)
        #expect(backoff.attempt == 3)
        backoff.reset()
        #expect(backoff.nextDelay(using: &generator) == .seconds(1))
    }

    @Test func nonsensicalSettingsAreClampedToAUsablePolicy() {
        let policy = BackoffPolicy(
            initialDelay: .zero,
            multiplier: .nan,
            maximumDelay: .zero,
            minimumDelay: .zero,
            jitter: .full
        )
        var generator = SeededRandomNumberGenerator(seed: 2)
        for attempt in 0..<10 {
            #expect(policy.delay(forAttempt: attempt, using: &generator) > .zero)
        }
        #expect(BackoffPolicy(multiplier: 0.5, jitter: .none).ceiling(forAttempt: 5) == .seconds(1))
    }
}
