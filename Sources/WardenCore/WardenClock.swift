public import Foundation
import Synchronization

/// The source of "now" and of sleeping, injected into every component that reads the time.
///
/// Credentials, certificates and leases expire at wall-clock instants, so a Warden clock speaks `Date`. Production
/// code uses ``SystemClock``; tests use ``ManualClock`` and move time forward by hand, so that expiry, refresh and
/// backoff are tested deterministically and without real sleeps.
public protocol WardenClock: Sendable {
    /// The current time.
    var now: Date { get }

    /// Suspends until `deadline`, or throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Date) async throws
}

extension WardenClock {
    /// Suspends for `duration`, or throws `CancellationError` when the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await self.sleep(until: self.now.addingTimeInterval(duration.timeInterval))
    }
}

/// The real clock: `Date()` for now, and a real sleep.
public struct SystemClock: WardenClock {
    /// Creates the system clock.
    public init() {}

    /// `Date()`.
    public var now: Date { Date() }

    /// Sleeps on the continuous clock for the time left until `deadline`.
    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        if interval > 0 {
            try await Task.sleep(for: .seconds(interval))
        } else {
            try Task.checkCancellation()
        }
    }
}

extension WardenClock where Self == SystemClock {
    /// The real clock.
    public static var system: SystemClock { SystemClock() }
}

/// A clock that moves only when told to, for deterministic tests of anything that waits.
///
/// Sleepers resume, in deadline order, when ``advance(by:)`` or ``advance(to:)`` moves the time to or past their
/// deadline. ``waitForSleepers(count:)`` lets a test wait until the code under test has gone to sleep before it
/// moves the time.
public final class ManualClock: WardenClock {
    private struct Sleeper {
        var id: UInt64
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Creates a clock that reads `now` until it is advanced.
    public init(now: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        self.state = Mutex(State(now: now))
    }

    /// The clock's current time.
    public var now: Date {
        self.state.withLock { $0.now }
    }

    /// The number of tasks sleeping on this clock.
    public var sleeperCount: Int {
        self.state.withLock { $0.sleepers.count }
    }

    /// The earliest deadline any sleeper waits for, if any task sleeps.
    public var nextDeadline: Date? {
        self.state.withLock { $0.sleepers.map(\.deadline).min() }
    }

    /// Suspends until the clock is advanced to or past `deadline`; returns at once if it already is there.
    public func sleep(until deadline: Date) async throws {
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
                    if deadline <= state.now { return .resume }
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

    /// Moves the time forward by `duration` and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let target = self.now.addingTimeInterval(duration.timeInterval)
        self.advance(to: target)
    }

    /// Moves the time to `date` (never backwards) and wakes every sleeper whose deadline has come.
    public func advance(to date: Date) {
        let due = self.state.withLock { state -> [Sleeper] in
            state.now = max(state.now, date)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due {
            sleeper.continuation.resume()
        }
    }

    /// Waits (yielding, with no real sleep) until at least `count` tasks sleep on this clock.
    public func waitForSleepers(count: Int = 1) async {
        while self.sleeperCount < count {
            await Task.yield()
        }
    }
}
