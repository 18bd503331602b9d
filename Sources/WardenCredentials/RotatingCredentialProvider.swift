public import Foundation
public import Logging
public import Metrics
public import ServiceLifecycle
public import WardenCore
import Synchronization

/// The rotation engine: keeps one credential fresh, serves it without waiting, and survives its source going down.
///
/// ```swift
/// let provider = RotatingCredentialProvider(source: databaseCredentials, owner: "payments")
/// let group = ServiceGroup(services: [provider, app], logger: logger)   // provider.run() refreshes in the background
/// let login = try await provider.current()                               // never waits while a valid value is held
/// ```
///
/// The algorithm, in full (each number is a ``RotationPolicy`` setting):
///
/// - **When to refresh.** At a point drawn uniformly between 50% and 67% of the credential's lifetime, measured from
///   when it was issued; at the source's ``Credential/refreshHint`` if it gives one; every `rereadInterval` (80–100%
///   of it, drawn) for credentials that never expire.
/// - **Renewal.** A renewable credential is renewed in place until renewing stops extending it (its new lifetime is
///   less than a third of what it was), or renewing fails; then a new one is fetched while the old one is still valid,
///   so that the two overlap.
/// - **Serving.** ``current()`` returns the held value at once while it is valid and not within the mandatory window
///   before hard expiry. Otherwise it waits for a refresh, and every concurrent caller shares that one refresh.
/// - **Failing.** The last good value is kept and served while valid; the status turns ``CredentialStatus/degraded(_:)``;
///   the failure is logged once, not per attempt; retries back off exponentially with full jitter, never with zero
///   delay, with one last attempt just before hard expiry. The next success clears everything.
/// - **Expiry.** Past hard expiry, ``current()`` throws ``CredentialsError/Code/expired`` naming since when the source
///   has been failing and why; or, with ``RotationPolicy/staleExtension``, serves the old value a bounded time longer.
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

    @usableFromInline
    let clock: any WardenClock
    @usableFromInline
    let fresh = FreshValueCell<Source.Value>()
    let logger: Logger
    let metrics: CredentialMetrics
    let state: Mutex<State>

    /// Creates a provider. Nothing is fetched until ``current()`` or ``run()`` is called.
    ///
    /// - Parameters:
    ///   - source: where credentials come from.
    ///   - policy: when to refresh, retry and give up.
    ///   - owner: the owning team or service, for the inventory.
    ///   - clock: the time source; inject a `ManualClock` in tests.
    ///   - logger: where state changes are logged (never values).
    ///   - metricsFactory: where metrics go; the process-wide `MetricsSystem` by default.
    ///   - randomSeed: a seed for the refresh and retry jitter, for reproducible tests; system randomness when `nil`.
    public init(
        source: Source,
        policy: RotationPolicy = RotationPolicy(),
        owner: String? = nil,
        clock: any WardenClock = SystemClock(),
        logger: Logger = Logger(label: "warden.credentials"),
        metricsFactory: (any MetricsFactory)? = nil,
        randomSeed: UInt64? = nil
    ) {
        self.source = source
        self.policy = policy
        self.owner = owner
        self.clock = clock
        var logger = logger
        logger[metadataKey: "credential"] = .string(source.name)
        self.logger = logger
        self.metrics = CredentialMetrics(name: source.name, factory: metricsFactory ?? MetricsSystem.factory)
        self.state = Mutex(State(jitter: JitterGenerator(seed: randomSeed)))
        CredentialInventory.shared.register(self)
    }

    deinit {
        CredentialInventory.shared.unregister(ObjectIdentifier(self))
    }

    // MARK: - Reading

    /// The value to use now.
    ///
    /// Returns at once while a valid value is held outside the mandatory window before its expiry, which is
    /// nearly always. Otherwise waits for the refresh (starting it if none runs and no retry is being backed off),
    /// shared with every concurrent caller.
    ///
    /// - Throws: ``CredentialsError`` with ``CredentialsError/Code/expired``, ``CredentialsError/Code/unavailable``
    ///   or ``CredentialsError/Code/revoked`` when there is no value to serve.
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
    /// handshake callback. It never starts a refresh; ``run()`` keeps the value fresh.
    @inlinable
    public func currentIfAvailable() -> Source.Value? {
        let now = self.clock.now
        if let value = self.fresh.value(at: now) {
            return value
        }
        return self.servableValue(at: now)
    }

    @usableFromInline
    func servableValue(at now: Date) -> Source.Value? {
        let policy = self.policy
        let allowsStale = self.source.allowsStaleValues
        return self.state.withLock { $0.servableValue(at: now, policy: policy, allowsStale: allowsStale) }
    }

    /// The credential held now, valid or not, with its metadata and times.
    public var credential: Credential<Source.Value>? {
        self.state.withLock { $0.credential }
    }

    /// The provider's state: fresh, refreshing, degraded (with the failure), expired, unavailable or revoked.
    public var status: CredentialStatus {
        let now = self.clock.now
        return self.state.withLock { $0.status(at: now) }
    }

    /// Rotation events from now on: each new, renewed or revoked credential, with the old and the new one, so that a
    /// consumer can swap a connection pool while both are valid. Each call returns a new subscription; the sequence
    /// ends when the provider shuts down. A slow consumer sees the newest 16 events.
    public var updates: AsyncStream<RotationEvent<Source.Value>> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RotationEvent<Source.Value>.self, bufferingPolicy: .bufferingNewest(16))
        let id = self.state.withLock { state -> UInt64? in
            guard !state.isShutDown else { return nil }
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
    /// password changed under the service. From now on it is not served, and a new one is fetched at once (not
    /// renewed), one fetch shared by every caller; while retries are being backed off, the next scheduled attempt
    /// fetches it instead, so that reports cannot become a storm of requests.
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
        let invalidated = self.state.withLock { state -> Bool in
            guard !state.isRevoked, !state.isRejected, let held = state.credential, isRefused(held) else { return false }
            state.isRejected = true
            self.fresh.clear()
            if state.inFlight == nil, state.failure.map({ now >= $0.nextRetry }) ?? true {
                _ = self.startRefresh(in: &state)
            }
            return true
        }
        if invalidated {
            self.logger.notice("the credential was refused by its consumer; fetching a new one")
        }
        return invalidated
    }

    // MARK: - Running

    /// Refreshes in the background until cancelled or until graceful shutdown, then, if the policy says so, revokes
    /// the credential it holds; finally ends every ``updates`` sequence.
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

    private func refreshLoop() async throws {
        while true {
            try Task.checkCancellation()
            let now = self.clock.now
            let (due, credential, lastSuccess) = self.state.withLock { ($0.nextDue(at: now), $0.credential, $0.lastSuccess) }
            self.metrics.updateGauges(credential: credential, lastSuccess: lastSuccess, now: now)
            if due > now {
                try await self.clock.sleep(until: min(due, now.addingTimeInterval(self.policy.metricsInterval.timeInterval)))
                continue
            }
            let refresh = self.sharedRefresh()
            // Shutting down must not wait out a slow fetch.
            _ = try? await withTaskCancellationHandler {
                try await refresh.value
            } onCancel: {
                refresh.cancel()
            }
        }
    }

    private func shutDown() async {
        let held = self.state.withLock { state -> Credential<Source.Value>? in
            state.inFlight?.cancel()
            return state.credential
        }
        var event: RotationEvent<Source.Value>?
        if self.policy.revokeOnShutdown, let held {
            // A task of its own, so that the cancellation that ended the loop does not cancel the revocation.
            let source = self.source
            do {
                try await Task { try await source.revoke(held) }.value
                self.logger.info("revoked the credential on shutdown", metadata: ["lease": "\(held.metadata.leaseID ?? "-")"])
            } catch {
                self.logger.warning("could not revoke the credential on shutdown", metadata: ["error": "\(error)"])
            }
            event = RotationEvent(kind: .revoked, old: held, new: nil, date: self.clock.now)
        }
        let subscribers = self.state.withLock { state in
            if event != nil {
                state.isRevoked = true
                self.fresh.clear()
            }
            state.isShutDown = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers {
            if let event { subscriber.yield(event) }
            subscriber.finish()
        }
    }

    // MARK: - Refreshing

    private enum Plan {
        case serve(Source.Value)
        case wait(Task<Credential<Source.Value>, any Error>)
        case fail(CredentialsError)
    }

    @usableFromInline
    nonisolated(nonsending) func currentAfterRefresh() async throws -> Source.Value {
        let now = self.clock.now
        let policy = self.policy
        let allowsStale = self.source.allowsStaleValues
        let plan = self.state.withLock { state -> Plan in
            if state.isRevoked { return .fail(state.unusableError(at: now)) }
            if let inFlight = state.inFlight { return .wait(inFlight) }
            // While a retry is being backed off, callers do not get to start fetches of their own: that is what
            // keeps a thousand callers from becoming a thousand requests to a server that is down.
            if let failure = state.failure, now < failure.nextRetry {
                if let value = state.servableValue(at: now, policy: policy, allowsStale: allowsStale) {
                    return .serve(value)
                }
                return .fail(state.unusableError(at: now))
            }
            return .wait(self.startRefresh(in: &state))
        }
        switch plan {
        case .serve(let value):
            return value
        case .fail(let error):
            throw error
        case .wait(let refresh):
            do {
                return try await refresh.value.value
            } catch {
                let now = self.clock.now
                return try self.state.withLock { state in
                    if let value = state.servableValue(at: now, policy: policy, allowsStale: allowsStale) {
                        return value
                    }
                    throw state.unusableError(at: now)
                }
            }
        }
    }

    /// The refresh under way, or a new one: single flight for the loop and for callers alike.
    private func sharedRefresh() -> Task<Credential<Source.Value>, any Error> {
        self.state.withLock { state in
            state.inFlight ?? self.startRefresh(in: &state)
        }
    }

    private func startRefresh(in state: inout State) -> Task<Credential<Source.Value>, any Error> {
        let task = Task { try await self.refresh() }
        state.inFlight = task
        return task
    }

    /// One refresh: renew in place when that still extends the credential, else fetch a new one. Records the
    /// outcome, schedules the next refresh or retry, and publishes the change.
    private func refresh() async throws -> Credential<Source.Value> {
        let now = self.clock.now
        let (held, shouldRenew) = self.state.withLock { state in
            (state.credential, state.credential.map { $0.isRenewable && !$0.isExpired(at: now) && !state.renewalExhausted && !state.isRejected } ?? false)
        }
        let started = ContinuousClock.now
        do {
            var kind: RotationEvent<Source.Value>.Kind = held == nil ? .initial : .rotated
            var fresh: Credential<Source.Value>
            if shouldRenew, let held {
                if let renewed = await self.renewIfItExtends(held, at: now) {
                    fresh = renewed
                    kind = .renewed
                } else {
                    fresh = try await self.source.fetch()
                }
            } else {
                fresh = try await self.source.fetch()
            }
            self.metrics.recordFetch(duration: ContinuousClock.now - started, succeeded: true)
            self.succeed(with: fresh, kind: kind)
            return fresh
        } catch {
            self.metrics.recordFetch(duration: ContinuousClock.now - started, succeeded: false)
            self.fail(with: error)
            throw error
        }
    }

    /// Renews `held`, or returns `nil` (and stops renewing) when renewing fails or no longer extends it enough: the
    /// credential has reached its maximum lifetime and a new one must be fetched while it is still valid.
    private func renewIfItExtends(_ held: Credential<Source.Value>, at now: Date) async -> Credential<Source.Value>? {
        do {
            let renewed = try await self.source.renew(held)
            let previousLifetime = held.validity?.lifetime.timeInterval ?? 0
            let remaining = renewed.expiresAt.map { $0.timeIntervalSince(now) } ?? .infinity
            if remaining >= previousLifetime / 3 {
                return renewed
            }
            self.logger.info("renewal no longer extends the credential; fetching a new one",
                             metadata: ["remainingSeconds": "\(Int(remaining))"])
        } catch {
            self.logger.info("renewal failed; fetching a new credential", metadata: ["error": "\(error)"])
        }
        self.state.withLock { $0.renewalExhausted = true }
        return nil
    }

    private func succeed(with fresh: Credential<Source.Value>, kind: RotationEvent<Source.Value>.Kind) {
        let now = self.clock.now
        let policy = self.policy
        let (event, recovered, subscribers) = self.state.withLock { state in
            let old = state.credential
            let recovered = state.failure
            state.credential = fresh
            let window = State.mandatoryWindow(of: fresh, policy: policy)
            self.fresh.set(fresh.value, freshUntil: fresh.expiresAt?.addingTimeInterval(-window) ?? .distantFuture)
            state.failure = nil
            state.isRejected = false
            state.lastSuccess = now
            state.inFlight = nil
            if kind != .renewed { state.renewalExhausted = false }
            state.refreshAt = state.scheduleRefresh(of: fresh, at: now, policy: policy)
            let isSame = kind == .rotated && old?.metadata.identifier != nil
                && old?.metadata.identifier == fresh.metadata.identifier
            var event: RotationEvent<Source.Value>?
            if !isSame {
                state.lastRotation = now
                event = RotationEvent(kind: kind, old: old, new: fresh, date: now)
            }
            return (event, recovered, Array(state.subscribers.values))
        }
        if let recovered {
            self.logger.notice("source recovered; serving a fresh credential", metadata: [
                "failedAttempts": "\(recovered.attempts)",
                "degradedSeconds": "\(Int(now.timeIntervalSince(recovered.since)))",
            ])
        }
        if let event {
            self.metrics.recordRotation()
            self.logger.info("credential \(event.kind.rawValue)", metadata: [
                "expires": "\(fresh.expiresAt.map { "\($0)" } ?? "never")",
                "lease": "\(fresh.metadata.leaseID ?? "-")",
            ])
            for subscriber in subscribers { subscriber.yield(event) }
        }
        self.metrics.updateGauges(credential: fresh, lastSuccess: now, now: now)
    }

    private func fail(with error: any Error) {
        let now = self.clock.now
        let policy = self.policy
        let (failure, isNew, heldExpiry) = self.state.withLock { state in
            let isNew = state.failure == nil
            let failure = state.recordFailure(error, at: now, policy: policy)
            state.inFlight = nil
            return (failure, isNew, state.credential?.expiresAt)
        }
        if isNew {
            // Once per run of failures, not per attempt: the status carries the rest.
            self.logger.warning("refreshing the credential failed; serving the last good value while it is valid", metadata: [
                "error": "\(failure.lastError)",
                "expires": "\(heldExpiry.map { "\($0)" } ?? (self.credential == nil ? "no value held" : "never"))",
            ])
        } else {
            self.logger.debug("refresh attempt failed", metadata: [
                "attempts": "\(failure.attempts)", "nextRetry": "\(failure.nextRetry)", "error": "\(failure.lastError)",
            ])
        }
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
                expiresAt: state.credential?.expiresAt,
                lastRotation: state.lastRotation,
                lastSuccess: state.lastSuccess,
                status: state.status(at: now).name
            )
        }
    }
}
