import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing
import WardenCredentials
import WardenNIOSSL
import WardenPKI
import WardenTestServers
import WardenTestSupport
import WardenWorkloadAPI

/// The Workload API's SVID served by a TLS server through WardenNIOSSL's reloader: a rotation the agent pushes is
/// presented at the next handshake, seen by `openssl s_client`, and no handshake fails.
@Suite(
    .enabled(
        if: ExternalTool.pythonSPIFFE.shouldRun && ExternalTool.openssl.shouldRun,
        "py-spiffe or openssl is missing (Scripts/test.sh installs them)"
    )
)
struct WorkloadTLSServerTests {
    @Test func aRotationPushedByTheAgentIsPresentedAtTheNextHandshake() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let client = try WorkloadAPIClient(address: agent.socket, logger: quiet)
        let svid = RotatingCredentialProvider(workloadAPI: client, logger: quiet)
        let runningClient = Task { try await client.run() }
        let runningProvider = Task { try await svid.run() }
        defer {
            runningProvider.cancel()
            client.shutdown()
            runningClient.cancel()
        }
        let first = try await svid.current()
        let bundle = agent.directory.file("bundle.pem")
        try agent.directory.write(
            "bundle.pem",
            first.bundle.map { PEM.encode(label: "CERTIFICATE", derBytes: CertificateDecoder.derBytes(of: $0)) }
                .joined()
        )

        let reloader = RotatingCertificateReloader(provider: svid, logger: quiet)
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(certificateReloader: reloader))
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(CloseAfterHandshake())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)

        func presentedSerial() throws -> String {
            let result = try Subprocess.run(
                try ExternalTool.openssl.require(),
                [
                    "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", bundle, "-verify_return_error", "-ign_eof",
                    "-showcerts",
                ],
                stdin: []
            )
            try #require(result.status == 0, "the handshake failed: \(result.stderr) \(result.stdout.suffix(800))")
            let begin = try #require(result.stdout.range(of: "-----BEGIN CERTIFICATE-----"))
            let end = try #require(
                result.stdout.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<result.stdout.endIndex)
            )
            let leaf = try CertificateDecoder.certificates(
                from: Array(result.stdout[begin.lowerBound..<end.upperBound].utf8)
            )[0]
            return "\(leaf.serialNumber)"
        }
        #expect(try presentedSerial() == "\(first.leaf.serialNumber)")

        try await agent.command("rotate")
        for _ in 0..<250 where svid.currentIfAvailable()?.leaf.serialNumber == first.leaf.serialNumber {
            try await Task.sleep(for: .milliseconds(20))
        }
        let rotated = try #require(svid.currentIfAvailable())
        #expect(rotated.leaf.serialNumber != first.leaf.serialNumber, "the rotation did not arrive")
        #expect(try presentedSerial() == "\(rotated.leaf.serialNumber)")
    }
}

/// Closes the connection once the handshake is done, so that `s_client -ign_eof` ends.
final class CloseAfterHandshake: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
