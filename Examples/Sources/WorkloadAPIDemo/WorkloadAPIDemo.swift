import ExampleEventLog
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Warden
import WardenTestServers
import WardenWorkloadAPI

/// A workload that gets its identity from the SPIFFE Workload API and uses it for mTLS: its X509-SVID comes from a
/// `RotatingCredentialProvider` fed by the agent's stream, its trust from a `TrustBundleManager` fed by the agent's
/// bundles, and a server and a client (the workload talking to itself) handshake every 250 ms. When the agent rotates
/// the SVID, the next handshake presents the new one, on both sides, with no failed request.
///
/// With no `SPIFFE_ENDPOINT_SOCKET` it starts the Workload API stand-in Warden's tests use (no SPIRE agent can be
/// installed on the machines Warden is built on) and asks it to rotate every two seconds; with one, it waits for the
/// agent's own rotations. It ends after `--rotations N` rotations (3 by default) and exits 0 only if no request
/// failed. `--json` prints one JSON object per line:
/// `{"t": seconds, "event": "handshake"|"rotation"|"request", "peerID": "...", "serial": "...", "ok": true|false,
/// "error": "..."}`.
@main
enum WorkloadAPIDemo {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        var json = false
        var rotations = 3
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--json": json = true
            case "--rotations":
                guard let value = arguments.next().flatMap({ Int($0) }), value >= 1 else {
                    FileHandle.standardError.write(Data("usage: WorkloadAPIDemo [--json] [--rotations N]\n".utf8))
                    exit(2)
                }
                rotations = value
            default:
                FileHandle.standardError.write(Data("usage: WorkloadAPIDemo [--json] [--rotations N]\n".utf8))
                exit(2)
            }
        }
        let log = EventLog(json: json)
        do {
            try await Self.run(rotations: rotations, log: log)
        } catch {
            log.note("WorkloadAPIDemo: \(error)")
            exit(1)
        }
        log.note("\(log.requests) requests, \(log.failedRequests) failed")
        exit(log.failedRequests == 0 && log.requests > 0 ? 0 : 1)
    }

    static func run(rotations: Int, log: EventLog) async throws {
        var logger = Logger(label: "workload-api-demo") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .notice
        let standIn: WorkloadAPIAgent?
        let address: WorkloadAPIAddress
        if let configured = try WorkloadAPIAddress.fromEnvironment() {
            standIn = nil
            address = configured
        } else {
            let agent = try await WorkloadAPIAgent()
            standIn = agent
            address = WorkloadAPIAddress(.unix(path: agent.socketPath))
            log.note("started the Workload API stand-in on \(address)")
        }
        defer { standIn?.stop() }

        let workloadAPI = try WorkloadAPIClient(address: address, logger: logger)
        let svid = RotatingCredentialProvider(workloadAPI: workloadAPI, logger: logger)
        let trust = TrustBundleManager(logger: logger)
        trust.addSource(WorkloadBundleSource(client: workloadAPI, logger: logger))
        let updates = svid.updates

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await workloadAPI.run() }
            group.addTask { try await svid.run() }
            group.addTask { try await trust.run() }
            let first = try await svid.current()
            let id = try X509SVID.validateLeaf(first.leaf)
            log.note("the workload is \(id), serial \(EventLog.serial(of: first.leaf))")
            for _ in 0..<200 where trust.bundles[id.trustDomain] == nil {
                try await Task.sleep(for: .milliseconds(50))
            }

            let rotated = RotationCounter()
            group.addTask {
                for await event in updates where event.kind == .rotated {
                    guard let leaf = event.new?.value.leaf else { continue }
                    rotated.increment()
                    log.emit("rotation", peerID: id.description, serial: EventLog.serial(of: leaf))
                }
            }
            if let standIn {
                group.addTask {
                    while true {
                        try await Task.sleep(for: .seconds(2))
                        try await standIn.command("rotate")
                    }
                }
            }

            // Both sides accept only this trust domain's SVIDs, verified against the manager's current bundle.
            let peers = SPIFFEPeerVerifier(manager: trust, authorizer: .memberOf(id.trustDomain), logger: logger)
            let reloader = RotatingCertificateReloader(provider: svid, logger: logger)
            let server = try await Self.server(reloader: reloader, peers: peers, log: log)
            let port = server.localAddress?.port ?? 0
            let client = try NIOSSLContext(configuration: .makeSPIFFEClientConfiguration(certificateReloader: reloader))
            while true {
                let wasLast = rotated.count >= rotations
                do {
                    let reply = try await Self.request(port: port, context: client, peers: peers, log: log)
                    log.emit("request", peerID: reply)
                } catch {
                    log.emit("request", ok: false, error: "\(error)")
                }
                if wasLast { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await server.close()
            workloadAPI.shutdown()
            group.cancelAll()
        }
    }

    /// A server that presents the workload's SVID and answers each client with its SPIFFE ID.
    static func server(
        reloader: RotatingCertificateReloader,
        peers: SPIFFEPeerVerifier,
        log: EventLog
    ) async throws -> any Channel {
        let context = try NIOSSLContext(configuration: .makeSPIFFEServerConfiguration(certificateReloader: reloader))
        let callback = peers.callback(observing: log.handshake)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: callback)
                    )
                    try sync.addHandler(GreetAfterHandshake())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// One connection: a handshake that verifies the server by the SPIFFE rules, then its one-line answer.
    static func request(
        port: Int,
        context: NIOSSLContext,
        peers: SPIFFEPeerVerifier,
        log: EventLog
    ) async throws -> String {
        let callback = peers.callback(observing: log.handshake)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(
                            context: context,
                            serverHostname: nil,
                            customVerificationCallbackWithMetadata: callback
                        )
                    )
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, _ in
            var reply = ""
            for try await buffer in inbound { reply += String(buffer: buffer) }
            return reply.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

/// After the handshake, writes the verified client's SPIFFE ID and closes.
final class GreetAfterHandshake: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            let id = handler.flatMap { SPIFFEPeerVerifier.peerID(of: $0) }
            let line = context.channel.allocator.buffer(string: "\(id?.description ?? "unknown")\n")
            context.writeAndFlush(self.wrapOutboundOut(line), promise: nil)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// How many rotations the provider reported.
final class RotationCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { self.value.withLock { $0 } }
    func increment() { self.value.withLock { $0 += 1 } }
}
