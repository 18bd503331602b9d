import Foundation
internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import GRPCProtobuf
public import Logging
public import ServiceLifecycle
public import WardenCore
public import WardenSPIFFE

/// A client of the SPIFFE Workload API: a workload asks the local agent (SPIRE's, or any that speaks the SPIFFE
/// Workload Endpoint standard) for its own X509-SVIDs, JWT-SVIDs and the bundles it should trust, over a Unix domain
/// socket or TCP, with the `workload.spiffe.io: true` header on every call.
///
/// It is a `Service`: its connection to the agent lives while ``run()`` runs, in a `ServiceGroup` or a task of your
/// own; calls made before it starts wait for it.
///
/// ```swift
/// let workloadAPI = try WorkloadAPIClient()                 // SPIFFE_ENDPOINT_SOCKET
/// Task { try await workloadAPI.run() }
/// let context = try await workloadAPI.fetchX509Context()
/// print(context.defaultSVID.id)
/// ```
///
/// Every failure is a ``WorkloadAPIError``: the agent's gRPC status mapped to a code (`Unavailable` to
/// ``WorkloadAPIError/Code/unavailable``, `PermissionDenied` to ``WorkloadAPIError/Code/permissionDenied``,
/// `InvalidArgument` to ``WorkloadAPIError/Code/invalidRequest``), named in the message with the socket; what the agent
/// sends is checked against ``WorkloadAPILimits`` before any certificate is parsed.
public final class WorkloadAPIClient: Service, Sendable {
    /// Where the agent listens.
    public let address: WorkloadAPIAddress
    /// What the client accepts from the agent.
    public let limits: WorkloadAPILimits
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let logger: Logger

    /// The header the standard requires on every call, so that a browser (or SSRF) cannot reach the agent.
    static let securityHeader: Metadata = ["workload.spiffe.io": "true"]

    /// A client of the agent at `address`, or at `SPIFFE_ENDPOINT_SOCKET` when `address` is `nil`.
    ///
    /// - Throws: ``WorkloadAPIError/Code/invalidEndpoint`` when no address is given and `SPIFFE_ENDPOINT_SOCKET` is
    ///   unset, or the address cannot be used.
    public init(
        address: WorkloadAPIAddress? = nil,
        limits: WorkloadAPILimits = WorkloadAPILimits(),
        logger: Logger = Logger(label: "warden.workloadapi")
    ) throws(WorkloadAPIError) {
        let chosen: WorkloadAPIAddress? =
            if let address { address } else { try WorkloadAPIAddress.fromEnvironment() }
        guard let address = chosen else {
            throw WorkloadAPIError(
                .invalidEndpoint,
                "no Workload API address: \(WorkloadAPIAddress.environmentVariable) is not set"
            )
        }
        self.address = address
        self.limits = limits
        self.logger = logger
        let target: any ResolvableTarget =
            switch address.kind {
            case .unix(let path): .unixDomainSocket(path: path)
            case .tcp(let host, let port) where host.contains(":"): .ipv6(address: host, port: port)
            case .tcp(let host, let port): .ipv4(address: host, port: port)
            }
        do {
            let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext)
            self.client = GRPCClient(transport: transport)
        } catch {
            throw WorkloadAPIError(.invalidEndpoint, "cannot make a gRPC transport for \(address): \(error)")
        }
    }

    /// Keeps the connection to the agent until the task is cancelled, a graceful shutdown is triggered, or
    /// ``shutdown()`` is called.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }

    /// Ends the connection: calls under way finish, new ones fail.
    public func shutdown() {
        self.client.beginGracefulShutdown()
    }

    private var workloadAPI: SpiffeWorkloadAPI.Client<HTTP2ClientTransport.Posix> {
        SpiffeWorkloadAPI.Client(wrapping: self.client)
    }

    private func options(timeout: Duration?) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        // grpc-swift-nio-transport applies the request limit to the messages a client receives as well.
        options.maxRequestMessageBytes = self.limits.maximumMessageSize
        options.maxResponseMessageBytes = self.limits.maximumMessageSize
        return options
    }

    // MARK: X.509

    /// The workload's X509-SVIDs and the X.509 bundles it should trust: the agent's first answer.
    ///
    /// - Throws: ``WorkloadAPIError``; ``WorkloadAPIError/Code/timeout`` when the agent gives nothing within
    ///   `timeout`.
    public func fetchX509Context(timeout: Duration = .seconds(10)) async throws(WorkloadAPIError) -> X509Context {
        let limits = self.limits
        return try await self.first(timeout: timeout, "FetchX509SVID") { options, handle in
            try await self.workloadAPI.fetchX509SVID(
                X509SVIDRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await handle(response.messages, { try X509Context(response: $0, limits: limits) }) }
        }
    }

    /// Every answer of the agent's X.509 stream as it comes: the first at once, then each rotation or bundle change.
    /// The sequence ends with a ``WorkloadAPIError`` when the stream fails, and normally when the agent ends it; the
    /// caller reconnects (the sources do, with backoff).
    public func watchX509Context() -> AsyncThrowingStream<X509Context, any Error> {
        let limits = self.limits
        return self.watch("FetchX509SVID") { options, yield in
            try await self.workloadAPI.fetchX509SVID(
                X509SVIDRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await yield(response.messages, { try X509Context(response: $0, limits: limits) }) }
        }
    }

    /// The X.509 bundles the workload should trust, by trust domain: the agent's first answer to `FetchX509Bundles`.
    public func fetchX509Bundles(
        timeout: Duration = .seconds(10)
    ) async throws(WorkloadAPIError) -> [TrustDomain: X509Bundle] {
        let limits = self.limits
        return try await self.first(timeout: timeout, "FetchX509Bundles") { options, handle in
            try await self.workloadAPI.fetchX509Bundles(
                X509BundlesRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await handle(response.messages, { try Self.x509Bundles($0.bundles, limits: limits) }) }
        }
    }

    /// Every answer of the agent's X.509 bundle stream; a federated bundle that is removed is absent from the next.
    public func watchX509Bundles() -> AsyncThrowingStream<[TrustDomain: X509Bundle], any Error> {
        let limits = self.limits
        return self.watch("FetchX509Bundles") { options, yield in
            try await self.workloadAPI.fetchX509Bundles(
                X509BundlesRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await yield(response.messages, { try Self.x509Bundles($0.bundles, limits: limits) }) }
        }
    }

    // MARK: JWT

    /// A JWT-SVID for `audience` (at least one), of the default identity or of `id`.
    public func fetchJWTSVID(
        audience: [String],
        id: SPIFFEID? = nil,
        timeout: Duration = .seconds(10)
    ) async throws(WorkloadAPIError) -> WorkloadJWTSVID {
        guard !audience.isEmpty else {
            throw WorkloadAPIError(.invalidRequest, "a JWT-SVID needs at least one audience")
        }
        var request = JWTSVIDRequest()
        request.audience = audience
        request.spiffeID = id?.description ?? ""
        let limits = self.limits
        let response: JWTSVIDResponse = try await self.call(timeout: timeout, "FetchJWTSVID") { options in
            try await self.workloadAPI.fetchJWTSVID(request, metadata: Self.securityHeader, options: options)
        }
        guard response.svids.count <= limits.maximumSVIDs else {
            throw WorkloadAPIError(
                .responseTooLarge,
                "FetchJWTSVID sent \(response.svids.count) JWT-SVIDs, over the limit of \(limits.maximumSVIDs)"
            )
        }
        guard let first = response.svids.first else {
            throw WorkloadAPIError(.malformedResponse, "FetchJWTSVID sent no JWT-SVID")
        }
        return try WorkloadJWTSVID(first)
    }

    /// The JWT bundles the workload should trust, by trust domain: the agent's first answer to `FetchJWTBundles`.
    public func fetchJWTBundles(
        timeout: Duration = .seconds(10)
    ) async throws(WorkloadAPIError) -> [TrustDomain: JWTBundle] {
        let limits = self.limits
        return try await self.first(timeout: timeout, "FetchJWTBundles") { options, handle in
            try await self.workloadAPI.fetchJWTBundles(
                JWTBundlesRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await handle(response.messages, { try Self.jwtBundles($0.bundles, limits: limits) }) }
        }
    }

    /// Every answer of the agent's JWT bundle stream.
    public func watchJWTBundles() -> AsyncThrowingStream<[TrustDomain: JWTBundle], any Error> {
        let limits = self.limits
        return self.watch("FetchJWTBundles") { options, yield in
            try await self.workloadAPI.fetchJWTBundles(
                JWTBundlesRequest(),
                metadata: Self.securityHeader,
                options: options
            ) { response in try await yield(response.messages, { try Self.jwtBundles($0.bundles, limits: limits) }) }
        }
    }

    /// Asks the agent to validate a JWT-SVID for `audience`: the SPIFFE ID and the claims when it is valid.
    ///
    /// - Throws: ``WorkloadAPIError/Code/invalidRequest`` when the agent finds the token invalid (SPIRE answers
    ///   `InvalidArgument`), with the agent's reason.
    public func validateJWTSVID(
        _ token: String,
        audience: String,
        timeout: Duration = .seconds(10)
    ) async throws(WorkloadAPIError) -> (id: SPIFFEID, claims: [String: JSONValue]) {
        var request = ValidateJWTSVIDRequest()
        request.audience = audience
        request.svid = token
        let response: ValidateJWTSVIDResponse = try await self.call(timeout: timeout, "ValidateJWTSVID") { options in
            try await self.workloadAPI.validateJWTSVID(request, metadata: Self.securityHeader, options: options)
        }
        let id: SPIFFEID
        do {
            id = try SPIFFEID(response.spiffeID)
        } catch {
            throw WorkloadAPIError(
                .malformedResponse,
                "ValidateJWTSVID named '\(response.spiffeID)', not a SPIFFE ID: \(error.message)"
            )
        }
        return (id, response.claims.fields.mapValues(JSONValue.init(protobuf:)))
    }

    // MARK: Calls

    /// One unary call, its failure mapped to a ``WorkloadAPIError``.
    private func call<Response: Sendable>(
        timeout: Duration,
        _ method: String,
        _ body: (CallOptions) async throws -> Response
    ) async throws(WorkloadAPIError) -> Response {
        do {
            return try await body(self.options(timeout: timeout))
        } catch {
            throw self.mapped(error, method)
        }
    }

    /// The first message of a stream, converted, within `timeout`; the stream is then closed.
    private func first<Message: Sendable, Value: Sendable>(
        timeout: Duration,
        _ method: String,
        _ body: (
            CallOptions,
            @escaping @Sendable (RPCAsyncSequence<Message, any Error>, @escaping @Sendable (Message) throws -> Value)
                async throws -> Value
        ) async throws -> Value
    ) async throws(WorkloadAPIError) -> Value {
        do {
            return try await body(self.options(timeout: timeout)) { messages, convert in
                for try await message in messages {
                    return try convert(message)
                }
                throw WorkloadAPIError(.unavailable, "\(method) on \(self.address) ended before its first answer")
            }
        } catch {
            throw self.mapped(error, method)
        }
    }

    /// Each message of a stream, converted, until it ends or fails.
    private func watch<Message: Sendable, Value: Sendable>(
        _ method: String,
        _ body:
            @escaping @Sendable (
                CallOptions,
                @escaping @Sendable (
                    RPCAsyncSequence<Message, any Error>, @escaping @Sendable (Message) throws -> Value
                )
                    async throws -> Void
            ) async throws -> Void
    ) -> AsyncThrowingStream<Value, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: Value.self,
            bufferingPolicy: .bufferingNewest(1)
        )
        let options = self.options(timeout: nil)
        let task = Task {
            do {
                try await body(options) { messages, convert in
                    for try await message in messages {
                        continuation.yield(try convert(message))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: self.mapped(error, method))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func mapped(_ error: any Error, _ method: String) -> WorkloadAPIError {
        if let error = error as? WorkloadAPIError { return error }
        guard let error = error as? RPCError else {
            if error is CancellationError {
                return WorkloadAPIError(.unavailable, "\(method) on \(self.address) was cancelled")
            }
            return WorkloadAPIError(.unavailable, "\(method) on \(self.address) failed: \(error)")
        }
        // grpc-swift reports a message over the size limit as an internal error of its own decoder, not the agent's.
        if error.message.contains("maximum payload size") {
            return WorkloadAPIError(
                .responseTooLarge,
                "\(method) on \(self.address): a message over the limit of \(self.limits.maximumMessageSize) bytes "
                    + "(\(error.message))"
            )
        }
        let status = "\(error.code) \"\(error.message)\""
        let code: WorkloadAPIError.Code =
            switch error.code {
            case .permissionDenied: .permissionDenied
            case .invalidArgument: .invalidRequest
            case .deadlineExceeded: .timeout
            case .resourceExhausted: .responseTooLarge
            default: .unavailable
            }
        return WorkloadAPIError(code, "\(method) on \(self.address): the agent answered \(status)")
    }

    // MARK: Bundles

    static func x509Bundles(
        _ bundles: [String: Data],
        limits: WorkloadAPILimits
    ) throws(WorkloadAPIError) -> [TrustDomain: X509Bundle] {
        guard bundles.count <= limits.maximumBundles else {
            throw WorkloadAPIError(
                .responseTooLarge,
                "the agent sent \(bundles.count) bundles, over the limit of \(limits.maximumBundles)"
            )
        }
        var result: [TrustDomain: X509Bundle] = [:]
        for (name, bytes) in bundles {
            let trustDomain = try Self.trustDomain(name)
            do {
                result[trustDomain] = try X509Bundle.parse(trustDomain: trustDomain, bytes: bytes)
            } catch {
                throw WorkloadAPIError(
                    .malformedResponse,
                    "the X.509 bundle of \(trustDomain) does not parse: \(error.message)"
                )
            }
        }
        return result
    }

    static func jwtBundles(
        _ bundles: [String: Data],
        limits: WorkloadAPILimits
    ) throws(WorkloadAPIError) -> [TrustDomain: JWTBundle] {
        guard bundles.count <= limits.maximumBundles else {
            throw WorkloadAPIError(
                .responseTooLarge,
                "the agent sent \(bundles.count) bundles, over the limit of \(limits.maximumBundles)"
            )
        }
        var result: [TrustDomain: JWTBundle] = [:]
        for (name, bytes) in bundles {
            let trustDomain = try Self.trustDomain(name)
            do {
                result[trustDomain] = try JWTBundle.parse(trustDomain: trustDomain, jwks: bytes)
            } catch {
                throw WorkloadAPIError(
                    .malformedResponse,
                    "the JWT bundle of \(trustDomain) does not parse: \(error.message)"
                )
            }
        }
        return result
    }

    /// A bundle map's key: SPIRE sends the trust domain's ID (`spiffe://example.org`); a bare name is accepted too.
    static func trustDomain(_ name: String) throws(WorkloadAPIError) -> TrustDomain {
        do {
            return try TrustDomain(name)
        } catch {
            throw WorkloadAPIError(
                .malformedResponse,
                "a bundle is keyed '\(name)', not a trust domain: \(error.message)"
            )
        }
    }
}
