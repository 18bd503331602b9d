import Foundation
import WardenCore

extension RotatingCredentialProvider {
    /// One call or pair of calls to the source (a renewal, then a fetch if the renewal fails), shared by every party
    /// that needs a refresh at the time: the background loop, callers, a refusal.
    struct Attempt: Sendable {
        let id: UInt64
        let task: Task<Void, Never>
        let startedAt: ContinuousClock.Instant
        /// Started because the consumer refused the held credential: it does not end a run of refusals.
        let afterRefusal: Bool
        /// ``State/refusalEpoch`` when it started: a renewal of a credential refused meanwhile is not installed.
        let refusalEpoch: UInt64
    }

    /// What an attempt brought back.
    enum Outcome: Sendable {
        case fetched(Credential<Source.Value>)
        case renewed(Credential<Source.Value>, at: Date)
        /// The source failed with nothing held, and the persistent cache had a valid credential.
        case cached(Credential<Source.Value>, sourceError: any Error)
        case failed(any Error)
        /// A renewal failed only because the source could not answer, with time left: retried, not followed by a fetch.
        case renewalDeferred(any Error)
        case cancelled
    }

    /// Everything the provider knows, guarded by one lock. The status is derived from it, never stored.
    struct State: Sendable {
        var credential: Credential<Source.Value>?
        /// When the held credential's current lifetime began: its issue, or its last renewal.
        var lifetimeStart: Date?
        /// The lifetime of the held credential as first fetched: what a renewal is expected to grant.
        var fullLifetime: TimeInterval?
        /// A renewal granted less than asked (the lease reached its maximum lifetime): the next refresh fetches a
        /// replacement, scheduled to arrive while the old one has a useful remainder.
        var isCapped = false
        /// When the held credential is due for refresh (wall clock).
        var refreshAt: Date?
        var failure: CredentialFailure?
        /// No attempt starts before this instant (monotonic): the backoff after a failure, the minimum refresh interval
        /// after any attempt, the spacing of repeated refusals.
        var notBefore: ContinuousClock.Instant?
        var lastAttemptStart: ContinuousClock.Instant?
        /// The one retry moved forward to just before hard expiry has been scheduled in this run of failures.
        var lastChanceScheduled = false
        /// A renewal put off for unavailability has had its last retry scheduled: if that fails, a fetch follows.
        var lastRenewalScheduled = false
        var attempt: Attempt?
        var nextAttemptID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        /// The consumer reported the held credential refused (``RotatingCredentialProvider/invalidate(where:)``): it is
        /// no longer served, and the next refresh fetches rather than renews.
        var isRejected = false
        /// The source said it has something newer (``RotatingCredentialProvider/refreshNow()``): fetch ahead of the
        /// schedule, serving the held credential meanwhile. Cleared when an attempt starts.
        var isRefreshRequested = false
        /// The source said the held credential is to be replaced, not renewed (``RotatingCredentialProvider/refreshNow()``):
        /// every attempt fetches until a fetched credential is installed, a failed fetch included.
        var isFetchRequired = false
        var refusalEpoch: UInt64 = 0
        /// Refusals since the last refresh that no refusal caused: spaces their fetches by the backoff policy.
        var refusalStreak = 0
        /// Identities of refused credentials, newest last: a source that returns one again has failed.
        var refused: [String] = []
        var lastSuccess: Date?
        var lastRotation: Date?
        var isShuttingDown = false
        var isLoopRunning = false
        /// The background loop's sleep, cancelled to wake it early.
        var loopSleep: Task<Void, any Error>?
        /// Counts installed credentials, so that a check made outside the lock can tell whether it still applies.
        var generation: UInt64 = 0
        var isRevoked = false
        /// Whether the persistent cache was read (once, at the first failure with nothing held).
        var isCacheRead = false
        /// The persistent cache's directory while the credential held came from it and no answer of the source has
        /// confirmed or replaced it since: each failure until then says so.
        var servedFromCache: String?
        /// Shut down, and revoking the held credential failed: it is no longer served.
        var isRetired = false
        var subscribers: [UInt64: AsyncStream<RotationEvent<Source.Value>>.Continuation] = [:]
        var nextSubscriberID: UInt64 = 0
        var jitter: JitterGenerator

        init(jitter: JitterGenerator) {
            self.jitter = jitter
        }

        // MARK: Reading

        /// The held value, if it may be served at all: valid, or within the opted-in stale extension.
        func servableValue(at now: Date, policy: RotationPolicy, allowsStale: Bool) -> Source.Value? {
            guard !self.isRevoked, !self.isRetired, !self.isRejected, let credential = self.credential else {
                return nil
            }
            guard let expiresAt = credential.expiresAt, now > expiresAt else { return credential.value }
            if allowsStale, let extensionTime = policy.staleExtension,
                now <= expiresAt.addingTimeInterval(extensionTime.timeInterval)
            {
                return credential.value
            }
            return nil
        }

        /// Until when a caller that waits for a refresh may be held: the held value's expiry (or the end of its stale
        /// extension), or no bound when nothing is held (the fetch timeout bounds that wait).
        func waitDeadline(policy: RotationPolicy, allowsStale: Bool) -> Date? {
            guard !self.isRejected, let expiresAt = self.credential?.expiresAt else { return nil }
            if allowsStale, let extensionTime = policy.staleExtension {
                return expiresAt.addingTimeInterval(extensionTime.timeInterval)
            }
            return expiresAt
        }

        /// The mandatory window of the held credential, in seconds: the policy's, at most 10% of its current lifetime.
        func mandatoryWindow(policy: RotationPolicy) -> TimeInterval {
            guard let expiresAt = self.credential?.expiresAt, let start = self.lifetimeStart else { return 0 }
            return Self.mandatoryWindow(lifetime: expiresAt.timeIntervalSince(start), policy: policy)
        }

        static func mandatoryWindow(lifetime: TimeInterval, policy: RotationPolicy) -> TimeInterval {
            max(0, min(policy.mandatoryRefreshWindow.timeInterval, max(0, lifetime) * 0.1))
        }

        /// Whether a renewal of the held credential that has just failed (at `now`) only because the source could not
        /// answer may be retried rather than followed by a fetch: the credential was not refused or pushed out
        /// meanwhile, and still has more than the deferral reserve left (``deferralReserve(policy:)``). Judged when
        /// the renewal failed, not when it was asked for: one that hung until its timeout has used up its time.
        func mayDeferFailedRenewal(at now: Date, refusalEpoch: UInt64, policy: RotationPolicy) -> Bool {
            guard !self.isRejected, !self.isFetchRequired, !self.lastRenewalScheduled,
                self.refusalEpoch == refusalEpoch,
                let expiresAt = self.credential?.expiresAt, let reserve = self.deferralReserve(policy: policy)
            else { return false }
            return expiresAt.timeIntervalSince(now) > reserve
        }

        /// What a failing renewal leaves for the fetch after it: a quarter of the full lifetime, or the mandatory
        /// window if longer. Below the third that renewals start with (``scheduleRefresh(at:policy:)``), so that a
        /// renewal's own lateness does not use it up.
        func deferralReserve(policy: RotationPolicy) -> TimeInterval? {
            guard let expiresAt = self.credential?.expiresAt else { return nil }
            let full = self.fullLifetime ?? expiresAt.timeIntervalSince(self.lifetimeStart ?? expiresAt)
            return max(full / 4, self.mandatoryWindow(policy: policy))
        }

        /// Where the held credential's mandatory window begins: from then on callers wait for a refresh.
        func windowStart(policy: RotationPolicy) -> Date {
            guard let expiresAt = self.credential?.expiresAt else { return .distantFuture }
            return expiresAt.addingTimeInterval(-self.mandatoryWindow(policy: policy))
        }

        /// Whether a refresh is needed now.
        func isDue(at now: Date, policy: RotationPolicy) -> Bool {
            guard self.credential != nil, !self.isRejected, !self.isRefreshRequested, self.failure == nil else {
                return true
            }
            return now >= min(self.refreshAt ?? now, self.windowStart(policy: policy))
        }

        /// Whether an attempt may start now.
        func canStart(at monotonicNow: ContinuousClock.Instant) -> Bool {
            self.attempt == nil && !self.isShuttingDown && !self.isRevoked && !self.isRetired
                && self.notBefore.map { monotonicNow >= $0 } ?? true
        }

        /// How long the background loop may sleep before it has something to do.
        func timeUntilDue(at now: Date, monotonicNow: ContinuousClock.Instant, policy: RotationPolicy) -> Duration {
            var wait = Duration.zero
            if !self.isDue(at: now, policy: policy) {
                let due = min(self.refreshAt ?? now, self.windowStart(policy: policy))
                wait = .seconds(max(0, due.timeIntervalSince(now)))
            }
            if let notBefore = self.notBefore, notBefore > monotonicNow {
                wait = max(wait, notBefore - monotonicNow)
            }
            return wait
        }

        /// The instant until which the hot path may return the held value without asking the engine: the next
        /// refresh point (or the end of a backoff), but never past the mandatory window.
        func pokeAt(now: Date, monotonicNow: ContinuousClock.Instant, policy: RotationPolicy) -> Date {
            let windowStart = self.windowStart(policy: policy)
            if self.attempt != nil || self.isShuttingDown { return windowStart }
            if self.failure != nil && !self.isLoopRunning {
                // Retries happen on the request path, timed on the monotonic clock: a wall-clock poke would stall
                // them if the wall clock stepped back. (`now` itself would be one: it lies ahead after a step back.)
                return .distantPast
            }
            var poke = self.refreshAt ?? now
            if self.failure != nil { poke = now }
            if let notBefore = self.notBefore, notBefore > monotonicNow {
                poke = max(poke, now.addingTimeInterval((notBefore - monotonicNow).timeInterval))
            }
            return min(poke, windowStart)
        }

        func status(at now: Date) -> CredentialStatus {
            if self.isRevoked { return .revoked }
            if self.isRetired, let failure = self.failure { return .unavailable(failure) }
            guard let credential = self.credential, !self.isRejected else {
                if let failure = self.failure { return .unavailable(failure) }
                return .pending
            }
            if let expiresAt = credential.expiresAt, now > expiresAt {
                return .expired(since: expiresAt, failure: self.failure)
            }
            if let failure = self.failure { return .degraded(failure) }
            return self.attempt == nil ? .fresh : .refreshing
        }

        /// Why nothing can be served, naming since when the source has been failing and why.
        func unusableError(at now: Date) -> CredentialsError {
            if self.isRevoked {
                return CredentialsError(.revoked, "the provider shut down and revoked its credential")
            }
            if self.isRetired {
                return CredentialsError(.unavailable, "the provider shut down and its credential is retired")
            }
            let why =
                self.failure.map {
                    "the source has been failing since \($0.since) (\($0.attempts) attempts): \($0.lastError)"
                }
                ?? (self.isShuttingDown ? "the provider has shut down" : "no refresh has succeeded since")
            if self.isRejected {
                return CredentialsError(
                    .unavailable,
                    "the held credential was refused by its consumer and no new one could be fetched yet: \(why)",
                    failingSince: self.failure?.since
                )
            }
            guard let credential = self.credential, let expiresAt = credential.expiresAt else {
                return CredentialsError(
                    .unavailable,
                    "no credential could be fetched: \(why)",
                    failingSince: self.failure?.since
                )
            }
            return CredentialsError(
                .expired,
                "the credential expired at \(expiresAt); \(why)",
                failingSince: self.failure?.since ?? expiresAt
            )
        }

        // MARK: Changing

        /// Why `credential`, just fetched, must not be served, or `nil` when it may be.
        func problem(withFetched credential: Credential<Source.Value>, at now: Date, policy: RotationPolicy) -> String?
        {
            if let problem = Self.problem(with: credential, at: now) { return problem }
            let identity = Self.identity(of: credential)
            if let identity, self.refused.contains(identity) {
                return "the source returned a credential its consumer refused"
            }
            if let identity, identity == self.credential.flatMap(Self.identity(of:)),
                let expiresAt = credential.expiresAt
            {
                let window = Self.mandatoryWindow(
                    lifetime: expiresAt.timeIntervalSince(credential.issuedAt),
                    policy: policy
                )
                if now >= expiresAt.addingTimeInterval(-window) {
                    return "the source returned the held credential again, which expires at \(expiresAt)"
                }
            }
            return nil
        }

        /// Why `credential` is unusable whatever the state: it expires no later than it was issued, or has expired.
        static func problem(with credential: Credential<Source.Value>, at now: Date) -> String? {
            guard let expiresAt = credential.expiresAt else { return nil }
            if expiresAt <= credential.issuedAt {
                return "the credential expires at \(expiresAt), not after it was issued at \(credential.issuedAt)"
            }
            if expiresAt <= now {
                return "the credential arrived already expired (at \(expiresAt))"
            }
            return nil
        }

        /// What tells one credential from another without its value: the source's identifier, else its lease.
        static func identity(of credential: Credential<Source.Value>) -> String? {
            credential.metadata.identifier ?? credential.metadata.leaseID
        }

        mutating func remember(refused credential: Credential<Source.Value>) {
            guard let identity = Self.identity(of: credential) else { return }
            self.refused.append(identity)
            if self.refused.count > 16 { self.refused.removeFirst() }
        }

        /// Holds `credential` from now on and schedules its refresh.
        mutating func install(
            _ credential: Credential<Source.Value>,
            renewedAt: Date?,
            attempt: Attempt,
            now: Date,
            policy: RotationPolicy
        ) {
            self.credential = credential
            self.servedFromCache = nil
            self.generation &+= 1
            if let renewedAt, let expiresAt = credential.expiresAt {
                // A renewal is judged by what it grants from the moment of renewal, not by where expiry lands.
                self.lifetimeStart = renewedAt
                let granted = expiresAt.timeIntervalSince(renewedAt)
                // Sources give whole seconds (Vault's TTLs): a second short is still a full grant, but never more
                // than a tenth of the lifetime, or a 3 s token's capped 2 s grant would pass for a full one.
                if let full = self.fullLifetime, granted < full - min(max(1, full * 0.01), full * 0.1) {
                    self.isCapped = true
                }
            } else {
                self.lifetimeStart = credential.issuedAt
                self.fullLifetime = credential.expiresAt.map { $0.timeIntervalSince(credential.issuedAt) }
                self.isCapped = false
                self.isRejected = false
            }
            self.failure = nil
            self.lastChanceScheduled = false
            self.lastRenewalScheduled = false
            if !attempt.afterRefusal { self.refusalStreak = 0 }
            self.notBefore = attempt.startedAt.advanced(by: policy.minimumRefreshInterval)
            self.lastSuccess = now
            self.refreshAt = self.scheduleRefresh(at: now, policy: policy)
        }

        /// Picks the next refresh time of the credential just installed.
        mutating func scheduleRefresh(at now: Date, policy: RotationPolicy) -> Date {
            guard let credential = self.credential else { return now }
            if let hint = credential.refreshHint, hint > now || self.lifetimeStart == credential.issuedAt {
                var refreshAt = min(hint, self.windowStart(policy: policy))
                if let latest = self.latestRefresh(policy: policy) { refreshAt = min(refreshAt, latest) }
                return max(now, refreshAt)
            }
            guard let expiresAt = credential.expiresAt, let start = self.lifetimeStart else {
                let interval = policy.rereadInterval.timeInterval * Double.random(in: 0.8...1.0, using: &self.jitter)
                return now.addingTimeInterval(interval)
            }
            var refreshAt = ValidityWindow(notBefore: start, notAfter: expiresAt)
                .refreshDate(between: policy.refreshWindow, using: &self.jitter)
            var isBackdated = false
            if refreshAt <= now {
                // Issued long before it reached us (a cache, an agent, an issuer that back-dates `notBefore`): take
                // the same share of what is left, and measure the mandatory window on what is left too.
                self.lifetimeStart = now
                refreshAt = ValidityWindow(notBefore: now, notAfter: expiresAt)
                    .refreshDate(between: policy.refreshWindow, using: &self.jitter)
                isBackdated = true
            }
            // A back-dated credential has less than a third of its lifetime left from the start: bounding its renewal
            // by that third would renew (and fetch) it at every minimum interval.
            if let latest = self.latestRefresh(policy: policy, renewing: !isBackdated) {
                refreshAt = min(refreshAt, latest)
            }
            return max(now, refreshAt)
        }

        /// The latest refresh of a renewable or capped credential. The replacement of a capped one must arrive while
        /// it still has a third of a full lifetime (or the mandatory window) left, so that a consumer can move over
        /// while both are valid. A renewal starts earlier by the minimum interval: a grant it finds capped then leaves
        /// at least that third plus the spacing the replacement's fetch must keep, and a renewal failing because the
        /// source is down has time to be retried before a fetch must follow.
        func latestRefresh(policy: RotationPolicy, renewing: Bool = true) -> Date? {
            guard self.isCapped || (renewing && self.credential?.isRenewable == true), let full = self.fullLifetime,
                let expiresAt = self.credential?.expiresAt
            else { return nil }
            let reserve = max(full / 3, self.mandatoryWindow(policy: policy))
            let spacing = self.isCapped ? 0 : policy.minimumRefreshInterval.timeInterval
            return expiresAt.addingTimeInterval(-reserve - spacing)
        }

        /// Records a failed attempt and schedules the retry: exponential backoff with full jitter, never zero, and
        /// one retry moved forward to the middle of the mandatory window when backing off would sleep past it.
        mutating func recordFailure(
            _ error: any Error,
            at now: Date,
            monotonicNow: ContinuousClock.Instant,
            policy: RotationPolicy,
            renewalDeferred: Bool = false
        ) -> CredentialFailure {
            let attempts = (self.failure?.attempts ?? 0) + 1
            var delay = policy.backoff.delay(forAttempt: attempts - 1, using: &self.jitter).timeInterval
            if renewalDeferred, let expiresAt = self.credential?.expiresAt,
                let reserve = self.deferralReserve(policy: policy)
            {
                // A renewal put off must not be put off past the point where a fetch has to follow it.
                let lastRenewal = expiresAt.addingTimeInterval(-reserve)
                if now.addingTimeInterval(delay) >= lastRenewal {
                    delay = min(
                        delay,
                        max(lastRenewal.timeIntervalSince(now), policy.backoff.minimumDelay.timeInterval)
                    )
                    self.lastRenewalScheduled = true
                }
            }
            if !self.isRejected, !self.lastChanceScheduled, let expiresAt = self.credential?.expiresAt, now < expiresAt
            {
                let lastChance = expiresAt.addingTimeInterval(-self.mandatoryWindow(policy: policy) / 2)
                if now.addingTimeInterval(delay) > lastChance {
                    delay = max(lastChance.timeIntervalSince(now), policy.backoff.minimumDelay.timeInterval)
                    self.lastChanceScheduled = true
                }
            }
            // The later of the backoff and any spacing already in force (the minimum interval, refusals).
            let retry = monotonicNow.advanced(by: .seconds(delay))
            self.notBefore = max(self.notBefore ?? retry, retry)
            let failure = CredentialFailure(
                since: self.failure?.since ?? now,
                attempts: attempts,
                lastError: "\(error)",
                nextRetry: now.addingTimeInterval(delay)
            )
            self.failure = failure
            return failure
        }

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { self.waiters = [:] }
            return Array(self.waiters.values)
        }
    }
}

/// The jitter source: seeded for reproducible tests, the system's otherwise.
struct JitterGenerator: RandomNumberGenerator, Sendable {
    private var seeded: SplitMix64?

    init(seed: UInt64?) {
        self.seeded = seed.map(SplitMix64.init(seed:))
    }

    mutating func next() -> UInt64 {
        if self.seeded != nil { return self.seeded!.next() }
        var system = SystemRandomNumberGenerator()
        return system.next()
    }
}
