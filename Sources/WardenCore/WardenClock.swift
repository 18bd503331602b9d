public import Foundation
import Synchronization

/// The source of "now" and of sleeping, injected into every component that reads the time.
///
/// A Warden clock has two readings, for two different questions:
///
/// - ``now``, the wall clock, answers "has this credential expired?": certificates, tokens and leases expire at
///   wall-clock instants set by their issuer.
/// - ``monotonicNow``, a clock that never jumps, answers "how long since the last attempt?": retry backoff, minimum
///   intervals and timeouts are measured on it, so that an NTP step of the wall clock (backwards by an hour, say)
///   neither stalls retries nor fires them all at once.
///
/// Production code uses ``SystemClock``. Tests use `ManualClock`, from the `WardenTesting` product, and move time by
/// hand, so that expiry, refresh and backoff are tested deterministically and without real sleeps.
public protocol WardenClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }

    /// The current reading of a clock that never jumps and keeps counting while the system sleeps. Only differences
    /// between two readings mean anything.
    var monotonicNow: ContinuousClock.Instant { get }

    /// Suspends until the wall clock reaches `deadline`, or throws `CancellationError` when the task is cancelled
    /// first.
    func sleep(until deadline: Date) async throws

    /// Suspends for `duration` measured on the monotonic clock, or throws `CancellationError` when the task is
    /// cancelled first.
    func sleep(for duration: Duration) async throws
}

extension WardenClock {
    /// `ContinuousClock.now`: the default for clocks that only replace the wall clock.
    public var monotonicNow: ContinuousClock.Instant { ContinuousClock.now }

    /// A real sleep on the continuous clock: the default for clocks that only replace the wall clock.
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// The real clock: `Date()` for now, `ContinuousClock` for monotonic time, and real sleeps.
public struct SystemClock: WardenClock {
    /// Creates the system clock.
    public init() {}

    /// `Date()`.
    public var now: Date { Date() }

    /// `ContinuousClock.now`.
    public var monotonicNow: ContinuousClock.Instant { ContinuousClock.now }

    /// Sleeps on the continuous clock for the wall-clock time left until `deadline`.
    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        if interval > 0 {
            try await Task.sleep(for: .seconds(interval))
        } else {
            try Task.checkCancellation()
        }
    }

    /// Sleeps on the continuous clock.
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension WardenClock where Self == SystemClock {
    /// The real clock.
    public static var system: SystemClock { SystemClock() }
}
