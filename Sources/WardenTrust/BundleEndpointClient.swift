import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

/// One GET of a bundle endpoint over HTTPS/1.1, with the checks of SPIFFE Federation and Warden's limits.
///
/// A small SwiftNIO client rather than AsyncHTTPClient: `https_spiffe` must verify the endpoint's X509-SVID during
/// the handshake, and AsyncHTTPClient has no custom verification hook. Both profiles take the same path, so they
/// share every limit: 200 only, no redirect followed, the body capped (a `Content-Length` over the cap is refused
/// before any body is read), the whole exchange bounded by `timeout`.
struct BundleEndpointClient: Sendable {
    enum Verification: Sendable {
        case web(trustRoots: [Certificate]?)
        case spiffe(endpointID: SPIFFEID, authorities: X509Bundle?)
    }

    let url: URL
    let host: String
    let port: Int
    let target: String
    let maximumBodySize: Int
    let timeout: Duration

    init(url: URL, maximumBodySize: Int, timeout: Duration) throws(TrustError) {
        guard url.scheme?.lowercased() == "https" else {
            throw TrustError(.invalidEndpoint, "\(url) is not an https URL; both bundle endpoint profiles are HTTPS")
        }
        guard let host = url.host(percentEncoded: false), !host.isEmpty else {
            throw TrustError(.invalidEndpoint, "\(url) has no host")
        }
        let port = url.port ?? 443
        guard (1...65535).contains(port) else {
            throw TrustError(.invalidEndpoint, "\(url) has port \(port), outside 1–65535")
        }
        guard url.user == nil, url.password == nil else {
            throw TrustError(.invalidEndpoint, "a bundle endpoint URL carries no user name or password")
        }
        self.url = url
        // `URL.host` keeps an IPv6 literal's brackets off already.
        self.host = host
        self.port = port
        var target = url.path(percentEncoded: true)
        if target.isEmpty { target = "/" }
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        self.target = target
        self.maximumBodySize = maximumBodySize
        self.timeout = timeout
    }

    /// The body of a 200 response.
    func get(verification: Verification) async throws(TrustError) -> [UInt8] {
        let hostIsAddress = (try? SocketAddress(ipAddress: self.host, port: 0)) != nil
        let context: NIOSSLContext
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        let outcome = VerificationOutcome()
        switch verification {
        case .web(let roots):
            configuration.certificateVerification = .fullVerification
            if let roots {
                do {
                    configuration.trustRoots = .certificates(
                        try roots.map {
                            try NIOSSLCertificate(bytes: CertificateDecoder.derBytes(of: $0), format: .der)
                        }
                    )
                } catch {
                    throw TrustError(.invalidEndpoint, "a trust root could not be loaded: \(error)")
                }
            } else {
                configuration.trustRoots = .default
            }
        case .spiffe:
            // Replaced by the callback below; `.none` would switch the callback off.
            configuration.certificateVerification = .noHostnameVerification
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TrustError(.invalidEndpoint, "the TLS configuration was refused: \(error)")
        }

        let request = self.requestHead()
        let maximumBodySize = self.maximumBodySize
        let timeout = self.timeout
        let host = self.host
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.timeInterval * 1e9)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls: NIOSSLClientHandler
                    switch verification {
                    case .web:
                        // With no host name NIO SSL checks the certificate's IP addresses against the peer's.
                        tls = try NIOSSLClientHandler(context: context, serverHostname: hostIsAddress ? nil : host)
                    case .spiffe(let endpointID, let authorities):
                        tls = try NIOSSLClientHandler(
                            context: context,
                            serverHostname: hostIsAddress ? nil : host,
                            customVerificationCallback: { presented, promise in
                                promise.succeed(outcome.verify(presented, endpointID: endpointID, authorities))
                            }
                        )
                    }
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(tls)
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(
                        ResponseCollector(
                            maximumBodySize: maximumBodySize,
                            promise: outcome.response(channel.eventLoop)
                        )
                    )
                }
            }

        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: self.host, port: self.port).get()
        } catch {
            throw TrustError(.endpointUnreachable, "\(self.url) could not be reached: \(error)")
        }
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.timeInterval * 1e9))) {
            // Noted first: the TLS handler may turn the close that follows into an error of its own.
            outcome.noteTimeout()
            channel.pipeline.fireErrorCaught(ExchangeTimedOut())
        }
        defer { deadline.cancel() }
        channel.write(HTTPClientRequestPart.head(request), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let result = await withTaskCancellationHandler {
            // The promise carries its failures in the Result: it never fails.
            (try? await outcome.responseFuture?.get()) ?? .failure(.closedEarly)
        } onCancel: {
            channel.close(promise: nil)
        }
        switch result {
        case .success(let body):
            return body
        case .failure(let failure):
            throw self.describe(failure, outcome: outcome)
        }
    }

    private func requestHead() -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.target)
        let hostHeader = self.host.contains(":") ? "[\(self.host)]" : self.host
        head.headers.add(name: "Host", value: self.port == 443 ? hostHeader : "\(hostHeader):\(self.port)")
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "User-Agent", value: "warden")
        head.headers.add(name: "Connection", value: "close")
        return head
    }

    private func describe(_ failure: ExchangeFailure, outcome: VerificationOutcome) -> TrustError {
        if outcome.timedOut {
            return TrustError(.timedOut, "\(self.url) did not answer within \(self.timeout)")
        }
        switch failure {
        case .status(let status, let location):
            let redirect = location.map { "; a redirect (to \($0)) is not followed" } ?? ""
            return TrustError(
                .unexpectedStatus,
                "\(self.url) answered \(status.code) \(status.reasonPhrase)\(redirect)"
            )
        case .tooLarge(let size):
            return TrustError(
                .responseTooLarge,
                "\(self.url)'s response is \(size) bytes or more, over the limit of \(self.maximumBodySize)"
            )
        case .timedOut:
            return TrustError(.timedOut, "\(self.url) did not answer within \(self.timeout)")
        case .closedEarly:
            if let refusal = outcome.refusal {
                return TrustError(.endpointNotVerified, refusal)
            }
            return TrustError(.endpointUnreachable, "\(self.url) closed the connection before its response ended")
        case .transport(let description, let isTLS):
            if let refusal = outcome.refusal {
                return TrustError(.endpointNotVerified, refusal)
            }
            if isTLS {
                return TrustError(.endpointNotVerified, "the TLS handshake with \(self.url) failed: \(description)")
            }
            return TrustError(.endpointUnreachable, "\(self.url): \(description)")
        }
    }
}

/// The verdict of the `https_spiffe` callback, kept so that a failed handshake can say which SPIFFE rule failed
/// instead of NIO SSL's generic error, and the promise of the response.
private final class VerificationOutcome: Sendable {
    private let state = Mutex<(refusal: String?, future: EventLoopFuture<Result<[UInt8], ExchangeFailure>>?)>(
        (nil, nil)
    )

    private let deadlinePassed = Mutex(false)

    var refusal: String? { self.state.withLock { $0.refusal } }
    var timedOut: Bool { self.deadlinePassed.withLock { $0 } }

    func noteTimeout() { self.deadlinePassed.withLock { $0 = true } }
    var responseFuture: EventLoopFuture<Result<[UInt8], ExchangeFailure>>? { self.state.withLock { $0.future } }

    func response(_ eventLoop: any EventLoop) -> EventLoopPromise<Result<[UInt8], ExchangeFailure>> {
        let promise = eventLoop.makePromise(of: Result<[UInt8], ExchangeFailure>.self)
        self.state.withLock { $0.future = promise.futureResult }
        return promise
    }

    func verify(
        _ presented: [NIOSSLCertificate],
        endpointID: SPIFFEID,
        _ authorities: X509Bundle?
    ) -> NIOSSLVerificationResult {
        guard let authorities else {
            return self.refuse("no bundle of \(endpointID.trustDomain) is held to verify the endpoint's X509-SVID with")
        }
        let chain: [Certificate]
        do {
            chain = try presented.map { try CertificateDecoder.certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            return self.refuse("the endpoint presented a certificate that does not parse: \(error)")
        }
        do {
            _ = try X509SVIDVerifier(bundle: authorities).verify(chain, authorizer: .id(endpointID))
            return .certificateVerified
        } catch {
            return self.refuse("the endpoint's X509-SVID was not verified as \(endpointID): \(error)")
        }
    }

    private func refuse(_ reason: String) -> NIOSSLVerificationResult {
        self.state.withLock { $0.refusal = reason }
        return .failed
    }
}

private enum ExchangeFailure: Error {
    case status(HTTPResponseStatus, location: String?)
    case tooLarge(Int)
    case timedOut
    case closedEarly
    case transport(String, isTLS: Bool)
}

private struct ExchangeTimedOut: Error {}

/// Collects one response: the status must be 200, the body stays under the cap, and the first problem ends the
/// exchange.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let maximumBodySize: Int
    private let promise: EventLoopPromise<Result<[UInt8], ExchangeFailure>>
    private var body: [UInt8] = []
    private var isDone = false

    init(maximumBodySize: Int, promise: EventLoopPromise<Result<[UInt8], ExchangeFailure>>) {
        self.maximumBodySize = maximumBodySize
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isDone else { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard head.status == .ok else {
                self.finish(.failure(.status(head.status, location: head.headers.first(name: "Location"))), context)
                return
            }
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > self.maximumBodySize
            {
                self.finish(.failure(.tooLarge(length)), context)
            }
        case .body(let buffer):
            guard self.body.count + buffer.readableBytes <= self.maximumBodySize else {
                self.finish(.failure(.tooLarge(self.body.count + buffer.readableBytes)), context)
                return
            }
            self.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            self.finish(.success(self.body), context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ExchangeTimedOut {
            self.finish(.failure(.timedOut), context)
        } else {
            let isTLS = error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
            self.finish(.failure(.transport("\(error)", isTLS: isTLS)), context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(.failure(.closedEarly), context)
        context.fireChannelInactive()
    }

    // A channel that never became active (its connect failed) is torn down without `channelInactive`.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish(.failure(.closedEarly), context)
    }

    private func finish(_ result: Result<[UInt8], ExchangeFailure>, _ context: ChannelHandlerContext) {
        guard !self.isDone else { return }
        self.isDone = true
        self.promise.succeed(result)
        context.close(promise: nil)
    }
}
