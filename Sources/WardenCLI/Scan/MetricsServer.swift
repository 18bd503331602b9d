import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP listener of `warden scan --serve`: `GET /metrics` answers with the exposition, anything else 404.
///
/// A plain HTTP/1.1 server on SwiftNIO, as small as the job: one route, no body read, the connection closed after the
/// response. Prometheus scrapes it like any exporter.
enum MetricsServer {
    /// Binds `host:port` and serves until the channel closes; `exposition` is called on each scrape.
    static func bind(
        host: String,
        port: Int,
        exposition: @escaping @Sendable () -> [UInt8]
    ) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(exposition: exposition))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let exposition: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(exposition: @escaping @Sendable () -> [UInt8]) {
        self.exposition = exposition
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            let (status, contentType, body): (HTTPResponseStatus, String, [UInt8]) =
                if head.method == .GET && path == "/metrics" {
                    (.ok, "text/plain; version=0.0.4; charset=utf-8", self.exposition())
                } else {
                    (.notFound, "text/plain; charset=utf-8", Array("warden scan: metrics are at /metrics\n".utf8))
                }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil
            )
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
            self.head = nil
        }
    }
}
