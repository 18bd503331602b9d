import Foundation
import WardenCore

extension RotatingCredentialProvider {
    /// Everything the provider knows, guarded by one lock. The status is derived from it, never stored.
    struct State: Sendable {
        var credential: Credential<Source.Value>?
        var refreshAt: Date?
        var failure: CredentialFailure?
        var renewalExhausted = false
        var inFlight: Task<Credential<Source.Value>, any Error>?
        var lastSuccess: Date?
        var lastRotation: Date?
        var isRevoked = false
        /// The consumer reported the held credential refused (``RotatingCredentialProvider/invalidate(where:)``): it is
        /// no longer served, and the next refresh fetches rather than renews.
        var isRejected = false
        var isShutDown = false
        var subscribers: [UInt64: AsyncStream<RotationEvent<Source.Value>>.Continuation] = [:]
        var nextSubscriberID: UInt64 = 0
        var jitter: JitterGenerator

        init(jitter: JitterGenerator) {
            self.jitter = jitter
        }

        /// The held value, if it may be served at all: valid, or within the opted-in stale extension.
        func servableValue(at now: Date, policy: RotationPolicy, allowsStale: Bool) -> Source.Value? {
            guard !self.isRevoked, !self.isRejected, let credential = self.credential else { return nil }
            guard let expiresAt = credential.expiresAt, now > expiresAt else { return credential.value }
            if allowsStale, let extensionTime = policy.staleExtension,
               now <= expiresAt.addingTimeInterval(extensionTime.timeInterval) {
                return credential.value
            }
            return nil
        }

        func status(at now: Date) -> CredentialStatus {
            if self.isRevoked { return .revoked }
            guard let credential = self.credential, !self.isRejected else {
                if let failure = self.failure { return .unavailable(failure) }
                return self.inFlight == nil ? .pending : .refreshing
            }
            if let expiresAt = credential.expiresAt, now > expiresAt {
                return .expired(since: expiresAt, failure: self.failure)
            }
            if let failure = self.failure { return .degraded(failure) }
            return self.inFlight == nil ? .fresh : .refreshing
        }

        /// Why nothing can be served, naming since when the source has been failing and why.
        func unusableError(at now: Date) -> CredentialsError {
            if self.isRevoked {
                return CredentialsError(.revoked, "the provider shut down and revoked its credential")
            }
            let why = self.failure.map { "the source has been failing since \($0.since) (\($0.attempts) attempts): \($0.lastError)" }
                ?? "no refresh has succeeded since"
            if self.isRejected {
                return CredentialsError(.unavailable, "the held credential was refused by its consumer and no new one could be fetched yet: \(why)", failingSince: self.failure?.since)
            }
            guard let credential = self.credential, let expiresAt = credential.expiresAt else {
                return CredentialsError(.unavailable, "no credential could be fetched: \(why)", failingSince: self.failure?.since)
            }
            return CredentialsError(.expired, "the credential expired at \(expiresAt); \(why)", failingSince: self.failure?.since ?? expiresAt)
        }

        /// When the background loop should next act.
        func nextDue(at now: Date) -> Date {
            if let failure = self.failure { return failure.nextRetry }
            guard self.credential != nil, !self.isRejected else { return now }
            return self.refreshAt ?? now
        }

        /// Picks the next refresh time of a credential just received.
        mutating func scheduleRefresh(of credential: Credential<Source.Value>, at now: Date, policy: RotationPolicy) -> Date {
            let earliest = now.addingTimeInterval(policy.minimumRefreshInterval.timeInterval)
            if let hint = credential.refreshHint {
                return max(earliest, min(hint, credential.expiresAt ?? hint))
            }
            guard let expiresAt = credential.expiresAt else {
                let interval = policy.rereadInterval.timeInterval * Double.random(in: 0.8...1.0, using: &self.jitter)
                return max(earliest, now.addingTimeInterval(interval))
            }
            var refreshAt = ValidityWindow(notBefore: credential.issuedAt, notAfter: expiresAt)
                .refreshDate(between: policy.refreshWindow, using: &self.jitter)
            if refreshAt <= now {
                // Issued long before it reached us (a cache, an agent): take the same share of what is left.
                refreshAt = ValidityWindow(notBefore: now, notAfter: expiresAt)
                    .refreshDate(between: policy.refreshWindow, using: &self.jitter)
            }
            return max(earliest, refreshAt)
        }

        /// Records a failed attempt and schedules the retry: exponential backoff with full jitter, never zero, and
        /// one last attempt shortly before a held credential's hard expiry rather than sleeping past it.
        mutating func recordFailure(_ error: any Error, at now: Date, policy: RotationPolicy) -> CredentialFailure {
            let attempts = (self.failure?.attempts ?? 0) + 1
            let delay = policy.backoff.delay(forAttempt: attempts - 1, using: &self.jitter)
            var nextRetry = now.addingTimeInterval(delay.timeInterval)
            if !self.isRejected, let credential = self.credential, let expiresAt = credential.expiresAt, now < expiresAt {
                let lastChance = expiresAt.addingTimeInterval(-Self.mandatoryWindow(of: credential, policy: policy) / 2)
                if nextRetry > lastChance {
                    nextRetry = max(lastChance, now.addingTimeInterval(policy.backoff.minimumDelay.timeInterval))
                }
            }
            let failure = CredentialFailure(
                since: self.failure?.since ?? now, attempts: attempts, lastError: "\(error)", nextRetry: nextRetry)
            self.failure = failure
            return failure
        }

        /// The mandatory window before hard expiry, in seconds: the policy's, but at most 10% of the lifetime.
        static func mandatoryWindow(of credential: Credential<Source.Value>, policy: RotationPolicy) -> TimeInterval {
            let lifetime = credential.validity?.lifetime.timeInterval ?? 0
            return min(policy.mandatoryRefreshWindow.timeInterval, lifetime * 0.1)
        }
    }
}

/// The jitter source: seeded for reproducible tests, the system's otherwise.
struct JitterGenerator: RandomNumberGenerator, Sendable {
    private var seeded: SeededRandomNumberGenerator?

    init(seed: UInt64?) {
        self.seeded = seed.map(SeededRandomNumberGenerator.init(seed:))
    }

    mutating func next() -> UInt64 {
        if self.seeded != nil { return self.seeded!.next() }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }
}
