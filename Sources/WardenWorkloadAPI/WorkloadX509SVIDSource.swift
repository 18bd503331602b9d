public import Foundation
public import Logging
public import Metrics
import Synchronization
public import WardenCore
public import WardenCredentials
public import WardenSPIFFE

/// The workload's X509-SVID from the SPIFFE Workload API, as a source for the rotation engine: its value is the chain
/// and key (`CertificateAndKey`), ready for WardenNIOSSL's `RotatingCertificateReloader`.
///
/// The source keeps one `FetchX509SVID` stream open, and a rotation the agent pushes reaches the provider's `current()`
/// at once, not at the next refresh point: it is a `PushingCredentialSource`, which every `RotatingCredentialProvider`
/// wires up. ``WardenCredentials/RotatingCredentialProvider/init(workloadAPI:selection:initialWait:reconnectBackoff:policy:logger:)``
/// makes one in a line.
///
/// On failure, as the anchors' users asked for:
/// - a broken stream is reopened on ``reconnectBackoff`` (jittered, reset by a good message); `InvalidArgument` is a bug
///   and is not retried: the source fails with ``WorkloadAPIError/Code/invalidRequest`` instead;
/// - while the stream is down or the agent has withdrawn the identity (`PermissionDenied`), the provider serves the
///   last SVID while it is valid and its status says why;
/// - at start, a fetch waits at most ``initialWait`` for the first SVID, then fails with
///   ``WorkloadAPIError/Code/timeout`` naming the socket and the last status.
public final class WorkloadX509SVIDSource: PushingCredentialSource, Sendable {
    public typealias Value = CertificateAndKey

    /// Which of the workload's X509-SVIDs to serve.
    public enum Selection: Sendable, Hashable, CustomStringConvertible {
        /// The agent's first, its default.
        case `default`
        /// The one with this SPIFFE ID.
        case id(SPIFFEID)
        /// The one the operator named with this hint.
        case hint(String)

        public var description: String {
            switch self {
            case .default: "default"
            case .id(let id): id.description
            case .hint(let hint): "hint \(hint)"
            }
        }
    }

    /// The client the stream runs on.
    public let client: WorkloadAPIClient
    /// Which SVID is served.
    public let selection: Selection
    /// How long a fetch waits for the stream's first answer: 10 s by default.
    public let initialWait: Duration
    /// How a broken stream is reopened: 200 ms doubling to 10 s, full jitter, by default.
    public let reconnectBackoff: BackoffPolicy
    private let stream: WorkloadAPIStream<X509Context, WorkloadX509SVID>

    public init(
        client: WorkloadAPIClient,
        selection: Selection = .default,
        initialWait: Duration = .seconds(10),
        reconnectBackoff: BackoffPolicy = .workloadAPIReconnect,
        logger: Logger = Logger(label: "warden.workloadapi"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.client = client
        self.selection = selection
        self.initialWait = initialWait
        self.reconnectBackoff = reconnectBackoff
        self.stream = WorkloadAPIStream(
            what: "X509-SVID",
            metrics: WorkloadAPIMetrics(stream: "x509_svid", factory: metricsFactory ?? MetricsSystem.factory),
            logger: logger,
            watch: { [client] in client.watchX509Context() },
            select: { context in
                let chosen: WorkloadX509SVID? =
                    switch selection {
                    case .default: context.defaultSVID
                    case .id(let id): context.svids.first { $0.id == id }
                    case .hint(let hint): context.svids.first { $0.hint == hint }
                    }
                guard let chosen else {
                    return .failure(
                        WorkloadAPIError(.permissionDenied, "the agent issued no X509-SVID for \(selection)")
                    )
                }
                return .success(chosen)
            },
            // The certificate and the bundle sent with it: a change of either is pushed.
            identity: { "\($0.svid.leaf.hashValue)-\($0.bundle.hashValue)" }
        )
    }

    deinit {
        self.stream.stop()
    }

    public var name: String { "workload-api:\(self.client.address) x509-svid \(self.selection)" }

    /// Called after each change the stream brings: a new SVID, or a failure or recovery of the stream.
    public func onChange(_ body: @escaping @Sendable () -> Void) {
        self.stream.onChange(body)
    }

    /// The health of what this source serves, from its stream.
    public enum Health: Sendable, CustomStringConvertible {
        /// No answer from the agent yet.
        case pending
        /// The stream is up and the SVID valid.
        case fresh
        /// The stream is down (`error`); the SVID the agent last sent, `age` ago, is still valid and served.
        case stale(age: Duration, error: WorkloadAPIError)
        /// The agent has withdrawn the identity (`PermissionDenied`); a valid SVID held is still served.
        case denied(WorkloadAPIError)
        /// The SVID held expired at `since` and no new one came.
        case expired(since: Date)

        public var description: String {
            switch self {
            case .pending: "pending"
            case .fresh: "fresh"
            case .stale(let age, let error): "stale for \(age): \(error)"
            case .denied(let error): "denied: \(error)"
            case .expired(let since): "expired since \(since)"
            }
        }
    }

    /// Fresh, stale (with the age of the last update), denied or expired; the provider's `status` says the same in
    /// the rotation engine's words.
    public var health: Health {
        let now = Date()
        let lastGood = self.stream.lastGood
        if let held = lastGood?.value.svid.leaf, held.notValidAfter <= now {
            return .expired(since: held.notValidAfter)
        }
        switch self.stream.outcome {
        case .none: return .pending
        case .some(.success): return .fresh
        case .some(.failure(let error)) where error.code == .permissionDenied: return .denied(error)
        case .some(.failure(let error)):
            guard let lastGood else { return .pending }
            return .stale(age: .seconds(now.timeIntervalSince(lastGood.at)), error: error)
        }
    }

    public func fetch() async throws -> Credential<CertificateAndKey> {
        self.stream.start(backoff: self.reconnectBackoff)
        let svid = try await self.stream.value(within: self.initialWait, from: self.client.address)
        let leaf = svid.svid.leaf
        return Credential(
            value: svid.certificateAndKey,
            issuedAt: leaf.notValidBefore,
            expiresAt: leaf.notValidAfter,
            metadata: CredentialMetadata(sourceName: self.name, kind: "x509-svid", identifier: "\(leaf.serialNumber)")
        )
    }
}

extension RotatingCredentialProvider where Source == WorkloadX509SVIDSource {
    /// A provider of the workload's X509-SVID from the SPIFFE Workload API, to which the agent's pushes (a rotation,
    /// a withdrawn identity, a broken stream) reach at once.
    public convenience init(
        workloadAPI client: WorkloadAPIClient,
        selection: WorkloadX509SVIDSource.Selection = .default,
        initialWait: Duration = .seconds(10),
        reconnectBackoff: BackoffPolicy = .workloadAPIReconnect,
        policy: RotationPolicy = RotationPolicy(),
        logger: Logger = Logger(label: "warden.workloadapi")
    ) {
        let source = WorkloadX509SVIDSource(
            client: client,
            selection: selection,
            initialWait: initialWait,
            reconnectBackoff: reconnectBackoff,
            logger: logger
        )
        // The source pushes (PushingCredentialSource): the provider wires it up.
        self.init(source: source, policy: policy, logger: logger)
    }
}
