import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// One TLS handshake with an endpoint, to record the chain it presents; no application data is sent.
///
/// The presented chain is recorded, not trusted: the handshake is finished whatever the chain is (a scan has to see
/// expired and self-signed certificates), and the connection is closed as soon as it is. What the chain lacks is judged
/// afterwards, by the scan (`chain-incomplete`, `hostname-mismatch`).
struct TLSEndpointProbe: Sendable {
    /// The client certificate to present, for endpoints that ask for one.
    struct ClientIdentity: Sendable {
        let certificateChain: [NIOSSLCertificate]
        let privateKey: NIOSSLPrivateKey
    }

    let timeout: Duration
    let clientIdentity: ClientIdentity?

    /// The presented chain, leaf first, as DER; throws with a message naming what failed.
    func presentedChain(of endpoint: TLSEndpoint) async throws -> [[UInt8]] {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // The callback below replaces verification; `.none` would switch it off and leave the chain unseen.
        configuration.certificateVerification = .noHostnameVerification
        if let clientIdentity {
            configuration.certificateChain = clientIdentity.certificateChain.map { .certificate($0) }
            configuration.privateKey = .privateKey(clientIdentity.privateKey)
        }
        let context = try NIOSSLContext(configuration: configuration)
        let attempts = ProbeAttempts()
        // One deadline for the whole probe: the connection, and the handshake after it.
        let deadline = NIODeadline.now() + .nanoseconds(Int64(self.timeout.timeInterval * 1e9))
        let timeout = self.timeout
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(self.timeout.timeInterval * 1e9)))
            .channelInitializer { channel in
                // Called once per connection attempt: with several addresses (Happy Eyeballs) each attempt has its
                // own promise and chain, and the probe waits on the one that connected.
                let promise = channel.eventLoop.makePromise(of: [[UInt8]].self)
                let recorder = ChainRecorder()
                attempts.add(promise.futureResult, for: channel)
                do {
                    let makeTLS = {
                        try NIOSSLClientHandler(
                            context: context,
                            serverHostname: endpoint.serverName,
                            customVerificationCallback: { presented, verdict in
                                recorder.record(presented.compactMap { try? $0.toDERBytes() })
                                verdict.succeed(.certificateVerified)
                            }
                        )
                    }
                    let sync = channel.pipeline.syncOperations
                    if let startTLS = endpoint.startTLS {
                        try sync.addHandler(StartTLSNegotiator(protocol: startTLS, makeTLS: makeTLS))
                    } else {
                        try sync.addHandler(makeTLS())
                    }
                    try sync.addHandler(HandshakeWatcher(promise: promise, recorder: recorder))
                    let expiry = channel.eventLoop.scheduleTask(deadline: deadline) {
                        channel.pipeline.fireErrorCaught(ProbeError("no TLS handshake within \(timeout)"))
                    }
                    channel.closeFuture.whenComplete { _ in expiry.cancel() }
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    promise.fail(ProbeError(Self.describe(error)))
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }

        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw ProbeError("cannot connect: \(Self.describe(error))")
        }
        defer { channel.close(promise: nil) }
        guard let future = attempts.future(for: channel) else { throw ProbeError("the connection was not set up") }
        return try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? ProbeError { return error.message }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        if let error = error as? BoringSSLError { return "TLS: \(error)" }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return Self.describe(first.error) }
            if let dnsError = error.dnsAError ?? error.dnsAAAAError {
                return "cannot resolve \(error.host): \(dnsError)"
            }
        }
        if let error = error as? IOError { return error.description }
        return "\(error)"
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { self.message }
}

/// What one connection's verification callback saw.
private final class ChainRecorder: Sendable {
    private let chain = Mutex<[[UInt8]]?>(nil)

    func record(_ chain: [[UInt8]]) { self.chain.withLock { $0 = chain } }
    var recorded: [[UInt8]]? { self.chain.withLock { $0 } }
}

/// Each connection attempt's result, by channel, so that the probe awaits the attempt that connected.
private final class ProbeAttempts: Sendable {
    private let futures = Mutex<[ObjectIdentifier: EventLoopFuture<[[UInt8]]>]>([:])

    func add(_ future: EventLoopFuture<[[UInt8]]>, for channel: any Channel) {
        self.futures.withLock { $0[ObjectIdentifier(channel)] = future }
    }

    func future(for channel: any Channel) -> EventLoopFuture<[[UInt8]]>? {
        self.futures.withLock { $0[ObjectIdentifier(channel)] }
    }
}

/// Completes the probe at the end of the handshake, or with the first error, or when the peer closes first.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<[[UInt8]]>
    private let recorder: ChainRecorder

    init(promise: EventLoopPromise<[[UInt8]]>, recorder: ChainRecorder) {
        self.promise = promise
        self.recorder = recorder
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            if let chain = self.recorder.recorded, !chain.isEmpty {
                self.promise.succeed(chain)
            } else {
                self.promise.fail(ProbeError("the endpoint presented no certificate"))
            }
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A server that refuses the client (no certificate given, say) may close after it has sent its chain.
        self.promise.fail(ProbeError(TLSEndpointProbe.describe(error)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ProbeError("the endpoint closed the connection before the TLS handshake ended"))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    /// A channel that never connected is torn down without going inactive: the promise must still complete.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.promise.fail(ProbeError("the connection closed before the TLS handshake ended"))
    }
}
