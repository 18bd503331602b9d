public import Foundation
public import Logging
public import Metrics
public import ServiceLifecycle
import Synchronization
public import WardenCore

/// The rotation engine: keeps one credential fresh, serves it without waiting, and survives its source going down.
///
/// ```swift
/// let provider = RotatingCredentialProvider(source: databaseCredentials, owner: "payments")
/// let group = ServiceGroup(services: [provider, app], logger: logger)   // provider.run() refreshes in the background
/// let login = try await provider.current()                               // never waits while a valid value is held
/// ```
///
/// ## The contract
///
/// Each number is a ``RotationPolicy`` setting; its default is in brackets.
///
/// **Never serve what is not valid.**
/// - A credential that arrives already expired, or whose ``Credential/expiresAt`` is not after its
///   ``Credential/issuedAt``, is a failure of the source (``CredentialsError/Code/invalidCredential``), retried like
///   any other; so is one that its consumer refused before, and one that repeats the held credential inside its
///   mandatory window (the source is stuck).
/// - A credential refused with ``invalidate(where:)`` is never served again, also when a renewal of it was under way
///   when it was refused: that renewal is dropped and a new credential fetched.
/// - ``status`` says ``CredentialStatus/isServing`` only while a servable value is held.
///
/// **Never storm the source.** At most one attempt runs at a time, shared by the loop and every caller (a caller
/// that missed the fast path checks again under the lock before starting one). Attempts start at least
/// `minimumRefreshInterval` [100 ms] apart on the monotonic clock, whatever the hints, the refusals or a stuck source
/// say. After a failure the next attempt waits for `backoff` [1 s doubling to 5 min, full jitter]; callers meanwhile
/// get the held value or an error at once, never a request of their own. When backing off would sleep past the
/// held value's expiry, exactly one retry is moved forward to the middle of the mandatory window; after it, the
/// schedule is the backoff again. A run of refusals of new credentials spaces its fetches by the backoff too.
///
/// **Never hang.** Each call to the source is given `fetchTimeout` [30 s], then counts as failed
/// (``CredentialsError/Code/timeout``) and is abandoned. A caller with no value therefore gets a value or a typed
/// error within that time (twice that when a renewal fails first); a caller inside the mandatory window is never held
/// past the held value's expiry; a cancelled caller stops waiting at once with `CancellationError` while the shared
/// attempt goes on for the others. ``run()`` returns within `shutdownGracePeriod` [10 s] of cancellation or graceful
/// shutdown even if the source ignores cancellation. Retry timing uses the clock's monotonic reading and expiry its
/// wall clock, so a wall clock stepped back during an outage does not stall retries.
///
/// **Refresh ahead, renew with overlap.**
/// - A credential is refreshed at a point drawn uniformly in `refreshWindow` [50–67%] of its lifetime, from its issue
///   (or, for one issued long before it arrived, from now), or at the source's ``Credential/refreshHint``; one that
///   never expires is re-read every `rereadInterval` [5 min, 80–100% of it drawn]. The schedule holds for lifetimes
///   down to twice `minimumRefreshInterval` [200 ms] (six times it, 600 ms, for a renewable credential, whose
///   renewal starts with a third of the lifetime and the minimum interval left).
/// - A renewable credential is renewed in place while each renewal grants its full lifetime, measured from the moment
///   of renewal. When a renewal grants less (the lease reached its maximum lifetime), the replacement is fetched so
///   that it arrives while the old one still has a third of its full lifetime, or the mandatory window if longer, left;
///   a renewal starts before that point, by the minimum interval. A failed renewal is followed at once by a fetch,
///   unless the source says it failed only because it could not answer (``CredentialSource/isUnavailability(_:)``) and
///   the credential has more than a quarter of its lifetime left: then the renewal is retried on the backoff schedule,
///   the last retry no later than that quarter, and a credential that still works is not replaced for nothing.
/// - Refreshing happens in ``run()`` when it runs. Without it, ``current()`` starts one refresh in the background
///   when it finds the held value past its refresh point and returns the held value at once, as the AWS SDK's
///   credential cache does; ``run()`` remains the way to refresh without traffic.
///
/// **Serving.** ``current()`` returns the held value at once while it is valid and outside the
/// `mandatoryRefreshWindow` [30 s, at most 10% of the lifetime] before hard expiry. Inside it, callers wait for a
/// refresh (one, shared), bounded as above, and get the held value back if the refresh fails.
///
/// **Failing and expiring.** The last good value is served while valid; the status turns
/// ``CredentialStatus/degraded(_:)``; the failure is logged once, not per attempt; the next success clears it. Past
/// hard expiry, ``current()`` throws ``CredentialsError/Code/expired`` naming since when the source has been failing
/// and why; or, with `staleExtension` [off], serves the old value a bounded time longer.
///
/// **Shutting down.** The attempt under way is abandoned; a credential that arrives after shutdown began, or after
/// its call timed out, is never served. The held credential is revoked when `revokeOnShutdown` says so [when the
/// source ``CredentialSource/issuesLeases``], and so is any such late credential. Every ``updates`` sequence ends.
///
/// Reading the current value takes one uncontended lock and no allocation. The refresh work runs in ``run()``, which
/// conforms to swift-service-lifecycle's `Service`.
public final class RotatingCredentialProvider<Source: CredentialSource>: Service, Sendable {
    /// The source this provider refreshes from.
    public let source: Source
    /// The refresh, retry and expiry settings.
    public let policy: RotationPolicy
    /// The owner tag shown in the inventory.
    public let owner: String?
    /// What the credential is for, shown in the inventory.
    public let purpose: String?
    /// The encrypted on-disk copy of the last good credential, if any, and its writer.
    let persistentCache: PersistentCredentialCache<Source.Value>?
    let cacheWriter: CacheWriter<Source.Value>?

    @usableFromInline
    let clock: any WardenClock
    @usableFromInline
    let fresh = FreshValueCell<Source.Value>()
    let logger: Logger
    let metrics: CredentialMetrics
    let state: Mutex<State>
    let inventory: CredentialInventory?

    /// Creates a provider. Nothing is fetched until ``current()`` or ``run()`` is called.
    ///
    /// - Parameters:
    ///   - source: where credentials come from.
    ///   - policy: when to refresh, retry and give up.
    ///   - owner: the owning team or service, for the inventory.
    ///   - purpose: what the credential is for, for the inventory (`"orders database"`).
    ///   - clock: the time source; tests inject `ManualClock` (from `WardenTesting`, which also seeds the jitter).
    ///   - logger: where state changes are logged (never values).
    ///   - metricsFactory: where metrics go; the process-wide `MetricsSystem` by default.
    ///   - inventory: the inventory to report to, if any (``CredentialInventory/shared`` for a process-wide one);
    ///     none by default.
    ///   - persistentCache: an encrypted on-disk copy of the last good credential, served when the process starts
    ///     while the source is unreachable; none by default (see ``PersistentCredentialCache``).
    public convenience init(
        source: Source,
        policy: RotationPolicy = RotationPolicy(),
        owner: String? = nil,
        purpose: String? = nil,
        clock: any WardenClock = SystemClock(),
        logger: Logger = Logger(label: "warden.credentials"),
        metricsFactory: (any MetricsFactory)? = nil,
        inventory: CredentialInventory? = nil,
        persistentCache: PersistentCredentialCache<Source.Value>? = nil
    ) {
        self.init(
            source: source,
            policy: policy,
            owner: owner,
            purpose: purpose,
            clock: clock,
            logger: logger,
            metricsFactory: metricsFactory,
            inventory: inventory,
            persistentCache: persistentCache,
            seed: nil
        )
    }

    /// The designated initializer; `seed` fixes the jitter (`WardenTesting` exposes it to users' tests).
    package init(
        source: Source,
        policy: RotationPolicy,
        owner: String?,
        purpose: String? = nil,
        clock: any WardenClock,
        logger: Logger,
        metricsFactory: (any MetricsFactory)?,
        inventory: CredentialInventory?,
        persistentCache: PersistentCredentialCache<Source.Value>? = nil,
        seed: UInt64?
    ) {
        self.persistentCache = persistentCache
        self.cacheWriter = persistentCache.map { CacheWriter(cache: $0, sourceName: source.name) }
        self.source = source
        self.policy = policy
        self.owner = owner
        self.purpose = purpose
        self.clock = clock
        var logger = logger
        logger[metadataKey: "credential"] = .string(source.name)
        self.logger = logger
        self.metrics = CredentialMetrics(name: source.name, factory: metricsFactory ?? MetricsSystem.factory)
        self.state = Mutex(State(jitter: JitterGenerator(seed: seed)))
        self.inventory = inventory
        inventory?.register(self)
        if let pushing = source as? any PushingCredentialSource {
            pushing.onChange { [weak self] in self?.refreshNow() }
        }
    }

    deinit {
        self.inventory?.unregister(ObjectIdentifier(self))
    }

    /// Whether shutting down (and a late credential) revokes: the policy's word, else the source's.
    var revokesUnusedCredentials: Bool {
        self.policy.revokeOnShutdown ?? self.source.issuesLeases
    }

    // MARK: - Reading

    /// The value to use now.
    ///
    /// Returns at once while a valid value is held outside the mandatory window before its expiry, which is nearly
    /// always; past the value's refresh point it also starts a background refresh if none runs. Otherwise waits for
    /// the refresh (starting it if none runs and no retry is being backed off), shared with every concurrent caller,
    /// for at most the fetch timeout, and never past the held value's expiry.
    ///
    /// - Throws: ``CredentialsError`` with ``CredentialsError/Code/expired``, ``CredentialsError/Code/unavailable``
    ///   or ``CredentialsError/Code/revoked`` when there is no value to serve; `CancellationError` when the calling
    ///   task is cancelled while it waits.
    // `nonisolated(nonsending)`: runs on the caller's executor, so that a caller on the main actor or any other
    // actor reads the value without hopping to the global executor and back.
    @inlinable
    nonisolated(nonsending) public func current() async throws -> Source.Value {
        if let value = self.fresh.value(at: self.clock.now) {
            return value
        }
        return try await self.currentAfterRefresh()
    }

    /// The held value if it can be served now without waiting, else `nil`: for synchronous callers such as a TLS
    /// handshake callback. It never waits; like ``current()``, it starts a background refresh when the held value is
    /// due for one.
    @inlinable
    public func currentIfAvailable() -> Source.Value? {
        let now = self.clock.now
        if let value = self.fresh.value(at: now) {
            return value
        }
        switch self.plan(at: now, waiting: false) {
        case .serve(let value): return value
        case .wait, .retry, .fail: return nil
        }
    }

    /// The credential held now, valid or not, with its metadata and times.
    public var credential: Credential<Source.Value>? {
        self.state.withLock { $0.credential }
    }

    /// The provider's state: pending, fresh, refreshing, degraded (with the failure), expired, unavailable or revoked.
    public var status: CredentialStatus {
        let now = self.clock.now
        return self.state.withLock { $0.status(at: now) }
    }

    /// Whether an attempt on the source is under way: for tests that step a manual clock and must know the engine
    /// has settled.
    package var isAttemptInFlight: Bool {
        self.state.withLock { $0.attempt != nil }
    }

    /// Rotation events from now on: each new, renewed or revoked credential, with the old and the new one, so that a
    /// consumer can swap a connection pool while both are valid. Each call returns a new subscription; the sequence
    /// ends when the provider shuts down. A slow consumer sees the newest 16 events.
    public var updates: AsyncStream<RotationEvent<Source.Value>> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RotationEvent<Source.Value>.self,
            bufferingPolicy: .bufferingNewest(16)
        )
        let id = self.state.withLock { state -> UInt64? in
            guard !state.isShuttingDown else { return nil }
            state.nextSubscriberID += 1
            state.subscribers[state.nextSubscriberID] = continuation
            return state.nextSubscriberID
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
            }
        } else {
            continuation.finish()
        }
        return stream
    }

    /// Reports that the consumer saw the held credential refused before its time: a Vault token revoked mid-TTL, a
    /// password changed under the service. From now on it is not served (also if a renewal of it is under way), and a
    /// new one is fetched (not renewed), one fetch shared by every caller. The fetch starts at once unless an attempt
    /// started less than ``RotationPolicy/minimumRefreshInterval`` ago or retries are being backed off; then the next
    /// permitted attempt fetches it. Repeated refusals of new credentials space their fetches by
    /// ``RotationPolicy/backoff``, so that a consumer that refuses everything cannot become a storm of requests.
    ///
    /// ```swift
    /// let token = try await tokens.current()
    /// // ... the server answers that this token is no longer valid:
    /// tokens.invalidate { $0.value == token }
    /// ```
    ///
    /// - Parameter isRefused: whether the held credential is the one that was refused. When the provider holds
    ///   another one by now (a concurrent caller reported the same refusal first), nothing happens.
    /// - Returns: whether the held credential was invalidated.
    @discardableResult
    public func invalidate(where isRefused: (Credential<Source.Value>) -> Bool) -> Bool {
        let now = self.clock.now
        let monotonicNow = self.clock.monotonicNow
        let policy = self.policy
        // The predicate runs outside the lock (it may read the provider); the credential it judged must still be held.
        let (held, generation) = self.state.withLock { state in
            (state.isRevoked || state.isRetired || state.isRejected ? nil : state.credential, state.generation)
        }
        guard let held, isRefused(held) else { return false }
        let invalidated = self.state.withLock { state -> Bool in
            guard state.generation == generation, !state.isRevoked, !state.isRetired, !state.isRejected
            else { return false }
            state.isRejected = true
            state.servedFromCache = nil
            state.refusalEpoch &+= 1
            state.remember(refused: held)
            state.refusalStreak += 1
            let spacing =
                state.refusalStreak <= 1
                ? policy.minimumRefreshInterval
                : max(
                    policy.minimumRefreshInterval,
                    policy.backoff.delay(forAttempt: state.refusalStreak - 2, using: &state.jitter)
                )
            if let last = state.lastAttemptStart {
                let earliest = last.advanced(by: spacing)
                state.notBefore = max(state.notBefore ?? earliest, earliest)
            }
            self.fresh.clear()
            if state.canStart(at: monotonicNow) {
                self.startAttempt(in: &state, now: now, monotonicNow: monotonicNow)
            } else {
                // The loop may be asleep until its next refresh point: wake it to fetch when the spacing allows.
                state.loopSleep?.cancel()
            }
            return true
        }
        if invalidated {
            self.logger.notice("the credential was refused by its consumer; fetching a new one")
            // A refused credential is not one to come back to after a restart.
            if let writer = self.cacheWriter {
                let generation = self.state.withLock { $0.generation }
                Task { await writer.remove(through: generation) }
            }
        }
        return invalidated
    }

    /// Fetches now, ahead of the schedule, while the held credential is still served: for a source that learns of a
    /// newer credential by itself, such as a stream that pushed a rotation (the SPIFFE Workload API's sources call it).
    ///
    /// Nothing is refused or discarded: the held credential is served until the new one arrives, and a failed fetch is
    /// retried on the usual schedule. A retry backed off after failures is brought forward: the push says the source
    /// works again. Requests closer together than ``RotationPolicy/minimumRefreshInterval`` are
    /// spaced by it; one made while an attempt is under way makes another attempt follow it, since the one under way
    /// may have read the source before the change.
    public func refreshNow() {
        let now = self.clock.now
        let monotonicNow = self.clock.monotonicNow
        self.state.withLock { state in
            guard !state.isShuttingDown, !state.isRevoked, !state.isRetired else { return }
            state.isRefreshRequested = true
            state.isFetchRequired = true
            // A push says the source works again: a retry backed off after its failures need not wait any longer
            // than the minimum interval. Refusal spacing stays (it is not a failure of the source).
            if !state.isRejected, let last = state.lastAttemptStart {
                let earliest = last.advanced(by: self.policy.minimumRefreshInterval)
                state.notBefore = min(state.notBefore ?? earliest, earliest)
            }
            if state.canStart(at: monotonicNow) {
                self.startAttempt(in: &state, now: now, monotonicNow: monotonicNow)
            } else {
                // The loop may be asleep until its next refresh point: wake it to fetch when the spacing allows.
                state.loopSleep?.cancel()
            }
        }
    }

    // MARK: - Running

    /// Refreshes in the background until cancelled or until graceful shutdown; then abandons the attempt under way,
    /// revokes the held credential if the policy or the source says so (within
    /// ``RotationPolicy/shutdownGracePeriod``), and ends every ``updates`` sequence.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await self.refreshLoop()
            }
        } catch {
            // Cancellation and graceful shutdown both end the loop here; shutting down is the same for both.
        }
        await self.shutDown()
    }

    private enum LoopStep {
        case wait(UInt64)
        case sleep(Duration)
    }

    private func refreshLoop() async throws {
        let policy = self.policy
        self.state.withLock { $0.isLoopRunning = true }
        defer { self.state.withLock { $0.isLoopRunning = false } }
        while true {
            try Task.checkCancellation()
            let now = self.clock.now
            let monotonicNow = self.clock.monotonicNow
            let (step, credential, lastSuccess) = self.state.withLock {
                state -> (LoopStep, Credential<Source.Value>?, Date?) in
                if let attempt = state.attempt {
                    return (.wait(attempt.id), state.credential, state.lastSuccess)
                }
                if state.isDue(at: now, policy: policy), state.canStart(at: monotonicNow) {
                    let id = self.startAttempt(in: &state, now: now, monotonicNow: monotonicNow)
                    return (.wait(id), state.credential, state.lastSuccess)
                }
                let wait = state.timeUntilDue(at: now, monotonicNow: monotonicNow, policy: policy)
                return (
                    .sleep(wait > .zero ? wait : policy.minimumRefreshInterval), state.credential, state.lastSuccess
                )
            }
            self.metrics.updateGauges(credential: credential, lastSuccess: lastSuccess, now: now)
            switch step {
            case .wait(let id):
                try await self.waitForAttempt(id, deadline: nil)
            case .sleep(let duration):
                try await self.sleepInLoop(for: min(duration, max(policy.metricsInterval, .milliseconds(10))))
            }
        }
    }

    /// Sleeps, unless ``invalidate(where:)`` wakes the loop early (a refusal to act on) or the loop is cancelled.
    private func sleepInLoop(for duration: Duration) async throws {
        let clock = self.clock
        let sleep = Task { try await clock.sleep(for: duration) }
        self.state.withLock { $0.loopSleep = sleep }
        defer { self.state.withLock { $0.loopSleep = nil } }
        await withTaskCancellationHandler {
            _ = await sleep.result
        } onCancel: {
            sleep.cancel()
        }
        try Task.checkCancellation()
    }

    private func shutDown() async {
        let now = self.clock.now
        let revokes = self.revokesUnusedCredentials
        let (attempt, held) = self.state.withLock { state -> (Attempt?, Credential<Source.Value>?) in
            state.isShuttingDown = true
            let held = state.isRejected || state.isRevoked ? nil : state.credential
            if revokes, held != nil {
                // Not served while it is being revoked.
                state.isRetired = true
                self.fresh.clear()
            }
            return (state.attempt, held)
        }
        // The call under way resolves at once with cancellation; whatever the source still returns is dropped.
        attempt?.task.cancel()

        var event: RotationEvent<Source.Value>?
        if self.revokesUnusedCredentials, let held, !held.isExpired(at: now) {
            let outcome = await self.revokeWithinGrace(held)
            let failure = self.state.withLock { state -> CredentialFailure? in
                switch outcome {
                case .success:
                    state.isRevoked = true
                    state.isRetired = false
                    return nil
                case .failure(let error):
                    state.isRetired = true
                    let failure = CredentialFailure(
                        since: state.failure?.since ?? now,
                        attempts: (state.failure?.attempts ?? 0) + 1,
                        lastError: "revoking on shutdown failed: \(error)",
                        nextRetry: .distantFuture
                    )
                    state.failure = failure
                    return failure
                }
            }
            self.fresh.clear()
            if let failure {
                self.logger.warning(
                    "could not revoke the credential on shutdown; it is no longer served",
                    metadata: [
                        "lease": "\(held.metadata.leaseID ?? "-")", "error": "\(failure.lastError)",
                    ]
                )
            } else {
                self.logger.info(
                    "revoked the credential on shutdown",
                    metadata: ["lease": "\(held.metadata.leaseID ?? "-")"]
                )
                if let writer = self.cacheWriter {
                    await writer.remove(through: self.state.withLock { $0.generation })
                }
                event = RotationEvent(kind: .revoked, old: held, new: nil, date: self.clock.now)
            }
        }
        let subscribers = self.state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers {
            if let event { subscriber.yield(event) }
            subscriber.finish()
        }
    }

    /// Revokes `credential` in a task of its own (the cancellation that ended the loop must not cancel it), for at
    /// most the shutdown grace.
    private func revokeWithinGrace(_ credential: Credential<Source.Value>) async -> Result<Void, any Error> {
        let source = self.source
        let clock = self.clock
        let grace = self.policy.shutdownGracePeriod
        return await Task {
            await TimedCall.run(
                timeout: grace,
                clock: clock,
                timeoutError: { CredentialsError(.timeout, "revoking took longer than the shutdown grace of \(grace)") }
            ) {
                try await source.revoke(credential)
            }
        }.value
    }

    /// Drops a credential that arrived after its call was abandoned (timed out, or shutdown began), revoking it when
    /// unused credentials are revoked: it was never served to anyone.
    private func discardLate(_ credential: Credential<Source.Value>) {
        self.logger.info(
            "a credential arrived after its fetch was abandoned; it is not served",
            metadata: [
                "lease": "\(credential.metadata.leaseID ?? "-")"
            ]
        )
        guard self.revokesUnusedCredentials, !credential.isExpired(at: self.clock.now) else { return }
        let logger = self.logger
        Task {
            if case .failure(let error) = await self.revokeWithinGrace(credential) {
                logger.warning("could not revoke a credential that arrived too late", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Refreshing

    @usableFromInline
    enum Plan {
        case serve(Source.Value)
        case wait(attempt: UInt64, deadline: Date?)
        /// Nothing to serve, and the next attempt may start in this short while (the minimum interval after the last
        /// one): worth waiting for rather than failing.
        case retry(after: Duration)
        case fail(CredentialsError)
    }

    /// What a caller that missed the fast path does, decided under the lock: serve the held value (starting a
    /// background refresh when one is due), wait for the attempt under way or one it starts, or fail at once.
    @usableFromInline
    func plan(at now: Date, waiting: Bool) -> Plan {
        let monotonicNow = self.clock.monotonicNow
        let policy = self.policy
        let allowsStale = self.source.allowsStaleValues
        return self.state.withLock { state -> Plan in
            if state.isRevoked || state.isRetired { return .fail(state.unusableError(at: now)) }
            let servable = state.servableValue(at: now, policy: policy, allowsStale: allowsStale)
            // Inside the mandatory window, or past expiry on a stale extension: a refresh is worth waiting for.
            let needsRefreshFirst = servable == nil || now >= state.windowStart(policy: policy)
            // Holding a servable value, a caller waits no longer than it stays servable; holding none, the fetch
            // timeout bounds the wait.
            let deadline = servable == nil ? nil : state.waitDeadline(policy: policy, allowsStale: allowsStale)

            if let attempt = state.attempt {
                if let servable, !needsRefreshFirst || !waiting { return .serve(servable) }
                return waiting ? .wait(attempt: attempt.id, deadline: deadline) : .fail(state.unusableError(at: now))
            }
            if state.isDue(at: now, policy: policy), state.canStart(at: monotonicNow) {
                let id = self.startAttempt(in: &state, now: now, monotonicNow: monotonicNow)
                if let servable, !needsRefreshFirst || !waiting { return .serve(servable) }
                return waiting ? .wait(attempt: id, deadline: deadline) : .fail(state.unusableError(at: now))
            }
            // No attempt may start now (backing off, or shut down): what is held is all there is.
            if let servable { return .serve(servable) }
            if waiting, state.failure == nil, !state.isShuttingDown, let notBefore = state.notBefore,
                notBefore - monotonicNow <= policy.minimumRefreshInterval
            {
                // A credential refused moments after it was fetched: its replacement is a short wait away.
                return .retry(after: notBefore - monotonicNow)
            }
            return .fail(state.unusableError(at: now))
        }
    }

    @usableFromInline
    nonisolated(nonsending) func currentAfterRefresh() async throws -> Source.Value {
        var plan = self.plan(at: self.clock.now, waiting: true)
        if case .retry(let delay) = plan {
            try await self.clock.sleep(for: delay)
            plan = self.plan(at: self.clock.now, waiting: true)
        }
        switch plan {
        case .serve(let value):
            return value
        case .fail(let error):
            throw error
        case .retry:
            throw self.state.withLock { $0.unusableError(at: self.clock.now) }
        case .wait(let attempt, let deadline):
            try await self.waitForAttempt(attempt, deadline: deadline)
            let now = self.clock.now
            let policy = self.policy
            let allowsStale = self.source.allowsStaleValues
            return try self.state.withLock { state in
                if let value = state.servableValue(at: now, policy: policy, allowsStale: allowsStale) {
                    return value
                }
                throw state.unusableError(at: now)
            }
        }
    }

    /// Waits until attempt `id` has finished, `deadline` (wall clock) has come, or the task is cancelled
    /// (`CancellationError`). Leaving early does not cancel the attempt: others may be waiting for it.
    nonisolated(nonsending) private func waitForAttempt(_ id: UInt64, deadline: Date?) async throws {
        let waiterID = self.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let clock = self.clock
        let timer = deadline.map { deadline in
            Task { [weak self] in
                do { try await clock.sleep(until: deadline) } catch { return }
                self?.wake(waiterID)
            }
        }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let registered = self.state.withLock { state -> Bool in
                    // Checked under the lock, so that a cancellation or the deadline either sees the waiter or came
                    // before it.
                    guard !Task.isCancelled, state.attempt?.id == id else { return false }
                    if let deadline, clock.now >= deadline { return false }
                    state.waiters[waiterID] = continuation
                    return true
                }
                if !registered { continuation.resume() }
            }
        } onCancel: {
            self.wake(waiterID)
        }
        try Task.checkCancellation()
    }

    private func wake(_ waiterID: UInt64) {
        let waiter = self.state.withLock { $0.waiters.removeValue(forKey: waiterID) }
        waiter?.resume()
    }

    /// Starts the one attempt: renew in place while that is useful, else fetch.
    @discardableResult
    private func startAttempt(
        in state: inout State,
        now: Date,
        monotonicNow: ContinuousClock.Instant
    ) -> UInt64 {
        state.nextAttemptID += 1
        let id = state.nextAttemptID
        let held = state.credential
        // A source that said it has something newer (`refreshNow()`) is asked for it, not for a renewal, until it gives it.
        let renew =
            held.map { $0.isRenewable && !$0.isExpired(at: now) } ?? false && !state.isCapped && !state.isRejected
            && !state.isFetchRequired
        let epoch = state.refusalEpoch
        let task = Task { await self.perform(attempt: id, renewing: renew ? held : nil, refusalEpoch: epoch) }
        // Whoever starts it, an attempt that replaces a refused credential continues the run of refusals.
        state.attempt = Attempt(
            id: id,
            task: task,
            startedAt: monotonicNow,
            afterRefusal: state.isRejected,
            refusalEpoch: epoch
        )
        state.lastAttemptStart = monotonicNow
        state.isRefreshRequested = false
        let earliestNext = monotonicNow.advanced(by: self.policy.minimumRefreshInterval)
        state.notBefore = max(state.notBefore ?? earliestNext, earliestNext)
        self.publishSnapshot(of: state, now: now, monotonicNow: monotonicNow)
        return id
    }

    private func perform(attempt id: UInt64, renewing held: Credential<Source.Value>?, refusalEpoch: UInt64) async {
        let started = ContinuousClock.now
        let outcome = await self.outcome(renewing: held, refusalEpoch: refusalEpoch)
        switch outcome {
        case .fetched, .renewed: self.metrics.recordFetch(duration: ContinuousClock.now - started, succeeded: true)
        case .failed, .renewalDeferred, .cached:
            self.metrics.recordFetch(duration: ContinuousClock.now - started, succeeded: false)
        case .cancelled: break
        }
        self.finish(attempt: id, with: outcome)
    }

    private func outcome(renewing held: Credential<Source.Value>?, refusalEpoch: UInt64) async -> Outcome {
        let source = self.source
        if let held {
            // The renewal's grant is measured from when it was asked for: sources compute expiry from their call's
            // start, and the call's own latency must not look like a shortened grant.
            let asked = self.clock.now
            let result = await self.call("renewal") { try await source.renew(held) }
            let now = self.clock.now
            switch result {
            case .success(let renewed):
                if let problem = State.problem(with: renewed, at: now) {
                    self.logger.info(
                        "renewal returned an unusable credential; fetching a new one",
                        metadata: ["problem": "\(problem)"]
                    )
                } else if self.state.withLock({ $0.refusalEpoch }) != refusalEpoch {
                    self.logger.info("the credential was refused while it was being renewed; fetching a new one")
                } else {
                    return .renewed(renewed, at: asked)
                }
            case .failure(let error):
                if Task.isCancelled { return .cancelled }
                if source.isUnavailability(error),
                    self.state.withLock({
                        $0.mayDeferFailedRenewal(at: now, refusalEpoch: refusalEpoch, policy: self.policy)
                    })
                {
                    // The credential still works and the issuer is only out of reach: renew it later, do not churn it.
                    return .renewalDeferred(error)
                }
                self.logger.info("renewal failed; fetching a new credential", metadata: ["error": "\(error)"])
            }
        }
        let result = await self.call("fetch", late: { [weak self] in self?.discardLate($0) }) {
            try await source.fetch()
        }
        switch result {
        case .success(let credential): return .fetched(credential)
        // A source that throws `CancellationError` on its own (a shared task someone else cancelled) has failed: only
        // this attempt's own cancellation (shutdown) is not a failure.
        case .failure(let error):
            if Task.isCancelled { return .cancelled }
            if let cached = await self.readPersistentCache() { return .cached(cached, sourceError: error) }
            return .failed(error)
        }
    }

    /// The persistent cache's credential, read once: at the first failure while nothing is held (a start during an
    /// outage). A refused entry is logged by the cache and not used.
    private func readPersistentCache() async -> Credential<Source.Value>? {
        guard let cache = self.persistentCache else { return nil }
        let shouldRead = self.state.withLock { state -> Bool in
            guard state.credential == nil, !state.isCacheRead else { return false }
            state.isCacheRead = true
            return true
        }
        guard shouldRead else { return nil }
        // Bounded like a source call: a key closure (a KMS) that hangs must not hold the attempt forever.
        let name = self.source.name
        let now = self.clock.now
        let result = await TimedCall.run(
            timeout: self.policy.fetchTimeout,
            clock: self.clock,
            timeoutError: { CredentialsError(.timeout, "reading the persistent cache took too long") }
        ) { try await cache.load(sourceName: name, at: now) }
        // An entry that fails authentication was logged by the storage; one that authenticated but does not decode
        // into a value is logged by `PersistentCredentialCache.load`.
        if case .failure(let error) = result,
            !(error is CredentialsError) || (error as? CredentialsError)?.code == .timeout
        {
            self.logger.warning("could not read the persistent cache", metadata: ["error": "\(error)"])
        }
        return try? result.get()
    }

    private func call(
        _ what: String,
        late: @escaping @Sendable (Credential<Source.Value>) -> Void = { _ in },
        _ operation: @escaping @Sendable () async throws -> Credential<Source.Value>
    ) async -> Result<Credential<Source.Value>, any Error> {
        let timeout = self.policy.fetchTimeout
        let name = self.source.name
        return await TimedCall.run(
            timeout: timeout,
            clock: self.clock,
            timeoutError: { CredentialsError(.timeout, "the \(what) from \(name) took longer than \(timeout)") },
            late: late,
            operation
        )
    }

    private enum Finish {
        case stale
        case dropped(Credential<Source.Value>?)
        case nothing
        case failed(CredentialFailure, isNew: Bool, held: Credential<Source.Value>?)
        case fromCache(
            Credential<Source.Value>,
            CredentialFailure,
            RotationEvent<Source.Value>,
            [AsyncStream<RotationEvent<Source.Value>>.Continuation]
        )
        case installed(
            Credential<Source.Value>,
            RotationEvent<Source.Value>?,
            recovered: CredentialFailure?,
            [AsyncStream<RotationEvent<Source.Value>>.Continuation]
        )
    }

    /// Records what attempt `id` brought back, schedules what comes next, wakes its waiters and publishes the change.
    private func finish(attempt id: UInt64, with outcome: Outcome) {
        let now = self.clock.now
        let monotonicNow = self.clock.monotonicNow
        let policy = self.policy

        var installedGeneration: UInt64 = 0
        let (result, waiters) = self.state.withLock { state -> (Finish, [CheckedContinuation<Void, Never>]) in
            defer { installedGeneration = state.generation }
            guard let attempt = state.attempt, attempt.id == id else { return (.stale, []) }
            state.attempt = nil
            let waiters = state.takeWaiters()
            defer { self.publishSnapshot(of: state, now: now, monotonicNow: monotonicNow) }

            func fail(_ error: any Error, renewalDeferred: Bool = false) -> Finish {
                let isNew = state.failure == nil
                // While the credential read back from the cache is what is served, every failure says so.
                let servesCached =
                    state.servableValue(at: now, policy: policy, allowsStale: self.source.allowsStaleValues) != nil
                let failure = state.recordFailure(
                    state.servedFromCache.flatMap {
                        servesCached ? CachedCredentialInUse(sourceError: error, directory: $0) : nil
                    }
                        ?? error,
                    at: now,
                    monotonicNow: monotonicNow,
                    policy: policy,
                    renewalDeferred: renewalDeferred
                )
                return .failed(failure, isNew: isNew, held: state.credential)
            }

            if state.isShuttingDown {
                if case .fetched(let credential) = outcome { return (.dropped(credential), waiters) }
                return (.dropped(nil), waiters)
            }
            let old = state.credential
            let previousFailure = state.failure
            let kind: RotationEvent<Source.Value>.Kind
            switch outcome {
            case .cancelled:
                return (.nothing, waiters)
            case .failed(let error):
                return (fail(error), waiters)
            case .renewalDeferred(let error):
                return (fail(error, renewalDeferred: true), waiters)
            case .renewed(let renewed, let renewedAt):
                guard state.refusalEpoch == attempt.refusalEpoch else {
                    return (
                        fail(
                            CredentialsError(
                                .invalidCredential,
                                "the credential was refused while it was being renewed"
                            )
                        ), waiters
                    )
                }
                state.install(renewed, renewedAt: renewedAt, attempt: attempt, now: now, policy: policy)
                kind = .renewed
            case .fetched(let fetched):
                if let problem = state.problem(withFetched: fetched, at: now, policy: policy) {
                    return (fail(CredentialsError(.invalidCredential, "\(self.source.name): \(problem)")), waiters)
                }
                state.install(fetched, renewedAt: nil, attempt: attempt, now: now, policy: policy)
                state.isFetchRequired = false
                kind = old == nil ? .initial : .rotated
            case .cached(let cached, let sourceError):
                guard old == nil, state.problem(withFetched: cached, at: now, policy: policy) == nil else {
                    return (fail(sourceError), waiters)
                }
                // Held, and failing: the status is degraded, and says where the value came from.
                state.install(cached, renewedAt: nil, attempt: attempt, now: now, policy: policy)
                state.lastSuccess = nil
                let directory = self.persistentCache?.directory ?? "the persistent cache"
                state.servedFromCache = directory
                let failure = state.recordFailure(
                    CachedCredentialInUse(sourceError: sourceError, directory: directory),
                    at: now,
                    monotonicNow: monotonicNow,
                    policy: policy
                )
                let event = RotationEvent(kind: .initial, old: nil, new: cached, date: now)
                return (.fromCache(cached, failure, event, Array(state.subscribers.values)), waiters)
            }
            let installed = state.credential!
            let isSame =
                kind == .rotated && old.flatMap(State.identity(of:)) != nil
                && old.flatMap(State.identity(of:)) == State.identity(of: installed)
            var event: RotationEvent<Source.Value>?
            if !isSame {
                state.lastRotation = now
                event = RotationEvent(kind: kind, old: old, new: installed, date: now)
            }
            return (.installed(installed, event, recovered: previousFailure, Array(state.subscribers.values)), waiters)
        }
        for waiter in waiters { waiter.resume() }

        switch result {
        case .stale, .nothing:
            break
        case .dropped(let credential):
            if let credential { self.discardLate(credential) }
        case .fromCache(let cached, let failure, let event, let subscribers):
            self.logger.warning(
                "the source failed at start; serving the credential from the persistent cache while it is valid",
                metadata: [
                    "error": "\(failure.lastError)",
                    "expires": "\(cached.expiresAt.map { "\($0)" } ?? "never")",
                ]
            )
            for subscriber in subscribers { subscriber.yield(event) }
        case .failed(let failure, let isNew, let held):
            if isNew {
                // Once per run of failures, not per attempt: the status carries the rest.
                self.logger.warning(
                    "refreshing the credential failed; serving the last good value while it is valid",
                    metadata: [
                        "error": "\(failure.lastError)",
                        "expires": "\(held.map { $0.expiresAt.map { "\($0)" } ?? "never" } ?? "no value held")",
                    ]
                )
            } else {
                self.logger.debug(
                    "refresh attempt failed",
                    metadata: [
                        "attempts": "\(failure.attempts)", "nextRetry": "\(failure.nextRetry)",
                        "error": "\(failure.lastError)",
                    ]
                )
            }
        case .installed(let installed, let event, let recovered, let subscribers):
            if let recovered {
                self.logger.notice(
                    "source recovered; serving a fresh credential",
                    metadata: [
                        "failedAttempts": "\(recovered.attempts)",
                        "degradedSeconds": "\(Int(now.timeIntervalSince(recovered.since)))",
                    ]
                )
            }
            if let event {
                self.metrics.recordRotation()
                self.logger.info(
                    "credential \(event.kind.rawValue)",
                    metadata: [
                        "expires": "\(installed.expiresAt.map { "\($0)" } ?? "never")",
                        "lease": "\(installed.metadata.leaseID ?? "-")",
                    ]
                )
                for subscriber in subscribers { subscriber.yield(event) }
            }
            self.metrics.updateGauges(credential: installed, lastSuccess: now, now: now)
            if let writer = self.cacheWriter {
                let generation = installedGeneration
                let logger = self.logger
                Task {
                    do { try await writer.store(installed, generation: generation) } catch {
                        logger.warning("could not write the persistent cache", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Installs the hot path's snapshot for the state as it is now. Called under the state lock, after every change.
    private func publishSnapshot(of state: State, now: Date, monotonicNow: ContinuousClock.Instant) {
        guard let credential = state.credential, !state.isRejected, !state.isRevoked, !state.isRetired,
            !credential.isExpired(at: now)
        else {
            self.fresh.clear()
            return
        }
        self.fresh.set(
            credential.value,
            pokeAt: state.pokeAt(now: now, monotonicNow: monotonicNow, policy: self.policy)
        )
    }
}

extension RotatingCredentialProvider: InventoryReporting {
    func inventoryEntry() -> CredentialInventory.Entry {
        let now = self.clock.now
        return self.state.withLock { state in
            CredentialInventory.Entry(
                name: self.source.name,
                kind: state.credential?.metadata.kind,
                owner: self.owner ?? state.credential?.metadata.owner,
                purpose: self.purpose,
                source: self.source.name,
                isManaged: true,
                notBefore: state.lifetimeStart,
                expiresAt: state.credential?.expiresAt,
                lastRotation: state.lastRotation,
                lastSuccess: state.lastSuccess,
                failure: state.failure,
                status: state.status(at: now).name
            )
        }
    }
}
