import Foundation
public import Logging
public import Metrics
public import ServiceLifecycle
import Synchronization
public import WardenCore
public import WardenCredentials
public import WardenSPIFFE
public import X509

/// Keeps the bundles of the local and federated trust domains current, and the verifiers made from it with them.
///
/// Each trust domain has a source, any `CredentialSource` of ``SPIFFEBundle`` (``BundleFileSource``,
/// ``StaticBundleSource``, or `[Certificate]` through ``addSource(_:trustDomain:policy:)``), driven by the one rotation
/// engine: refresh, backoff, serving the last good bundle while the source fails, status and metrics. Each bundle the
/// source publishes is checked and applied:
///
/// - its authorities are made canonical (unique by the SHA-256 of their DER, ordered by it);
/// - a bundle whose `spiffe_sequence` is lower than the applied one is refused, logged and counted;
/// - an authority the source drops stays trusted for ``retention`` (never past its own `notAfter`), so that peers
///   still holding certificates from an old CA keep working while a new one spreads;
/// - an authority given to ``distrust(_:in:)`` is removed at once and never retained.
///
/// ``bundles`` is one immutable snapshot, and every verifier made by ``makeX509SVIDVerifier(cacheCapacity:)`` or
/// ``makeJWTSVIDVerifier(audiences:cacheCapacity:)`` is given each new one, so it always sees the current bundles.
/// ``events()`` streams what changed. Run the manager as a swift-service-lifecycle `Service`.
public final class TrustBundleManager: Service, Sendable {
    /// How long an authority a source dropped stays trusted. Default: 24 hours.
    public let retention: Duration
    private let clock: any WardenClock
    private let logger: Logger
    private let metrics: TrustBundleMetrics
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var domains: [TrustDomain: TrustDomainBundles] = [:]
        var snapshot = SPIFFEBundleSet()
        var feeds: [Feed] = []
        var setFeeds: [SetFeed] = []
        /// The trust domains each set feed published last, by the feed's index.
        var setFeedDomains: [Int: Set<TrustDomain>] = [:]
        var x509Verifiers: [X509SVIDVerifier] = []
        var jwtVerifiers: [JWTSVIDVerifier] = []
        var subscribers: [UUID: AsyncStream<TrustBundleEvent>.Continuation] = [:]
        var refusals = 0
        var isRunning = false
        /// Per trust domain, how many times its effective bundle changed: the sequence served when the source gives
        /// none.
        var revisions: [TrustDomain: UInt64] = [:]
    }

    /// One source's provider, type-erased: how to run it and how to read its bundles.
    private struct Feed: Sendable {
        let trustDomain: TrustDomain
        let run: @Sendable () async throws -> Void
        let current: @Sendable () async throws -> SPIFFEBundle
        let updates: @Sendable () -> AsyncStream<SPIFFEBundle>
        let status: @Sendable () -> CredentialStatus
    }

    /// - Parameters:
    ///   - retention: how long an authority a source dropped stays trusted.
    ///   - metricsFactory: where the `warden_trust_bundle_*` metrics go (see the guide); the global factory by
    ///     default.
    public init(
        retention: Duration = .seconds(24 * 3600),
        clock: any WardenClock = SystemClock(),
        logger: Logger = Logger(label: "warden.trust"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.retention = retention
        self.clock = clock
        self.logger = logger
        self.metrics = TrustBundleMetrics(factory: metricsFactory ?? MetricsSystem.factory)
    }

    // MARK: Sources

    /// Adds the source of `source`'s trust domain's bundle. Add sources before ``run()``.
    public func addSource(_ source: some TrustBundleSource, policy: RotationPolicy = RotationPolicy()) {
        let provider = RotatingCredentialProvider(
            source: source,
            policy: policy,
            clock: self.clock,
            logger: self.logger
        )
        self.add(
            Feed(
                trustDomain: source.trustDomain,
                run: { try await provider.run() },
                current: { try await provider.current() },
                updates: {
                    AsyncStream { continuation in
                        let task = Task {
                            for await event in provider.updates {
                                if let bundle = event.new?.value { continuation.yield(bundle) }
                            }
                            continuation.finish()
                        }
                        continuation.onTermination = { _ in task.cancel() }
                    }
                },
                status: { provider.status }
            )
        )
    }

    /// Adds a source of plain certificates (Vault's PKI CA chain, the system roots) as `trustDomain`'s X.509
    /// authorities, so that WardenTrust need not know the source's module.
    public func addSource<Source: CredentialSource>(
        _ source: Source,
        trustDomain: TrustDomain,
        policy: RotationPolicy = RotationPolicy()
    ) where Source.Value == [Certificate] {
        self.addSource(CertificateListBundleSource(source, trustDomain: trustDomain), policy: policy)
    }

    /// Adds a source of several trust domains' bundles at once, such as the SPIFFE Workload API's bundle stream (the
    /// local trust domain's and each federated one's). Each bundle of a published set is applied as if it came from
    /// its trust domain's own source; a trust domain that leaves the set has its authorities dropped, so they are
    /// retained for ``retention`` like any dropped authority. A trust domain that has a source of its own is left to
    /// it. Add sources before ``run()``.
    public func addSource<Source: CredentialSource>(
        _ source: Source,
        policy: RotationPolicy = RotationPolicy()
    ) where Source.Value == SPIFFEBundleSet {
        let provider = RotatingCredentialProvider(
            source: source,
            policy: policy,
            clock: self.clock,
            logger: self.logger
        )
        let feed = SetFeed(
            name: source.name,
            run: { try await provider.run() },
            current: { try await provider.current() },
            updates: {
                AsyncStream { continuation in
                    let task = Task {
                        for await event in provider.updates {
                            if let set = event.new?.value { continuation.yield(set) }
                        }
                        continuation.finish()
                    }
                    continuation.onTermination = { _ in task.cancel() }
                }
            },
            status: { provider.status }
        )
        self.state.withLock { state in
            precondition(!state.isRunning, "add sources to a TrustBundleManager before it runs")
            state.setFeeds.append(feed)
        }
    }

    /// Applies one set feed's bundles, and drops the trust domains it no longer publishes.
    private func apply(_ set: SPIFFEBundleSet, fromSetFeed index: Int) {
        let (owned, previous) = self.state.withLock { state in
            (Set(state.feeds.map(\.trustDomain)), state.setFeedDomains[index] ?? [])
        }
        let published = Set(set.trustDomains).subtracting(owned)
        for bundle in set.all where published.contains(bundle.trustDomain) {
            self.apply(bundle)
        }
        for gone in previous.subtracting(published).sorted() {
            self.logger.notice("a trust domain left its source's bundle set", metadata: ["trust_domain": "\(gone)"])
            self.apply(SPIFFEBundle(trustDomain: gone))
        }
        self.state.withLock { $0.setFeedDomains[index] = published }
    }

    private func add(_ feed: Feed) {
        self.state.withLock { state in
            precondition(!state.isRunning, "add sources to a TrustBundleManager before it runs")
            precondition(
                !state.feeds.contains { $0.trustDomain == feed.trustDomain },
                "a TrustBundleManager takes one source per trust domain"
            )
            state.feeds.append(feed)
            state.domains[feed.trustDomain] = TrustDomainBundles(trustDomain: feed.trustDomain)
        }
    }

    // MARK: Reading

    /// The current bundles, one immutable snapshot.
    public var bundles: SPIFFEBundleSet { self.state.withLock { $0.snapshot } }

    /// The bundle the endpoint serves for `trustDomain`, with its revision; `nil` before one was applied.
    func servedBundle(_ trustDomain: TrustDomain) -> (SPIFFEBundle, UInt64)? {
        self.state.withLock { state in
            guard let bundle = state.snapshot[trustDomain], let revision = state.revisions[trustDomain] else {
                return nil
            }
            return (bundle, revision)
        }
    }

    /// The state of `trustDomain`'s source, as the rotation engine reports it: fresh, refreshing, or degraded with the
    /// reason of the last failure while the last good bundle is served. `nil` for a trust domain with no source.
    public func status(of trustDomain: TrustDomain) -> CredentialStatus? {
        let (feed, setFeed) = self.state.withLock { state in
            (
                state.feeds.first { $0.trustDomain == trustDomain },
                state.setFeedDomains.first { $0.value.contains(trustDomain) }.map { state.setFeeds[$0.key] }
            )
        }
        return feed?.status() ?? setFeed?.status()
    }

    /// How many bundles were refused (a sequence that went back, another trust domain's bundle).
    public var refusedBundles: Int { self.state.withLock { $0.refusals } }

    /// An X509-SVID verifier that is given every new snapshot of this manager's bundles. The manager keeps every
    /// verifier it makes: make them once, not per request.
    public func makeX509SVIDVerifier(cacheCapacity: Int = 1024) -> X509SVIDVerifier {
        self.state.withLock { state in
            let verifier = X509SVIDVerifier(bundles: state.snapshot, clock: self.clock, cacheCapacity: cacheCapacity)
            state.x509Verifiers.append(verifier)
            return verifier
        }
    }

    /// A JWT-SVID verifier for `audiences` that is given every new snapshot of this manager's bundles.
    public func makeJWTSVIDVerifier(audiences: Set<String>, cacheCapacity: Int = 1024) throws -> JWTSVIDVerifier {
        try self.state.withLock { state in
            let verifier = try JWTSVIDVerifier(
                bundles: state.snapshot,
                audiences: audiences,
                cacheCapacity: cacheCapacity
            )
            state.jwtVerifiers.append(verifier)
            return verifier
        }
    }

    /// What changes from now on. Each call gets its own stream; it ends when the manager stops.
    public func events() -> AsyncStream<TrustBundleEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: TrustBundleEvent.self,
            bufferingPolicy: .bufferingNewest(256)
        )
        let id = UUID()
        self.state.withLock { $0.subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Changing trust

    /// Stops trusting `authority` in `trustDomain` at once: removed from the snapshot before this returns, never
    /// retained, and refused even if the source publishes it again. For a compromised CA.
    public func distrust(_ authority: Certificate, in trustDomain: TrustDomain) {
        let now = self.clock.now
        self.logger.warning(
            "distrusting an authority",
            metadata: ["trust_domain": "\(trustDomain)", "authority": "\(authority.subject)"]
        )
        self.change(trustDomain) { $0.distrust(authority, at: now) }
    }

    /// A source of several trust domains' bundles at once, type-erased.
    private struct SetFeed: Sendable {
        let name: String
        let run: @Sendable () async throws -> Void
        let current: @Sendable () async throws -> SPIFFEBundleSet
        let updates: @Sendable () -> AsyncStream<SPIFFEBundleSet>
        let status: @Sendable () -> CredentialStatus
    }

    /// Applies a bundle as if its source had published it: what ``run()`` does with every bundle it receives. For the
    /// benchmarks, which time it without a source.
    @_spi(Benchmarks) public func apply(_ bundle: SPIFFEBundle) {
        let now = self.clock.now
        let fingerprinted = TrustDomainBundles.fingerprinted(bundle.x509Authorities)
        var refusal: TrustDomainBundles.Refusal?
        self.change(bundle.trustDomain) { domain in
            do {
                return try domain.apply(bundle, fingerprinted: fingerprinted, at: now, retention: self.retention)
            } catch {
                refusal = error as? TrustDomainBundles.Refusal
                return []
            }
        }
        if refusal == nil {
            self.metrics.recordApplied(bundle.trustDomain, at: now)
        }
        if let refusal {
            self.state.withLock { $0.refusals += 1 }
            self.metrics.recordRefused(bundle.trustDomain)
            self.logger.error(
                "refused a trust bundle",
                metadata: ["trust_domain": "\(bundle.trustDomain)", "reason": "\(refusal)"]
            )
        }
    }

    /// Ends the retentions that are due.
    func expireRetentions() {
        let now = self.clock.now
        for trustDomain in self.state.withLock({ Array($0.domains.keys) }) {
            self.change(trustDomain) { $0.expireRetained(at: now) }
        }
    }

    private func change(_ trustDomain: TrustDomain, _ body: (inout TrustDomainBundles) -> [TrustBundleEvent]) {
        // Verifiers and subscribers are told under the lock, so that two changes can never reach them out of order;
        // neither calls back into the manager.
        let events = self.state.withLock { state in
            var domain = state.domains[trustDomain] ?? TrustDomainBundles(trustDomain: trustDomain)
            let events = body(&domain)
            state.domains[trustDomain] = domain
            self.metrics.record(domain, events: events, at: self.clock.now)
            // JWT authorities and the sequence change the snapshot too, without an event.
            let effective = domain.effective
            guard effective != state.snapshot[trustDomain] else { return events }
            state.snapshot.update(effective)
            state.revisions[trustDomain, default: 0] += 1
            for verifier in state.x509Verifiers { verifier.updateBundles(state.snapshot) }
            for verifier in state.jwtVerifiers { verifier.updateBundles(state.snapshot) }
            for event in events {
                for subscriber in state.subscribers.values { subscriber.yield(event) }
            }
            return events
        }
        for event in events {
            self.logger.info(
                "trust bundle changed",
                metadata: [
                    "event": "\(event.kind.rawValue)", "trust_domain": "\(event.trustDomain)",
                    "authority": "\(event.authority.subject)",
                ]
            )
        }
    }

    // MARK: Running

    /// Runs every source's provider, applies what they publish, and ends retentions when they are due, until
    /// cancelled or graceful shutdown.
    public func run() async throws {
        let (feeds, setFeeds) = self.state.withLock { state in
            state.isRunning = true
            return (state.feeds, state.setFeeds)
        }
        defer {
            let subscribers = self.state.withLock { Array($0.subscribers.values) }
            for subscriber in subscribers { subscriber.finish() }
        }
        // Bundles hold no leases to hand back: at graceful shutdown everything simply stops.
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for feed in feeds {
                    group.addTask { try await feed.run() }
                    group.addTask {
                        let updates = feed.updates()
                        // The first bundle, however long the source takes; later ones as they rotate.
                        if let first = try? await feed.current() { self.apply(first) }
                        for await bundle in updates { self.apply(bundle) }
                    }
                }
                for (index, feed) in setFeeds.enumerated() {
                    group.addTask { try await feed.run() }
                    group.addTask {
                        let updates = feed.updates()
                        if let first = try? await feed.current() { self.apply(first, fromSetFeed: index) }
                        for await set in updates { self.apply(set, fromSetFeed: index) }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await self.clock.sleep(for: self.sweepInterval())
                        self.expireRetentions()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Until the next retention ends; at most a minute, and at most a quarter of ``retention``, so that a retention
    /// that begins while the sweep sleeps ends late by no more than that.
    private func sweepInterval() -> Duration {
        let now = self.clock.now
        let longest = max(0.01, min(60, self.retention.timeInterval / 4))
        let next = self.state.withLock { state in state.domains.values.compactMap(\.nextRetentionEnd).min() }
        guard let next else { return .milliseconds(Int64(longest * 1000)) }
        let seconds = max(0, min(longest, next.timeIntervalSince(now)))
        return .milliseconds(Int64(seconds * 1000) + 1)
    }
}
