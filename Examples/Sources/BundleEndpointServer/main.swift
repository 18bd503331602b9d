// A Swift service as the federation peer of another trust domain: it serves its trust domain's bundle at a SPIFFE
// bundle endpoint, over both profiles of SPIFFE Federation, with Hummingbird 2.
//
//   https_web     a Web PKI certificate (--web-cert, --web-key), for peers that check a host name
//   https_spiffe  the endpoint's X509-SVID (--svid, --svid-key), for peers that check a SPIFFE ID
//
// The bundle comes from a file that another agent keeps current (--bundle: PEM CA certificates or a SPIFFE bundle),
// through a TrustBundleManager, so a CA rollover written to the file is served within a second, with a higher
// `spiffe_sequence`. `BundleEndpointHandler` knows no web framework: the route below is all the glue there is.
//
//   swift run --package-path Examples BundleEndpointServer --trust-domain example.org --bundle bundle.pem \
//       --web-cert web.pem --web-key web.key --svid svid.pem --svid-key svid.key --web-port 8443 --spiffe-port 8444
//
// Scripts/check-bundle-endpoint-example.py runs it and fetches the bundle with curl and Python over both profiles.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle
import Warden

struct Options {
    var values: [String: String] = [:]

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard name.hasPrefix("--"), let value = iterator.next() else {
                Self.fail("expected --option value pairs, got \(name)")
            }
            self.values[String(name.dropFirst(2))] = value
        }
    }

    func callAsFunction(_ name: String) -> String {
        guard let value = self.values[name] else { Self.fail("--\(name) is required") }
        return value
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("BundleEndpointServer: \(message)\n".utf8))
        exit(2)
    }
}

/// The handler's response as Hummingbird's.
func route(_ endpoint: BundleEndpointHandler, _ request: Request) -> Response {
    let response = endpoint.respond(
        method: request.method.rawValue,
        ifNoneMatch: request.headers[.ifNoneMatch]
    )
    var headers = HTTPFields()
    for (name, value) in response.headers {
        if let name = HTTPField.Name(name) { headers[name] = value }
    }
    return Response(
        status: .init(code: response.status),
        headers: headers,
        body: .init(byteBuffer: ByteBuffer(bytes: response.body))
    )
}

func serverTLS(certificate: String, key: String) throws -> TLSConfiguration {
    TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
    )
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
var logger = Logger(label: "bundle-endpoint")
logger.logLevel = .info
let trustDomain: TrustDomain
do {
    trustDomain = try TrustDomain(options("trust-domain"))
} catch {
    Options.fail("--trust-domain: \(error)")
}

let manager = TrustBundleManager(logger: logger)
manager.addSource(
    BundleFileSource(path: options("bundle"), trustDomain: trustDomain, rereadInterval: .seconds(1))
)
let endpoint = BundleEndpointHandler(manager: manager, trustDomain: trustDomain, refreshHint: .seconds(60))

let router = Router()
router.get("/") { request, _ in route(endpoint, request) }
router.head("/") { request, _ in route(endpoint, request) }

var services: [any Service] = [manager]
for (profile, certificate, key, port) in [
    ("https_web", options("web-cert"), options("web-key"), options("web-port")),
    ("https_spiffe", options("svid"), options("svid-key"), options("spiffe-port")),
] {
    guard let port = Int(port) else { Options.fail("\(port) is not a port") }
    let tls: TLSConfiguration
    do {
        tls = try serverTLS(certificate: certificate, key: key)
    } catch {
        Options.fail("\(profile): \(error)")
    }
    services.append(
        Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: profile),
            onServerRunning: { _ in
                // Unbuffered, so that a script reading a pipe sees it at once.
                let line = "serving \(trustDomain)'s bundle over \(profile) on 127.0.0.1:\(port)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger
        )
    )
}

let group = ServiceGroup(
    configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
)
try await group.run()
