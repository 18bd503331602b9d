import Foundation
import Testing
import WardenCore
import WardenTesting

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTheirDeadlineIsReached() async throws {
        let clock = ManualClock()
        let start = clock.now
        let task = Task {
            try await clock.sleep(for: .seconds(10))
            return clock.now
        }
        await clock.waitForSleepers(count: 1)
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        let woke = try await task.value
        #expect(woke == start.addingTimeInterval(10))
        #expect(clock.sleeperCount == 0)
    }

    @Test func aPastDeadlineReturnsImmediately() async throws {
        let clock = ManualClock()
        try await clock.sleep(until: clock.now.addingTimeInterval(-5))
        try await clock.sleep(for: .zero)
    }

    @Test func cancellationThrowsAndRemovesTheSleeper() async {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(count: 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func timeNeverMovesBackwards() {
        let clock = ManualClock()
        let start = clock.now
        clock.advance(to: start.addingTimeInterval(-100))
        #expect(clock.now == start)
        #expect(clock.nextDeadline == nil)
    }
}
