// A Hummingbird 2 service that takes only SPIFFE mTLS clients of its trust domain, with a certificate and a trust
// bundle that rotate without a restart:
//
//   --cert, --key   its X509-SVID, re-read when another agent (spiffe-helper, cert-manager) rewrites the files
//   --bundle        its trust domain's CA certificates, through a TrustBundleManager
//
// Each new TLS connection gets the certificate held at that moment (RotatingCertificateReloader), and each client is
// verified by the SPIFFE rules against the current bundle (SPIFFEPeerVerifier), so `GET /` answers
// `hello spiffe://…` with the client's SPIFFE ID.
//
//   swift run --package-path Examples MTLSHelloServer --trust-domain example.org --bundle ca.pem \
//       --cert svid.pem --key svid.key --port 8443
//
// Scripts/check-mtls-example.py runs it against curl with a client certificate, and rotates its certificate.

import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Warden

/// A request context that keeps the connection, so that a route can ask who the TLS peer is.
struct MTLSRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

func option(_ name: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else {
        FileHandle.standardError.write(Data("MTLSHelloServer: --\(name) is required\n".utf8))
        exit(2)
    }
    return arguments[index + 1]
}

var logger = Logger(label: "mtls-hello")
logger.logLevel = .info
let trustDomain = try TrustDomain(option("trust-domain"))
guard let port = Int(option("port")) else { fatalError("--port is not a number") }

let trust = TrustBundleManager(logger: logger)
trust.addSource(BundleFileSource(path: option("bundle"), trustDomain: trustDomain, rereadInterval: .seconds(1)))
let files = CertificateFileSource(certificatePath: option("cert"), keyPath: option("key"), rereadInterval: .seconds(1))
let svid = RotatingCredentialProvider(source: files, logger: logger)
// The configuration needs a certificate before the provider runs: the files as they are now.
let initial = try await files.fetch().value
let reloader = RotatingCertificateReloader(logger: logger) { svid.currentIfAvailable() ?? initial }
let peers = SPIFFEPeerVerifier(manager: trust, authorizer: .memberOf(trustDomain), logger: logger)

let router = Router(context: MTLSRequestContext.self)
router.get("/") { _, context in
    let peer = await SPIFFEPeerVerifier.peerID(of: context.channel)
    return "hello \(peer?.description ?? "(no SPIFFE ID)")\n"
}
let app = Application(
    router: router,
    server: try .tls(
        .http1(),
        configuration: TLSChannelConfiguration(
            tlsConfiguration: .makeSPIFFEServerConfiguration(certificateReloader: reloader),
            customVerificationCallback: peers.verificationCallback
        )
    ),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "mtls-hello"),
    onServerRunning: { _ in FileHandle.standardOutput.write(Data("serving mTLS on 127.0.0.1:\(port)\n".utf8)) },
    logger: logger
)
let group = ServiceGroup(
    configuration: .init(services: [trust, svid, app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
)
try await group.run()
