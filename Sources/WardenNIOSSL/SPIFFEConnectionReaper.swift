public import Logging
public import NIOCore
import NIOSSL
import NIOTLS

/// Closes a connection whose peer no longer verifies: its X509-SVID expired, or its trust domain's bundle no longer
/// holds the authority it chains to (a distrusted CA, a retention that ended, a trust domain dropped).
///
/// Opt-in, as in Envoy: without it, a connection lives on with the certificates it was made with, which is what most
/// servers want while a rotation spreads. Add it after the `NIOSSLServerHandler` (or client handler) whose callback
/// is the same ``SPIFFEPeerVerifier``'s:
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandler(SPIFFEConnectionReaper(peers: peers, every: .seconds(30)))
/// ```
///
/// After the handshake it re-verifies the peer's chain every `interval` with the verifier's current bundles and
/// authorizer, and closes the connection, logging the rule at `notice`, the first time it fails.
public final class SPIFFEConnectionReaper: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny
    public typealias OutboundIn = NIOAny
    public typealias OutboundOut = NIOAny

    private let peers: SPIFFEPeerVerifier
    private let interval: TimeAmount
    private let logger: Logger
    private var check: RepeatedTask?

    /// - Parameters:
    ///   - peers: the verifier the TLS handler's callback uses.
    ///   - interval: how often to re-verify. Default: 30 seconds.
    public init(
        peers: SPIFFEPeerVerifier,
        every interval: TimeAmount = .seconds(30),
        logger: Logger = Logger(label: "warden.niossl")
    ) {
        self.peers = peers
        self.interval = interval
        self.logger = logger
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event,
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self),
            let chain = tls.peerValidatedCertificateChain
        {
            let presented = Array(chain)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            self.check = context.eventLoop.scheduleRepeatedTask(
                initialDelay: self.interval,
                delay: self.interval
            ) { task in
                let (reaper, context) = bound.value
                reaper.reverify(presented, context: context, task: task)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func reverify(_ presented: [NIOSSLCertificate], context: ChannelHandlerContext, task: RepeatedTask) {
        do {
            _ = try self.peers.verify(presented)
        } catch {
            task.cancel()
            self.logger.notice(
                "closing a connection whose peer no longer verifies",
                metadata: ["code": "\(error.code)", "reason": "\(error.message)"]
            )
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
    }
}
