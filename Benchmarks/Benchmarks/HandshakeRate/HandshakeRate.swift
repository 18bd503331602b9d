import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Warden
import X509

/// What WardenNIOSSL costs a TLS server per handshake, against swift-nio-ssl alone, in one run:
///
/// - `fixed`: swift-nio-ssl with a certificate loaded once, and its own verification of the client's chain;
/// - `rotating`: the same, with the certificate from a `RotatingCertificateReloader` at every handshake;
/// - `spiffe`: the rotating server verifying the client with `SPIFFEPeerVerifier`'s callback instead.
///
/// A client and the server in one process on loopback, sequential full handshakes (no resumption), P-256 X509-SVIDs
/// on both sides. Paired rounds: each round runs the three for two seconds each, the order rotating; medians of five.
/// Run it pinned, as compare.sh does: `taskset -c 0 swift run -c release HandshakeRate`.
@main
enum HandshakeRate {
    static let trustDomain = try! TrustDomain("example.org")

    struct Issued {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
    }

    static func issue(_ id: String?, issuer: Issued?) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName { CommonName(id == nil ? "example.org CA" : "workload") }
        let extensions = try Certificate.Extensions {
            if issuer == nil {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://example.org")])
            } else {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.uniformResourceIdentifier(id!)])
            }
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: issuer?.certificate.subject ?? subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: .init(issuer?.key ?? key)
        )
        return Issued(certificate: certificate, key: key)
    }

    static func nio(_ certificate: Certificate) throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: CertificateDecoder.derBytes(of: certificate), format: .der)
    }

    static func nio(_ key: P256.Signing.PrivateKey) throws -> NIOSSLPrivateKey {
        try NIOSSLPrivateKey(bytes: Array(key.derRepresentation), format: .der)
    }

    static func identity(_ issued: Issued) throws -> CertificateAndKey {
        CertificateAndKey(
            chain: [issued.certificate],
            privateKey: try PrivateKey(pemEncoded: issued.key.pemRepresentation)
        )
    }

    enum Server: String, CaseIterable {
        case fixed, rotating, spiffe
    }

    /// Handshakes per second against `port` for `seconds`.
    static func rate(port: Int, client: NIOSSLContext, seconds: Double) async throws -> Double {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        let start = ContinuousClock.now
        var count = 0
        while ContinuousClock.now < deadline {
            let done = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: client, serverHostname: nil)
                        )
                        try channel.pipeline.syncOperations.addHandler(HandshakeSignal(done))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try await done.futureResult.get()
            try await channel.close()
            count += 1
        }
        let elapsed = (ContinuousClock.now - start).components
        return Double(count) / (Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func main() async throws {
        let ca = try Self.issue(nil, issuer: nil)
        let serverSVID = try Self.issue("spiffe://example.org/server", issuer: ca)
        let clientSVID = try Self.issue("spiffe://example.org/client", issuer: ca)
        let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.certificateChain = [.certificate(try Self.nio(clientSVID.certificate))]
        clientConfiguration.privateKey = .privateKey(try Self.nio(clientSVID.key))
        clientConfiguration.trustRoots = .certificates([try Self.nio(ca.certificate)])
        clientConfiguration.certificateVerification = .noHostnameVerification
        let client = try NIOSSLContext(configuration: clientConfiguration)

        var fixedConfiguration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try Self.nio(serverSVID.certificate))],
            privateKey: .privateKey(try Self.nio(serverSVID.key))
        )
        fixedConfiguration.trustRoots = .certificates([try Self.nio(ca.certificate)])
        fixedConfiguration.certificateVerification = .noHostnameVerification
        let serverIdentity = try Self.identity(serverSVID)
        let reloader = RotatingCertificateReloader(logger: quiet) { serverIdentity }
        var rotatingConfiguration = try TLSConfiguration.makeSPIFFEServerConfiguration(certificateReloader: reloader)
        rotatingConfiguration.trustRoots = .certificates([try Self.nio(ca.certificate)])
        let peers = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(
                bundle: X509Bundle(trustDomain: Self.trustDomain, authorities: [ca.certificate])
            ),
            authorizer: .memberOf(Self.trustDomain),
            logger: quiet
        )

        var ports: [Server: Int] = [:]
        var channels: [any Channel] = []
        for server in Server.allCases {
            let context = try NIOSSLContext(
                configuration: server == .fixed ? fixedConfiguration : rotatingConfiguration
            )
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler =
                            server == .spiffe
                            ? NIOSSLServerHandler(
                                context: context,
                                customVerificationCallbackWithMetadata: peers.callback
                            )
                            : NIOSSLServerHandler(context: context)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            ports[server] = channel.localAddress!.port!
            channels.append(channel)
        }

        var rates: [Server: [Double]] = [:]
        for round in 0..<5 {
            let all = Array(Server.allCases)
            let order = Array(all[(round % 3)...]) + Array(all[..<(round % 3)])
            for server in order {
                rates[server, default: []].append(try await Self.rate(port: ports[server]!, client: client, seconds: 2))
            }
        }
        let fixed = Self.median(rates[.fixed]!)
        // Columns: server, handshakes/s (median), the fixed server's, ratio.
        for server in Server.allCases {
            let rate = Self.median(rates[server]!)
            print("HANDSHAKE \(server.rawValue) \(Int(rate)) \(Int(fixed)) \(String(format: "%.3f", rate / fixed))")
        }
        // The verification callback alone: the SPIFFE check against swift-nio-ssl's own check of the same chain, both
        // servers presenting through the reloader. Columns: rates, ratio, microseconds more per handshake.
        let spiffe = Self.median(rates[.spiffe]!)
        let rotating = Self.median(rates[.rotating]!)
        print(
            "CALLBACK spiffe-vs-default \(Int(spiffe)) \(Int(rotating)) \(String(format: "%.3f", spiffe / rotating)) "
                + String(format: "%.1f", (1 / spiffe - 1 / rotating) * 1e6)
        )
        for channel in channels { try await channel.close() }
    }
}

/// Completes `promise` when the TLS handshake completes, or fails it.
final class HandshakeSignal: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>

    init(_ promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { self.promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}
