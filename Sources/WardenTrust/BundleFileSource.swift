import Crypto
import Foundation
public import WardenCore
public import WardenCredentials
import WardenPKI
public import WardenSPIFFE

/// A trust domain's bundle from a file another agent writes (spiffe-helper, cert-manager's trust-manager): PEM
/// certificates, or a SPIFFE bundle document (JSON). Re-read every `rereadInterval`; a change is a rotation, an
/// identical file is not.
///
/// A PEM file that holds anything but certificates (a private key pasted by mistake) is refused, never distributed.
public struct BundleFileSource: TrustBundleSource {
    public let path: String
    public let trustDomain: TrustDomain
    public let rereadInterval: Duration
    private let clock: any WardenClock

    public init(
        path: String,
        trustDomain: TrustDomain,
        rereadInterval: Duration = .seconds(60),
        clock: any WardenClock = SystemClock()
    ) {
        self.path = path
        self.trustDomain = trustDomain
        self.rereadInterval = rereadInterval
        self.clock = clock
    }

    public var name: String { "bundle-file:\(self.path)" }

    public func fetch() async throws -> Credential<SPIFFEBundle> {
        let now = self.clock.now
        let bytes = try PKIFile.read(self.path)
        let bundle: SPIFFEBundle
        if PEM.looksLikePEM(bytes) {
            let blocks = try PEM.decode(bytes)
            if let other = blocks.first(where: { $0.label != "CERTIFICATE" }) {
                throw TrustError(
                    .malformedBundle,
                    "\(self.path) holds a \(other.label) block (block \(other.ordinal)); a trust bundle file holds certificates only"
                )
            }
            let certificates = try blocks.map { try CertificateDecoder.certificate(derEncoded: $0.derBytes) }
            bundle = SPIFFEBundle(trustDomain: self.trustDomain, x509Authorities: certificates)
        } else {
            bundle = try SPIFFEBundle.parse(trustDomain: self.trustDomain, json: bytes)
        }
        let digest = Hex.encode(Array(SHA256.hash(data: bytes)))
        return Credential(
            value: bundle,
            issuedAt: now,
            refreshHint: now.addingTimeInterval(self.rereadInterval.timeInterval),
            metadata: CredentialMetadata(sourceName: self.name, kind: "trust-bundle", identifier: digest)
        )
    }
}
