public import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Synchronization
public import WardenCore
public import WardenCredentials
public import WardenPKI
public import X509

/// A CRL fetched over HTTP, for the rotation engine: from a URL, or from a certificate's CRL distribution point.
///
/// Fetched every `refreshInterval` and when the list is due, with `If-Modified-Since` after the first fetch (a `304`
/// keeps the list held; not with a delta, which changes while the complete list does not); kept until its `nextUpdate` plus `grace`, then dropped, so that a verifier stops trusting a
/// list nobody is updating. A `deltaURL` is fetched with the complete CRL and used only with it.
///
/// ```swift
/// // The distribution point a certificate names, for the CRL of the CA that issued it.
/// let crls = RotatingCredentialProvider(source: try HTTPCRLSource(distributionPointOf: peerCertificate))
/// ```
public final class HTTPCRLSource: CredentialSource {
    public typealias Value = RevocationList

    public let url: String
    public let deltaURL: String?
    public let refreshInterval: Duration
    public let grace: Duration
    public let limits: CRLLimits
    private let fetcher: HTTPResourceFetcher
    private let clock: any WardenClock
    private let last = Mutex<(lastModified: String, list: RevocationList)?>(nil)

    public init(
        url: String,
        deltaURL: String? = nil,
        refreshInterval: Duration = .seconds(300),
        grace: Duration = .seconds(3600),
        limits: CRLLimits = .default,
        timeout: Duration = .seconds(10),
        httpClient: HTTPClient = .shared,
        clock: any WardenClock = SystemClock()
    ) {
        self.url = url
        self.deltaURL = deltaURL
        self.refreshInterval = refreshInterval
        self.grace = grace
        self.limits = limits
        self.fetcher = HTTPResourceFetcher(
            client: httpClient,
            timeout: timeout,
            maximumSize: limits.maximumSize / 3 * 4 + 4096
        )
        self.clock = clock
    }

    /// A source for the first `http` URI among `certificate`'s CRL distribution points.
    ///
    /// - Throws: ``TrustError`` with ``TrustError/Code/invalidEndpoint`` when it names none.
    public convenience init(
        distributionPointOf certificate: Certificate,
        refreshInterval: Duration = .seconds(300),
        grace: Duration = .seconds(3600),
        limits: CRLLimits = .default,
        timeout: Duration = .seconds(10),
        httpClient: HTTPClient = .shared
    ) throws {
        let uris = try CRLDistributionPoints.uris(of: certificate)
        guard
            let url = uris.first(where: {
                $0.lowercased().hasPrefix("http://") || $0.lowercased().hasPrefix("https://")
            })
        else {
            throw TrustError(
                .invalidEndpoint,
                "the certificate names no http CRL distribution point (it names \(uris))"
            )
        }
        self.init(
            url: url,
            refreshInterval: refreshInterval,
            grace: grace,
            limits: limits,
            timeout: timeout,
            httpClient: httpClient
        )
    }

    public var name: String { "crl-http:\(self.url)" }

    public func fetch() async throws -> Credential<RevocationList> {
        let held = self.last.withLock { $0 }
        var headers: [(String, String)] = []
        // With a delta, both are fetched every time: the delta changes while the complete list does not.
        if let held, self.deltaURL == nil { headers.append(("If-Modified-Since", held.lastModified)) }
        let response = try await self.fetcher.send(.GET, self.url, headers: headers, what: "CRL distribution point")
        let list: RevocationList
        if response.status == 304, let held {
            list = held.list
        } else {
            guard response.status == 200 else {
                throw TrustError(.unexpectedStatus, "CRL distribution point '\(self.url)' answered \(response.status)")
            }
            let base = try CRLDecoder.crl(from: response.body, limits: self.limits)
            var delta: CertificateRevocationList?
            if let deltaURL {
                let deltaResponse = try await self.fetcher.send(.GET, deltaURL, what: "delta CRL distribution point")
                guard deltaResponse.status == 200 else {
                    throw TrustError(
                        .unexpectedStatus,
                        "delta CRL distribution point '\(deltaURL)' answered \(deltaResponse.status)"
                    )
                }
                delta = try CRLDecoder.crl(from: deltaResponse.body, limits: self.limits)
            }
            list = try RevocationList(base: base, delta: delta, location: self.url)
            if let lastModified = response.headers.first(name: "Last-Modified") {
                self.last.withLock { $0 = (lastModified, list) }
            }
        }
        RevocationListMetrics.record(list, source: self.name)
        return Credential(
            revocationList: list,
            fetchedAt: self.clock.now,
            refreshInterval: self.refreshInterval,
            grace: self.grace,
            sourceName: self.name
        )
    }
}
