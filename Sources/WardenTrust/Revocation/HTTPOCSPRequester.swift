public import AsyncHTTPClient
import NIOHTTP1
public import WardenPKI
public import X509

/// Sends OCSP requests over HTTP POST (RFC 6960 Appendix A.1) with AsyncHTTPClient: the transport of WardenPKI's
/// ``OCSPChecking``, and an `OCSPRequester` for swift-certificates' `OCSPVerifierPolicy` used on its own.
///
/// Each request has a deadline (default 5 s) and the response a size cap (default 1 MiB); only `http` and `https`
/// responders are asked (OCSP responders are plain HTTP by design: the response is signed).
///
/// ```swift
/// let ocsp = OCSPChecking(transport: HTTPOCSPRequester())
/// let verifier = CertificateChainVerifier(roots: roots, revocation: .ocsp(ocsp, failureMode: .hardFail))
/// ```
public struct HTTPOCSPRequester: OCSPTransport, OCSPRequester {
    private let fetcher: HTTPResourceFetcher

    public init(httpClient: HTTPClient = .shared, timeout: Duration = .seconds(5), maximumResponseSize: Int = 1 << 20) {
        self.fetcher = HTTPResourceFetcher(client: httpClient, timeout: timeout, maximumSize: maximumResponseSize)
    }

    /// Posts `request` to `uri` and returns the response body.
    ///
    /// - Throws: ``TrustError``: ``TrustError/Code/invalidEndpoint``, ``TrustError/Code/endpointUnreachable``,
    ///   ``TrustError/Code/timedOut``, ``TrustError/Code/responseTooLarge``, ``TrustError/Code/unexpectedStatus``.
    public func send(request: [UInt8], to uri: String) async throws -> [UInt8] {
        let response = try await self.fetcher.send(
            .POST,
            uri,
            headers: [("Content-Type", "application/ocsp-request"), ("Accept", "application/ocsp-response")],
            body: request,
            what: "OCSP responder"
        )
        guard response.status == 200 else {
            throw TrustError(.unexpectedStatus, "OCSP responder '\(uri)' answered \(response.status)")
        }
        return response.body
    }

    /// swift-certificates' entry point: a failure is non-terminal, as that library expects of a transport.
    public func query(request: [UInt8], uri: String) async -> OCSPRequesterQueryResult {
        do {
            return .response(try await self.send(request: request, to: uri))
        } catch {
            return .nonTerminalError(error)
        }
    }
}
