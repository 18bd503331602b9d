import Crypto
import Foundation
public import WardenCore
public import WardenCredentials
import WardenPKI
public import WardenSPIFFE
import X509

/// The operating system's trust roots as a trust domain's X.509 authorities: for peers whose certificates chain to a
/// public CA, and to watch the system store for changes (a `ca-certificates` update is a rotation).
///
/// The file is `SSL_CERT_FILE` when set, else the first that exists of the places Linux distributions keep it
/// (Debian's `/etc/ssl/certs/ca-certificates.crt`, Fedora's, openSUSE's, Alpine's, …) or macOS's `/etc/ssl/cert.pem`.
/// A root that swift-certificates cannot parse (a few old roots break DER rules) is left out rather than failing the
/// whole store; how many were left out is in the credential's metadata. A file with anything but certificates is
/// refused, as ``BundleFileSource`` refuses it.
public struct SystemTrustRootsSource: TrustBundleSource {
    /// Where the system keeps its roots, in the order they are tried.
    public static let candidatePaths = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/pki/tls/cacert.pem",
        "/etc/ssl/cert.pem",
    ]

    public let trustDomain: TrustDomain
    /// The file read, or `nil` when the system has none.
    public let path: String?
    public let rereadInterval: Duration
    private let clock: any WardenClock

    /// - Parameter environment: where `SSL_CERT_FILE` is looked up; the process's environment when `nil`.
    public init(
        trustDomain: TrustDomain,
        rereadInterval: Duration = .seconds(3600),
        environment: [String: String]? = nil,
        clock: any WardenClock = SystemClock()
    ) {
        self.trustDomain = trustDomain
        self.rereadInterval = rereadInterval
        self.clock = clock
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let configured = environment["SSL_CERT_FILE"], !configured.isEmpty {
            self.path = configured
        } else {
            self.path = Self.candidatePaths.first { FileManager.default.isReadableFile(atPath: $0) }
        }
    }

    public var name: String { "system-roots:\(self.path ?? "none")" }

    public func fetch() async throws -> Credential<SPIFFEBundle> {
        guard let path = self.path else {
            throw TrustError(
                .malformedBundle,
                "no system trust store: none of \(Self.candidatePaths.joined(separator: ", ")) exists, and SSL_CERT_FILE is not set"
            )
        }
        let now = self.clock.now
        let bytes = try PKIFile.read(path)
        let blocks = try PEM.decode(bytes)
        if let other = blocks.first(where: { $0.label != "CERTIFICATE" }) {
            throw TrustError(
                .malformedBundle,
                "\(path) holds a \(other.label) block (block \(other.ordinal)); a trust store holds certificates only"
            )
        }
        var roots: [Certificate] = []
        var skipped = 0
        for block in blocks {
            if let root = try? CertificateDecoder.certificate(derEncoded: block.derBytes) {
                roots.append(root)
            } else {
                skipped += 1
            }
        }
        guard !roots.isEmpty else {
            throw TrustError(.malformedBundle, "\(path) holds no certificate that parses")
        }
        let digest = Hex.encode(Array(SHA256.hash(data: bytes)))
        return Credential(
            value: SPIFFEBundle(trustDomain: self.trustDomain, x509Authorities: roots),
            issuedAt: now,
            refreshHint: now.addingTimeInterval(self.rereadInterval.timeInterval),
            metadata: CredentialMetadata(
                sourceName: self.name,
                kind: "trust-bundle",
                identifier: skipped == 0 ? digest : "\(digest); \(skipped) unparseable roots left out"
            )
        )
    }
}
