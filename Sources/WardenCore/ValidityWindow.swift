public import Foundation

/// The interval in which a credential is valid: a certificate's notBefore…notAfter, a lease's issue time plus its
/// duration.
///
/// It also holds the arithmetic the rotation engine uses to decide when to refresh: a jittered point between two
/// fractions of the lifetime, so that a fleet of processes holding credentials with the same lifetime does not refresh
/// in the same second.
public struct ValidityWindow: Hashable, Sendable, Codable {
    /// The first instant at which the credential is valid.
    public var notBefore: Date

    /// The last instant at which the credential is valid (inclusive, as in RFC 5280).
    public var notAfter: Date

    /// Creates a window. If `notAfter` is earlier than `notBefore`, the window is empty: it contains no instant.
    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Creates a window that starts at `issued` and lasts `duration`.
    public init(issued: Date, duration: Duration) {
        self.init(notBefore: issued, notAfter: issued.addingTimeInterval(duration.timeInterval))
    }

    /// The length of the window, zero for an empty one.
    public var lifetime: Duration {
        .seconds(max(0, self.notAfter.timeIntervalSince(self.notBefore)))
    }

    /// Whether `date` lies within the window (both ends inclusive).
    public func contains(_ date: Date) -> Bool {
        self.notBefore <= date && date <= self.notAfter
    }

    /// Whether the window has ended at `date`.
    public func isExpired(at date: Date) -> Bool {
        date > self.notAfter
    }

    /// Whether the window has not started yet at `date`.
    public func isNotYetValid(at date: Date) -> Bool {
        date < self.notBefore
    }

    /// The time left until `notAfter` at `date`; zero once expired.
    public func remaining(at date: Date) -> Duration {
        .seconds(max(0, self.notAfter.timeIntervalSince(date)))
    }

    /// The share of the lifetime that has passed at `date`, clamped to `0...1`. An empty window counts as fully used.
    public func fractionElapsed(at date: Date) -> Double {
        let lifetime = self.notAfter.timeIntervalSince(self.notBefore)
        guard lifetime > 0 else { return 1 }
        return min(1, max(0, date.timeIntervalSince(self.notBefore) / lifetime))
    }

    /// The instant at `fraction` of the lifetime (0 is `notBefore`, 1 is `notAfter`).
    public func date(atFraction fraction: Double) -> Date {
        let lifetime = max(0, self.notAfter.timeIntervalSince(self.notBefore))
        return self.notBefore.addingTimeInterval(lifetime * min(1, max(0, fraction)))
    }

    /// A refresh time drawn uniformly between two fractions of the lifetime.
    ///
    /// The default, 50%–67%, is the range Vault's `LifetimeWatcher` and the AWS and Google SDKs use: late enough not
    /// to waste the credential, early enough to leave a third of the lifetime for retries when the source is down.
    ///
    /// - Parameters:
    ///   - fractions: the range of the lifetime to draw from; clamped to `0...1`.
    ///   - generator: the source of randomness; pass `WardenTesting`'s `SeededRandomNumberGenerator` for reproducible tests.
    public func refreshDate(
        between fractions: ClosedRange<Double> = 0.5...0.67,
        using generator: inout some RandomNumberGenerator
    ) -> Date {
        let lower = min(1, max(0, fractions.lowerBound))
        let upper = min(1, max(lower, fractions.upperBound))
        let fraction = lower == upper ? lower : Double.random(in: lower...upper, using: &generator)
        return self.date(atFraction: fraction)
    }
}

extension Duration {
    /// The duration in seconds as a `TimeInterval`, with attosecond parts folded in.
    package var timeInterval: TimeInterval {
        let (seconds, attoseconds) = self.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
