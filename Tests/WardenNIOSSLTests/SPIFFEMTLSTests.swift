import Foundation
import InMemoryLogging
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import Testing
import WardenCredentials
import WardenNIOSSL
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
@_spi(Benchmarks) import WardenTrust
import X509

/// After the handshake, writes `peer=<the verified SPIFFE ID>` and closes.
final class PeerIDResponder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            let id = handler.flatMap { SPIFFEPeerVerifier.peerID(of: $0) }
            let line = context.channel.allocator.buffer(string: "peer=\(id?.description ?? "none")\n")
            context.writeAndFlush(self.wrapOutboundOut(line), promise: nil)
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Warden's mTLS server and client against `openssl s_client` and `openssl s_server`, on loopback, with certificates
/// valid now (openssl checks them against the real clock).
@Suite(.serialized, .enabled(if: ExternalTool.openssl.shouldRun, "openssl is missing (Scripts/test.sh installs it)"))
struct SPIFFEMTLSTests {
    static let trustDomain = try! TrustDomain("example.org")
    let directory: TemporaryDirectory
    let ca: TestPKI.Issued
    let otherCA: TestPKI.Issued

    init() throws {
        self.directory = try TemporaryDirectory()
        self.ca = try Self.ca("example.org")
        self.otherCA = try Self.ca("other.org")
        try self.directory.write("ca.pem", self.ca.pem)
    }

    static func ca(_ trustDomain: String) throws -> TestPKI.Issued {
        try TestPKI.issue(
            subject: "CN=\(trustDomain) CA",
            isCA: true,
            sans: [.uniformResourceIdentifier("spiffe://\(trustDomain)")],
            notBefore: Date().addingTimeInterval(-3600),
            notAfter: Date().addingTimeInterval(86_400)
        )
    }

    static func svid(
        _ id: String,
        issuer: TestPKI.Issued,
        notAfter: Date = Date().addingTimeInterval(3600)
    ) throws
        -> TestPKI.Issued
    {
        try TestPKI.issue(
            subject: "O=Warden Tests",
            issuer: issuer,
            extendedKeyUsage: [.serverAuth, .clientAuth],
            sans: [.uniformResourceIdentifier(id)],
            notBefore: Date().addingTimeInterval(-7200),
            notAfter: notAfter
        )
    }

    static func identity(_ issued: TestPKI.Issued, _ issuer: TestPKI.Issued) -> CertificateAndKey {
        CertificateAndKey(chain: [issued.certificate], privateKey: issued.key)
    }

    /// Writes `name.pem` and `name.key`, and returns openssl's `-cert`/`-key` arguments for them.
    func files(_ name: String, _ issued: TestPKI.Issued) throws -> [String] {
        [
            "-cert", try self.directory.write("\(name).pem", issued.pem),
            "-key", try self.directory.write("\(name).key", issued.key.pkcs8PEMRepresentation.reveal()),
        ]
    }

    /// A Warden server on loopback presenting what `current` holds, verifying clients with `peers`.
    static func server(
        current: Shared<CertificateAndKey>,
        peers: SPIFFEPeerVerifier,
        observe: (@Sendable (Result<VerifiedX509SVID, SPIFFEError>) -> Void)? = nil
    ) async throws -> (any Channel, Int) {
        let reloader = RotatingCertificateReloader { current.value }
        let context = try NIOSSLContext(configuration: .makeSPIFFEServerConfiguration(certificateReloader: reloader))
        let callback = observe.map { peers.callback(observing: $0) } ?? peers.callback
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = NIOSSLServerHandler(
                        context: context,
                        customVerificationCallbackWithMetadata: callback
                    )
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(PeerIDResponder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (channel, try #require(channel.localAddress?.port))
    }

    func sClient(_ port: Int, _ arguments: [String]) throws -> Subprocess.Result {
        try Subprocess.run(
            try ExternalTool.openssl.require(),
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", self.directory.file("ca.pem"),
                "-verify_return_error", "-ign_eof", "-showcerts",
            ] + arguments,
            stdin: []
        )
    }

    /// The serial number of the first certificate s_client printed.
    static func presentedSerial(_ output: String) throws -> String {
        let begin = try #require(output.range(of: "-----BEGIN CERTIFICATE-----"))
        let end = try #require(output.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<output.endIndex))
        let pem = String(output[begin.lowerBound..<end.upperBound])
        return "\(try CertificateDecoder.certificates(from: Array(pem.utf8))[0].serialNumber)"
    }

    @Test func theServerPresentsTheRotatedCertificateAtTheNextHandshake() async throws {
        let first = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let second = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let client = try Self.svid("spiffe://example.org/client", issuer: self.ca)
        let current = Shared(Self.identity(first, self.ca))
        let peers = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(
                bundle: X509Bundle(trustDomain: Self.trustDomain, authorities: [self.ca.certificate])
            ),
            authorizer: .memberOf(Self.trustDomain)
        )
        let (channel, port) = try await Self.server(current: current, peers: peers)
        defer { channel.close(promise: nil) }
        let clientFiles = try self.files("client", client)

        let before = try self.sClient(port, clientFiles)
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("peer=spiffe://example.org/client"), "\(before.stdout)")
        #expect(try Self.presentedSerial(before.stdout) == "\(first.certificate.serialNumber)")

        current.value = Self.identity(second, self.ca)
        let after = try self.sClient(port, clientFiles)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try Self.presentedSerial(after.stdout) == "\(second.certificate.serialNumber)")
    }

    /// Each client the server must refuse, and the rule the server logs for it.
    @Test func theServerRejectsClientsAndLogsTheRule() async throws {
        let server = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let logs = InMemoryLogHandler()
        let trust = TrustBundleManager(logger: Logger(label: "trust") { _ in SwiftLogNoOpLogHandler() })
        trust.apply(SPIFFEBundle(trustDomain: Self.trustDomain, x509Authorities: [self.ca.certificate]))
        let peers = SPIFFEPeerVerifier(
            manager: trust,
            authorizer: .id(try SPIFFEID("spiffe://example.org/client")),
            logger: Logger(label: "mtls") { _ in logs }
        )
        let (channel, port) = try await Self.server(current: Shared(Self.identity(server, self.ca)), peers: peers)
        defer { channel.close(promise: nil) }

        let good = try self.sClient(
            port,
            try self.files("good", try Self.svid("spiffe://example.org/client", issuer: self.ca))
        )
        #expect(good.status == 0 && good.stdout.contains("peer=spiffe://example.org/client"), "\(good.stderr)")

        let cases: [(String, TestPKI.Issued, String)] = [
            ("other-domain", try Self.svid("spiffe://other.org/client", issuer: self.otherCA), "untrustedTrustDomain"),
            ("unauthorized", try Self.svid("spiffe://example.org/intruder", issuer: self.ca), "unauthorized"),
            (
                "expired",
                try Self.svid("spiffe://example.org/client", issuer: self.ca, notAfter: Date().addingTimeInterval(-60)),
                "expired"
            ),
        ]
        for (name, client, rule) in cases {
            let result = try self.sClient(port, try self.files(name, client))
            #expect(!result.stdout.contains("peer="), "\(name) was accepted")
            #expect(
                logs.lines.last?.contains(rule) == true,
                "\(name): the server logged \(logs.lines.last ?? "nothing"), not \(rule)"
            )
        }

        // A distrusted CA: its clients are refused from the next handshake on.
        trust.distrust(self.ca.certificate, in: Self.trustDomain)
        let distrusted = try self.sClient(
            port,
            try self.files("after", try Self.svid("spiffe://example.org/client", issuer: self.ca))
        )
        #expect(!distrusted.stdout.contains("peer="), "a client of a distrusted CA was accepted")
    }

    /// `callback(observing:)` hands the application each handshake's outcome: the verified SVID, or the rule.
    @Test func theObservingCallbackSeesEachVerdict() async throws {
        let server = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let peers = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(
                bundle: X509Bundle(trustDomain: Self.trustDomain, authorities: [self.ca.certificate])
            ),
            authorizer: .id(try SPIFFEID("spiffe://example.org/client")),
            logger: Logger(label: "mtls") { _ in SwiftLogNoOpLogHandler() }
        )
        let seen = Shared<[Result<VerifiedX509SVID, SPIFFEError>]>([])
        let (channel, port) = try await Self.server(
            current: Shared(Self.identity(server, self.ca)),
            peers: peers,
            observe: { outcome in seen.modify { $0.append(outcome) } }
        )
        defer { channel.close(promise: nil) }

        let client = try Self.svid("spiffe://example.org/client", issuer: self.ca)
        let accepted = try self.sClient(port, try self.files("client", client))
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let intruder = try Self.svid("spiffe://example.org/intruder", issuer: self.ca)
        _ = try self.sClient(port, try self.files("intruder", intruder))

        let outcomes = seen.value
        try #require(outcomes.count == 2, "\(outcomes)")
        let verified = try outcomes[0].get()
        #expect(verified.id.description == "spiffe://example.org/client")
        #expect(verified.chain.first == client.certificate)
        guard case .failure(let error) = outcomes[1] else {
            Issue.record("the intruder was verified")
            return
        }
        #expect(error.code == .unauthorized)
        #expect(error.message.contains("spiffe://example.org/intruder"), "\(error)")
    }

    /// Warden's client against `openssl s_server`: the server's SVID and SPIFFE ID are checked, not a host name.
    @Test func theClientVerifiesAnOpenSSLServer() async throws {
        let serverSVID = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let client = try Self.svid("spiffe://example.org/client", issuer: self.ca)
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.openssl.require())
        process.arguments =
            [
                "s_server", "-accept", "127.0.0.1:\(port)", "-Verify", "1", "-CAfile",
                self.directory.file("ca.pem"), "-verify_return_error", "-www",
            ] + (try self.files("server", serverSVID))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        defer {
            // SIGKILL: a SIGTERM can arrive blocked, inherited from a test runner thread's signal mask.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let bundle = X509Bundle(trustDomain: Self.trustDomain, authorities: [self.ca.certificate])
        let reloader = RotatingCertificateReloader { Self.identity(client, self.ca) }
        let context = try NIOSSLContext(configuration: .makeSPIFFEClientConfiguration(certificateReloader: reloader))

        func get(_ authorizer: SPIFFEIDAuthorizer) async throws -> String {
            let peers = SPIFFEPeerVerifier(verifier: X509SVIDVerifier(bundle: bundle), authorizer: authorizer)
            let received = Shared("")
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(
                                context: context,
                                serverHostname: nil,
                                customVerificationCallbackWithMetadata: peers.callback
                            )
                        )
                        try channel.pipeline.syncOperations.addHandler(Collector(received))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(channel.allocator.buffer(string: "GET / HTTP/1.0\r\n\r\n"))
            try? await channel.closeFuture.get()
            return received.value
        }
        // s_server takes a moment to listen.
        var answer = ""
        for _ in 0..<50 {
            answer = (try? await get(.id(try SPIFFEID("spiffe://example.org/server")))) ?? ""
            if !answer.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answer.contains("200 ok"), "\(answer)")
        let refused = (try? await get(.id(try SPIFFEID("spiffe://example.org/someone-else")))) ?? ""
        #expect(!refused.contains("200 ok"), "a server with another SPIFFE ID was accepted")
    }
}

/// A value several tasks and event loops read and change.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>

    init(_ value: Value) { self.storage = Mutex(value) }

    var value: Value {
        get { self.storage.withLock { $0 } }
        set { self.storage.withLock { $0 = newValue } }
    }

    func modify(_ body: (inout Value) -> Void) { self.storage.withLock { body(&$0) } }
}

/// Appends what the channel reads to a string.
final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: Shared<String>

    init(_ received: Shared<String>) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: self.unwrapInboundIn(data))
        self.received.modify { $0 += text }
    }
}

extension SPIFFEMTLSTests {
    /// Warden's server and client on loopback; with the reaper, distrusting the client's CA closes the connection
    /// made before; without it, the connection lives on.
    @Test(arguments: [true, false])
    func theReaperClosesConnectionsWhosePeerNoLongerVerifies(withReaper: Bool) async throws {
        let serverSVID = try Self.svid("spiffe://example.org/server", issuer: self.ca)
        let clientSVID = try Self.svid("spiffe://example.org/client", issuer: self.ca)
        let trust = TrustBundleManager(logger: Logger(label: "trust") { _ in SwiftLogNoOpLogHandler() })
        trust.apply(SPIFFEBundle(trustDomain: Self.trustDomain, x509Authorities: [self.ca.certificate]))
        let logs = InMemoryLogHandler()
        let peers = SPIFFEPeerVerifier(
            manager: trust,
            authorizer: .memberOf(Self.trustDomain),
            logger: Logger(label: "mtls") { _ in logs }
        )
        let serverReloader = RotatingCertificateReloader { Self.identity(serverSVID, self.ca) }
        let serverContext = try NIOSSLContext(
            configuration: .makeSPIFFEServerConfiguration(certificateReloader: serverReloader)
        )
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        NIOSSLServerHandler(
                            context: serverContext,
                            customVerificationCallbackWithMetadata: peers.callback
                        )
                    )
                    if withReaper {
                        try sync.addHandler(
                            SPIFFEConnectionReaper(
                                peers: peers,
                                every: .milliseconds(100),
                                logger: Logger(label: "mtls") { _ in logs }
                            )
                        )
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }

        let clientReloader = RotatingCertificateReloader { Self.identity(clientSVID, self.ca) }
        let clientContext = try NIOSSLContext(
            configuration: .makeSPIFFEClientConfiguration(certificateReloader: clientReloader)
        )
        let serverID = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(
                bundle: X509Bundle(trustDomain: Self.trustDomain, authorities: [self.ca.certificate])
            ),
            authorizer: .id(try SPIFFEID("spiffe://example.org/server"))
        )
        let handshake = Shared(false)
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(
                            context: clientContext,
                            serverHostname: nil,
                            customVerificationCallbackWithMetadata: serverID.callback
                        )
                    )
                    try channel.pipeline.syncOperations.addHandler(HandshakeObserver(handshake))
                }
            }
            .connect(host: "127.0.0.1", port: try #require(server.localAddress?.port)).get()
        defer { client.close(promise: nil) }
        #expect(try await Self.eventually { handshake.value })
        // The connection outlives a check while the peer still verifies.
        try await Task.sleep(for: .milliseconds(300))
        #expect(client.isActive)

        trust.distrust(self.ca.certificate, in: Self.trustDomain)
        if withReaper {
            #expect(try await Self.eventually { !client.isActive }, "the reaper left the connection open")
            #expect(logs.lines.contains { $0.contains("no longer verifies") && $0.contains("code=") })
        } else {
            try await Task.sleep(for: .milliseconds(500))
            #expect(client.isActive, "without the reaper a connection lives with the trust it was made with")
        }
    }

    static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

/// Notes that the TLS handshake completed.
final class HandshakeObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let completed: Shared<Bool>

    init(_ completed: Shared<Bool>) { self.completed = completed }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { self.completed.value = true }
        context.fireUserInboundEventTriggered(event)
    }
}

extension SPIFFEMTLSTests {
    /// One connection, one handshake: whether the server verified this client and answered with its SPIFFE ID.
    static func connect(
        port: Int,
        identity: CertificateAndKey,
        serverPeers: SPIFFEPeerVerifier
    ) async -> Bool {
        do {
            let context = try NIOSSLContext(
                configuration: .makeSPIFFEClientConfiguration(
                    certificateReloader: RotatingCertificateReloader { identity }
                )
            )
            let received = Shared("")
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(
                                context: context,
                                serverHostname: nil,
                                customVerificationCallbackWithMetadata: serverPeers.callback
                            )
                        )
                        try channel.pipeline.syncOperations.addHandler(Collector(received))
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            try? await channel.closeFuture.get()
            return received.value.hasPrefix("peer=spiffe://example.org/")
        } catch {
            return false
        }
    }

    /// istio's four stages between two Warden services, each with its own manager, under continuous traffic from a
    /// client that keeps its SVID from CA A and one that moves to CA B: no handshake fails while A is published or
    /// retained, and the A client is refused once A's retention ends.
    @Test func aCARolloverUnderContinuousTrafficFailsNoHandshake() async throws {
        let a = self.ca
        let b = try Self.ca("example.org")
        let quiet = Logger(label: "trust") { _ in SwiftLogNoOpLogHandler() }
        let serverTrust = TrustBundleManager(retention: .seconds(1), logger: quiet)
        let clientTrust = TrustBundleManager(retention: .seconds(1), logger: quiet)
        func publish(_ authorities: [Certificate], sequence: UInt64) {
            for manager in [serverTrust, clientTrust] {
                manager.apply(
                    SPIFFEBundle(trustDomain: Self.trustDomain, x509Authorities: authorities, sequenceNumber: sequence)
                )
            }
        }
        publish([a.certificate], sequence: 1)
        let serverIdentity = Shared(Self.identity(try Self.svid("spiffe://example.org/server", issuer: a), a))
        let oldClient = Self.identity(try Self.svid("spiffe://example.org/old", issuer: a), a)
        let movingClient = Shared(Self.identity(try Self.svid("spiffe://example.org/moving", issuer: a), a))
        let clientPeers = SPIFFEPeerVerifier(
            manager: serverTrust,
            authorizer: .memberOf(Self.trustDomain),
            logger: quiet
        )
        let serverPeers = SPIFFEPeerVerifier(
            manager: clientTrust,
            authorizer: .id(try SPIFFEID("spiffe://example.org/server")),
            logger: quiet
        )
        let (server, port) = try await Self.server(current: serverIdentity, peers: clientPeers)
        defer { server.close(promise: nil) }

        // (handshakes, failures) of each client, while `traffic` runs.
        let counts = Shared([0, 0, 0, 0])
        let running = Shared(true)
        let traffic = Task {
            while running.value {
                let old = await Self.connect(port: port, identity: oldClient, serverPeers: serverPeers)
                let moving = await Self.connect(port: port, identity: movingClient.value, serverPeers: serverPeers)
                counts.modify {
                    $0[0] += 1
                    $0[1] += old ? 0 : 1
                    $0[2] += 1
                    $0[3] += moving ? 0 : 1
                }
            }
        }
        func handshakes() -> Int { counts.value[0] }
        func waitForTraffic() async throws {
            let start = handshakes()
            #expect(try await Self.eventually { handshakes() >= start + 5 })
        }

        try await waitForTraffic()  // 1: A
        publish([a.certificate, b.certificate], sequence: 2)  // 2: A + B
        try await waitForTraffic()
        serverIdentity.value = Self.identity(try Self.svid("spiffe://example.org/server", issuer: b), b)  // 3: B signs
        movingClient.value = Self.identity(try Self.svid("spiffe://example.org/moving", issuer: b), b)
        try await waitForTraffic()
        publish([b.certificate], sequence: 3)  // 4: B; A retained for a second
        try await waitForTraffic()
        running.value = false
        await traffic.value
        let before = counts.value
        #expect(
            before[1] == 0 && before[3] == 0,
            "failed handshakes (old, moving): \(before[1]), \(before[3]) of \(before[0]) each"
        )

        // After the retention, a bundle update ends it: the A client is refused, the B client is not.
        try await Task.sleep(for: .milliseconds(1100))
        publish([b.certificate], sequence: 3)
        #expect(!(await Self.connect(port: port, identity: oldClient, serverPeers: serverPeers)))
        #expect(await Self.connect(port: port, identity: movingClient.value, serverPeers: serverPeers))
    }
}
