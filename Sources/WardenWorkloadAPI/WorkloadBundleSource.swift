import Foundation
public import Logging
public import Metrics
import Synchronization
public import WardenCore
public import WardenCredentials
public import WardenSPIFFE

/// The bundles the SPIFFE Workload API gives the workload, its own trust domain's and each federated one's, as one
/// source for `TrustBundleManager.addSource(_:policy:)`: X.509 authorities from the `FetchX509Bundles` stream (a change
/// the agent pushes reaches the manager at once), JWT authorities fetched with each change and at least every
/// ``jwtRereadInterval`` (a fetch that fails keeps the last ones).
///
/// A federated trust domain the agent stops sending leaves the set; the manager then drops its authorities, retained
/// for its `retention` like any dropped authority. On failure it behaves as ``WorkloadX509SVIDSource``: the stream is
/// reopened with jittered backoff, the manager serves the last bundles, and the first fetch waits at most
/// ``initialWait``. A JWT bundle fetch that fails leaves the JWT authorities out of that answer and is logged.
public final class WorkloadBundleSource: PushingCredentialSource, Sendable {
    public typealias Value = SPIFFEBundleSet

    /// The client the stream runs on.
    public let client: WorkloadAPIClient
    /// How long a fetch waits for the stream's first answer: 10 s by default.
    public let initialWait: Duration
    /// How a broken stream is reopened: 200 ms doubling to 10 s, full jitter, by default.
    public let reconnectBackoff: BackoffPolicy
    /// How often the JWT authorities are fetched again when nothing else changes: 5 minutes by default.
    public let jwtRereadInterval: Duration
    private let logger: Logger
    private let lastJWTBundles = Mutex<[TrustDomain: JWTBundle]>([:])
    private let stream: WorkloadAPIStream<[TrustDomain: X509Bundle], [TrustDomain: X509Bundle]>

    public init(
        client: WorkloadAPIClient,
        initialWait: Duration = .seconds(10),
        reconnectBackoff: BackoffPolicy = .workloadAPIReconnect,
        jwtRereadInterval: Duration = .seconds(300),
        logger: Logger = Logger(label: "warden.workloadapi"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.client = client
        self.initialWait = initialWait
        self.reconnectBackoff = reconnectBackoff
        self.jwtRereadInterval = jwtRereadInterval
        self.logger = logger
        self.stream = WorkloadAPIStream(
            what: "X.509 bundle set",
            metrics: WorkloadAPIMetrics(stream: "x509_bundles", factory: metricsFactory ?? MetricsSystem.factory),
            logger: logger,
            watch: { [client] in client.watchX509Bundles() },
            select: { .success($0) },
            // Whole certificates, not serials: a serial is unique only per issuer.
            identity: { "\($0.hashValue)" }
        )
    }

    deinit {
        self.stream.stop()
    }

    public var name: String { "workload-api:\(self.client.address) bundles" }

    public func onChange(_ body: @escaping @Sendable () -> Void) {
        self.stream.onChange(body)
    }

    public func fetch() async throws -> Credential<SPIFFEBundleSet> {
        self.stream.start(backoff: self.reconnectBackoff)
        let x509 = try await self.stream.value(within: self.initialWait, from: self.client.address)
        let jwt: [TrustDomain: JWTBundle]
        do {
            jwt = try await self.client.fetchJWTBundles()
            self.lastJWTBundles.withLock { $0 = jwt }
        } catch {
            // The last JWT authorities stay: one failed fetch must not end JWT trust until the next reread.
            jwt = self.lastJWTBundles.withLock { $0 }
            self.logger.warning(
                "the JWT bundles could not be fetched; the last ones are kept",
                metadata: ["error": "\(error)"]
            )
        }
        let trustDomains = Set(x509.keys).union(jwt.keys)
        let set = SPIFFEBundleSet(
            trustDomains.sorted().map { trustDomain in
                SPIFFEBundle(
                    trustDomain: trustDomain,
                    x509Authorities: x509[trustDomain]?.authorities ?? [],
                    jwtAuthorities: jwt[trustDomain]?.authorities ?? [:]
                )
            }
        )
        let now = Date()
        return Credential(
            value: set,
            issuedAt: now,
            refreshHint: now.addingTimeInterval(self.jwtRereadInterval.timeInterval),
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "spiffe-bundle-set",
                identifier: "\(set.hashValue)"
            )
        )
    }
}
