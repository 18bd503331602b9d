import Crypto
import Foundation
import WardenPKI
public import WardenSPIFFE

/// The SPIFFE bundle endpoint of the local trust domain (SPIFFE Federation §4): the current bundle as a SPIFFE bundle
/// document, for any HTTP server, with no web framework below it.
///
/// ```swift
/// let endpoint = BundleEndpointHandler(manager: manager, trustDomain: try TrustDomain("example.org"))
/// let response = endpoint.respond(method: request.method, ifNoneMatch: request.headers["If-None-Match"])
/// // write response.status, response.headers and response.body with your server
/// ```
///
/// The document carries `spiffe_refresh_hint` and `spiffe_sequence`: the source's sequence when it gives one, else a
/// revision the manager increases with every change of the bundle, so that a federated peer can tell an older bundle
/// from a newer one. The `ETag` is the SHA-256 of the body; a request whose `If-None-Match` names it gets 304.
public struct BundleEndpointHandler: Sendable {
    /// A response to write: the status, the headers, and the body (empty for 304, HEAD and errors without one).
    public struct Response: Sendable, Equatable {
        public let status: Int
        public let headers: [String: String]
        public let body: [UInt8]
    }

    public let manager: TrustBundleManager
    public let trustDomain: TrustDomain
    /// How often peers should poll: SPIFFE Federation's `spiffe_refresh_hint`. Default 5 minutes.
    public let refreshHint: Duration

    public init(manager: TrustBundleManager, trustDomain: TrustDomain, refreshHint: Duration = .seconds(300)) {
        self.manager = manager
        self.trustDomain = trustDomain
        self.refreshHint = refreshHint
    }

    /// The response to a request with `method` and, if it sent one, an `If-None-Match` header.
    public func respond(method: String = "GET", ifNoneMatch: String? = nil) -> Response {
        guard method == "GET" || method == "HEAD" else {
            return Response(status: 405, headers: ["Allow": "GET, HEAD"], body: [])
        }
        guard let (bundle, revision) = self.manager.servedBundle(self.trustDomain) else {
            return Response(status: 404, headers: [:], body: [])
        }
        var served = bundle
        served.refreshHint = self.refreshHint
        served.sequenceNumber = bundle.sequenceNumber ?? revision
        let body = Array(served.jsonEncoded().utf8)
        let tag = "\"" + Hex.encode(Array(SHA256.hash(data: body)).prefix(16)) + "\""
        let headers = [
            "Content-Type": "application/json",
            "ETag": tag,
            "Cache-Control": "max-age=\(self.refreshHint.components.seconds)",
        ]
        if let ifNoneMatch,
            ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag })
        {
            return Response(status: 304, headers: headers.filter { $0.key != "Content-Type" }, body: [])
        }
        return Response(status: 200, headers: headers, body: method == "HEAD" ? [] : body)
    }
}
