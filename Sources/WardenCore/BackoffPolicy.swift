import Foundation

/// How long to wait between retries of a failing operation: exponential growth, a cap, and jitter.
///
/// The default is the schedule the rotation engine uses when a source is down: 1 s doubling to 5 min, with full
/// jitter (a uniform draw below the exponential ceiling, as in the AWS architecture blog's "Exponential Backoff And
/// Jitter"), and a floor so that a retry never fires with no delay at all. Jitter is what keeps a fleet of clients
/// from retrying against a recovering server in lockstep.
public struct BackoffPolicy: Hashable, Sendable {
    /// How the delay is drawn below the exponential ceiling.
    public struct Jitter: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case none, full, equal
        }
        private let kind: Kind

        /// No jitter: every delay is the ceiling itself. Deterministic, and the worst for a fleet.
        public static let none = Jitter(kind: .none)
        /// A uniform draw between ``BackoffPolicy/minimumDelay`` and the ceiling.
        public static let full = Jitter(kind: .full)
        /// Half the ceiling plus a uniform draw over the other half.
        public static let equal = Jitter(kind: .equal)

        /// `none`, `full` or `equal`.
        public var description: String {
            switch self.kind {
            case .none: "none"
            case .full: "full"
            case .equal: "equal"
            }
        }

        fileprivate func draw(
            ceiling: Duration,
            floor: Duration,
            using generator: inout some RandomNumberGenerator
        ) -> Duration {
            let upper = max(ceiling, floor)
            switch self.kind {
            case .none:
                return upper
            case .full:
                return Self.uniform(from: floor, to: upper, using: &generator)
            case .equal:
                return Self.uniform(from: max(floor, upper / 2), to: upper, using: &generator)
            }
        }

        private static func uniform(
            from lower: Duration,
            to upper: Duration,
            using generator: inout some RandomNumberGenerator
        ) -> Duration {
            guard upper > lower else { return upper }
            let lowerSeconds = lower.timeInterval
            return .seconds(Double.random(in: lowerSeconds...upper.timeInterval, using: &generator))
        }
    }

    /// The ceiling of the first retry's delay.
    public var initialDelay: Duration
    /// How much the ceiling grows with each failed attempt.
    public var multiplier: Double
    /// The largest delay ever returned.
    public var maximumDelay: Duration
    /// The smallest delay ever returned: a retry never fires immediately.
    public var minimumDelay: Duration
    /// How the delay is drawn below the ceiling.
    public var jitter: Jitter
    /// How many retries are allowed before giving up, or `nil` to retry for as long as the caller wants.
    public var maximumRetries: Int?

    /// Creates a policy. Values are clamped so that the policy is always usable: the multiplier is at least 1, the
    /// minimum delay is positive, and the maximum is at least the minimum.
    public init(
        initialDelay: Duration = .seconds(1),
        multiplier: Double = 2,
        maximumDelay: Duration = .seconds(300),
        minimumDelay: Duration = .milliseconds(100),
        jitter: Jitter = .full,
        maximumRetries: Int? = nil
    ) {
        let minimum = max(minimumDelay, .milliseconds(1))
        self.initialDelay = max(initialDelay, minimum)
        self.multiplier = multiplier.isFinite ? max(1, multiplier) : 2
        self.maximumDelay = max(maximumDelay, minimum)
        self.minimumDelay = minimum
        self.jitter = jitter
        self.maximumRetries = maximumRetries.map { max(0, $0) }
    }

    /// The rotation engine's default: 1 s doubling to 5 min, full jitter, never below 100 ms, no retry limit.
    public static let `default` = BackoffPolicy()

    /// The largest delay allowed before retry number `attempt` (0 is the first retry): the initial delay times the
    /// multiplier to the power `attempt`, capped at ``maximumDelay``.
    public func ceiling(forAttempt attempt: Int) -> Duration {
        let growth = pow(self.multiplier, Double(max(0, attempt)))
        let seconds = self.initialDelay.timeInterval * growth
        let maximum = self.maximumDelay.timeInterval
        guard seconds.isFinite, seconds < maximum else { return self.maximumDelay }
        return .seconds(seconds)
    }

    /// The delay before retry number `attempt` (0 is the first retry), drawn with this policy's jitter.
    ///
    /// The result always lies in `minimumDelay...maximumDelay`.
    public func delay(
        forAttempt attempt: Int,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        let delay = self.jitter.draw(
            ceiling: self.ceiling(forAttempt: attempt),
            floor: self.minimumDelay,
            using: &generator
        )
        return min(max(delay, self.minimumDelay), self.maximumDelay)
    }

    /// The delay before retry number `attempt`, drawn from the system's random number generator.
    public func delay(forAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(forAttempt: attempt, using: &generator)
    }
}

/// The state of one retry loop under a ``BackoffPolicy``: how many retries have happened, and the next delay.
///
/// ```swift
/// var backoff = Backoff(policy: .default)
/// while true {
///     do { return try await fetch() } catch {
///         guard let delay = backoff.nextDelay() else { throw error }
///         try await clock.sleep(for: delay)
///     }
/// }
/// ```
public struct Backoff: Sendable {
    /// The policy the delays follow.
    public let policy: BackoffPolicy
    /// How many delays have been handed out since the start or the last ``reset()``.
    public private(set) var attempt: Int

    /// Starts a retry loop with no failures yet.
    public init(policy: BackoffPolicy) {
        self.policy = policy
        self.attempt = 0
    }

    /// The delay before the next retry, or `nil` when the policy's ``BackoffPolicy/maximumRetries`` are used up.
    public mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> Duration? {
        if let limit = self.policy.maximumRetries, self.attempt >= limit {
            return nil
        }
        defer { self.attempt += 1 }
        return self.policy.delay(forAttempt: self.attempt, using: &generator)
    }

    /// The delay before the next retry, drawn from the system's random number generator.
    public mutating func nextDelay() -> Duration? {
        var generator = SystemRandomNumberGenerator()
        return self.nextDelay(using: &generator)
    }

    /// Starts over after a success.
    public mutating func reset() {
        self.attempt = 0
    }
}
