import Foundation
public import WardenCredentials
public import WardenSPIFFE

/// A bundle that does not change: configuration, or a bootstrap before a real source takes over.
public struct StaticBundleSource: TrustBundleSource {
    public let bundle: SPIFFEBundle

    public init(_ bundle: SPIFFEBundle) {
        self.bundle = bundle
    }

    public var trustDomain: TrustDomain { self.bundle.trustDomain }
    public var name: String { "static-bundle:\(self.bundle.trustDomain.name)" }

    public func fetch() async throws -> Credential<SPIFFEBundle> {
        Credential(
            value: self.bundle,
            issuedAt: Date(),
            metadata: CredentialMetadata(sourceName: self.name, kind: "trust-bundle", identifier: "static")
        )
    }
}
