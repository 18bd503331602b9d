public import Foundation
import Synchronization
public import WardenCore
public import WardenCredentials
import WardenPKI
public import WardenSPIFFE

/// A federated trust domain's bundle from its SPIFFE bundle endpoint (SPIFFE Federation §4–5), over either profile.
///
/// ```swift
/// let source = try SPIFFEBundleEndpointSource(
///     url: URL(string: "https://spire.partner.example:8443")!,
///     trustDomain: TrustDomain("partner.example"),
///     profile: .httpsSPIFFE(
///         endpointID: SPIFFEID("spiffe://partner.example/spire/server"),
///         bootstrapBundle: X509Bundle.load(trustDomain: partner, from: "/etc/warden/partner-bootstrap.pem")
///     )
/// )
/// manager.addSource(source)
/// ```
///
/// Every fetch makes the checks of ``BundleEndpointProfile`` and these:
/// - only `200 OK` is accepted; a redirect is never followed;
/// - the body is at most ``maximumBodySize`` bytes (4 MiB by default, the limit of every bundle Warden parses), and a
///   `Content-Length` over it is refused before the body is read;
/// - the whole exchange ends within ``timeout`` (10 seconds by default);
/// - the bundle must parse, and its `spiffe_sequence` may not be lower than that of the last bundle this source
///   fetched.
///
/// The source polls four times per refresh hint (`spiffe_refresh_hint`, 5 minutes when the bundle gives none, never
/// less than ``minimumRefreshHint``), as SPIRE does, so that one failed poll does not miss a rotation. A failure is
/// an error of the fetch: the rotation engine keeps serving the last good bundle, reports the source degraded with
/// the reason, and retries with its jittered backoff.
public final class SPIFFEBundleEndpointSource: TrustBundleSource {
    public let url: URL
    public let trustDomain: TrustDomain
    public let profile: BundleEndpointProfile
    /// The largest response body accepted. Default: 4 MiB.
    public let maximumBodySize: Int
    /// How long one fetch may take, from connecting to the end of the body. Default: 10 seconds.
    public let timeout: Duration
    /// The refresh hint used when the bundle gives none. Default: 5 minutes.
    public let defaultRefreshHint: Duration
    /// The least refresh hint honoured, whatever the bundle says. Default: 1 minute.
    public let minimumRefreshHint: Duration
    /// How many polls per refresh hint. SPIRE's number: 4.
    public static let attemptsPerRefreshHint = 4

    private let client: BundleEndpointClient
    private let clock: any WardenClock
    private let lastBundle = Mutex<SPIFFEBundle?>(nil)

    /// - Throws: ``TrustError`` with ``TrustError/Code/invalidEndpoint`` when the URL is not `https` or has no host.
    public init(
        url: URL,
        trustDomain: TrustDomain,
        profile: BundleEndpointProfile,
        maximumBodySize: Int = 4 << 20,
        timeout: Duration = .seconds(10),
        defaultRefreshHint: Duration = .seconds(300),
        minimumRefreshHint: Duration = .seconds(60),
        clock: any WardenClock = SystemClock()
    ) throws(TrustError) {
        self.url = url
        self.trustDomain = trustDomain
        self.profile = profile
        self.maximumBodySize = maximumBodySize
        self.timeout = timeout
        self.defaultRefreshHint = defaultRefreshHint
        self.minimumRefreshHint = minimumRefreshHint
        self.clock = clock
        self.client = try BundleEndpointClient(url: url, maximumBodySize: maximumBodySize, timeout: timeout)
    }

    public var name: String { "bundle-endpoint:\(self.url.absoluteString)" }

    public func fetch() async throws -> Credential<SPIFFEBundle> {
        let bundle = try await self.fetchBundle()
        let now = self.clock.now
        let hint = max(bundle.refreshHint ?? self.defaultRefreshHint, self.minimumRefreshHint)
        let poll = hint / Self.attemptsPerRefreshHint
        return Credential(
            value: bundle,
            issuedAt: now,
            refreshHint: now.addingTimeInterval(poll.timeInterval),
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "trust-bundle",
                identifier: bundle.sequenceNumber.map { "sequence \($0)" }
            )
        )
    }

    /// One fetch with every check, without the rotation engine: what `warden bundle fetch` does.
    ///
    /// - Throws: ``TrustError`` whose code names the check that failed; ``TrustError/Code/malformedBundle`` for a
    ///   body that is not a SPIFFE bundle.
    public func fetchBundle() async throws(TrustError) -> SPIFFEBundle {
        let held = self.lastBundle.withLock { $0 }
        let verification: BundleEndpointClient.Verification
        switch self.profile.backing {
        case .web(let roots):
            verification = .web(trustRoots: roots)
        case .spiffe(let endpointID, let bootstrap):
            let authorities: X509Bundle?
            if endpointID.trustDomain == self.trustDomain, let held {
                authorities = held.x509Bundle
            } else {
                authorities = bootstrap
            }
            verification = .spiffe(endpointID: endpointID, authorities: authorities)
        }
        let body = try await self.client.get(verification: verification)
        let bundle: SPIFFEBundle
        do {
            bundle = try SPIFFEBundle.parse(trustDomain: self.trustDomain, json: body)
        } catch {
            throw TrustError(.malformedBundle, "\(self.url) served no SPIFFE bundle: \(error)")
        }
        if let applied = held?.sequenceNumber, let offered = bundle.sequenceNumber, offered < applied {
            throw TrustError(
                .sequenceWentBack,
                "\(self.url) served sequence \(offered), lower than the \(applied) already held"
            )
        }
        self.lastBundle.withLock { $0 = bundle }
        return bundle
    }
}
