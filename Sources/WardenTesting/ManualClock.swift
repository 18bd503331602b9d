public import Foundation
import Synchronization
public import WardenCore

/// A clock that moves only when told to, for deterministic tests of anything that waits.
///
/// ``advance(by:)`` and ``advance(to:)`` move the wall clock and the monotonic clock together, as time passing does.
/// ``stepWallClock(by:)`` moves the wall clock alone, forwards or backwards, as an NTP correction does, so that a test
/// can check that retries and timeouts follow the monotonic clock while expiry follows the wall clock.
///
/// Sleepers resume, in deadline order, when the clock they sleep on reaches their deadline. ``waitForSleepers(count:)``
/// lets a test wait until the code under test has gone to sleep before it moves the time.
public final class ManualClock: WardenClock {
    private enum Deadline {
        case wall(Date)
        case monotonic(Duration)
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Deadline
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        /// Monotonic time since the clock was created.
        var elapsed: Duration = .zero
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0

        func isDue(_ deadline: Deadline) -> Bool {
            switch deadline {
            case .wall(let date): date <= self.now
            case .monotonic(let elapsed): elapsed <= self.elapsed
            }
        }

        /// A deadline as the wall-clock instant at which it comes if time just passes from here.
        func wallEquivalent(of deadline: Deadline) -> Date {
            switch deadline {
            case .wall(let date): date
            case .monotonic(let elapsed): self.now.addingTimeInterval((elapsed - self.elapsed).timeInterval)
            }
        }

        mutating func takeDue() -> [Sleeper] {
            let snapshot = self
            let due = snapshot.sleepers.filter { snapshot.isDue($0.deadline) }
                .sorted { snapshot.wallEquivalent(of: $0.deadline) < snapshot.wallEquivalent(of: $1.deadline) }
            self.sleepers.removeAll { snapshot.isDue($0.deadline) }
            return due
        }
    }

    private let origin = ContinuousClock.now
    private let state: Mutex<State>

    /// Creates a clock that reads `now` until it is advanced.
    public init(now: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        self.state = Mutex(State(now: now))
    }

    /// The clock's current wall-clock time.
    public var now: Date {
        self.state.withLock { $0.now }
    }

    /// The clock's monotonic reading: moved by ``advance(by:)`` and ``advance(to:)``, never by
    /// ``stepWallClock(by:)``.
    public var monotonicNow: ContinuousClock.Instant {
        self.origin.advanced(by: self.state.withLock { $0.elapsed })
    }

    /// The number of tasks sleeping on this clock.
    public var sleeperCount: Int {
        self.state.withLock { $0.sleepers.count }
    }

    /// The earliest wall-clock instant at which a sleeper wakes if time just passes, if any task sleeps.
    public var nextDeadline: Date? {
        self.state.withLock { state in state.sleepers.map { state.wallEquivalent(of: $0.deadline) }.min() }
    }

    /// Suspends until the wall clock is at or past `deadline`; returns at once if it already is there.
    public func sleep(until deadline: Date) async throws {
        try await self.sleep(.wall(deadline))
    }

    /// Suspends until the monotonic clock has moved by `duration`.
    public func sleep(for duration: Duration) async throws {
        let deadline = self.state.withLock { $0.elapsed + duration }
        try await self.sleep(.monotonic(deadline))
    }

    private func sleep(_ deadline: Deadline) async throws {
        let id = self.state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case sleep, resume, cancel }
                let outcome = self.state.withLock { state -> Outcome in
                    // Checked under the lock, so that a cancellation either sees the sleeper or happened before.
                    if Task.isCancelled { return .cancel }
                    if state.isDue(deadline) { return .resume }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .sleep
                }
                switch outcome {
                case .sleep: break
                case .resume: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let sleeper = self.state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Lets `duration` pass: moves the wall and the monotonic clock forward together and wakes every sleeper whose
    /// deadline has come.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "time does not pass backwards; use stepWallClock(by:) for a wall-clock step")
        let due = self.state.withLock { state -> [Sleeper] in
            state.now = state.now.addingTimeInterval(duration.timeInterval)
            state.elapsed += duration
            return state.takeDue()
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Lets time pass until the wall clock reads `date` (never backwards), and wakes every sleeper whose deadline has
    /// come, including every monotonic sleeper whose deadline ``nextDeadline`` showed at or before `date`.
    public func advance(to date: Date) {
        let due = self.state.withLock { state -> [Sleeper] in
            let interval = max(0, date.timeIntervalSince(state.now))
            // A monotonic deadline converted to a date and back can land a rounding error short of itself.
            var elapsed = state.elapsed + .seconds(interval)
            for sleeper in state.sleepers {
                if case .monotonic(let deadline) = sleeper.deadline, state.wallEquivalent(of: sleeper.deadline) <= date
                {
                    elapsed = max(elapsed, deadline)
                }
            }
            state.now = state.now.addingTimeInterval(interval)
            state.elapsed = elapsed
            return state.takeDue()
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Steps the wall clock alone by `offset` (negative steps it back), as an NTP correction does; the monotonic clock
    /// does not move. Wakes every wall-clock sleeper whose deadline has come.
    public func stepWallClock(by offset: Duration) {
        let due = self.state.withLock { state -> [Sleeper] in
            state.now = state.now.addingTimeInterval(offset.timeInterval)
            return state.takeDue()
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (yielding, with no real sleep) until at least `count` tasks sleep on this clock.
    public func waitForSleepers(count: Int = 1) async {
        while self.sleeperCount < count {
            await Task.yield()
        }
    }
}
