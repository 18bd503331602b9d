public import Logging
public import NIOCertificateReloading
public import NIOSSL
import Synchronization
public import WardenCredentials
import WardenPKI
import X509

/// Hands swift-nio-ssl the current certificate chain and key of a rotating provider, on every handshake.
///
/// A `CertificateReloader` (swift-nio-extras' `NIOCertificateReloading`), so that anything that takes one — swift-nio-ssl
/// through `TLSConfiguration.makeServerConfiguration(certificateReloader:)`, grpc-swift-nio-transport, Hummingbird —
/// presents the certificate the provider holds now, without a restart, and established connections keep theirs.
///
/// ```swift
/// let reloader = RotatingCertificateReloader(provider: svidProvider)   // a RotatingCredentialProvider of CertificateAndKey
/// let configuration = try TLSConfiguration.makeSPIFFEServerConfiguration(certificateReloader: reloader)
/// ```
///
/// The conversion to swift-nio-ssl's types is done once per rotation, not per handshake. While the provider holds
/// nothing servable the override makes no change, so the configuration's last certificate is presented; a chain or key
/// that swift-nio-ssl refuses is logged once and skipped the same way.
public final class RotatingCertificateReloader: CertificateReloader, Sendable {
    private let current: @Sendable () -> CertificateAndKey?
    private let logger: Logger
    private let cache = Mutex<Cached?>(nil)

    private struct Cached: Sendable {
        let chain: [Certificate]
        let override: NIOSSLContextConfigurationOverride?
    }

    /// Presents what `provider` serves.
    public convenience init<Source: CredentialSource>(
        provider: RotatingCredentialProvider<Source>,
        logger: Logger = Logger(label: "warden.niossl")
    ) where Source.Value == CertificateAndKey {
        self.init(logger: logger) { provider.currentIfAvailable() }
    }

    /// Presents what `current` returns at each handshake; `nil` keeps the certificate presented last.
    public init(
        logger: Logger = Logger(label: "warden.niossl"),
        current: @escaping @Sendable () -> CertificateAndKey?
    ) {
        self.current = current
        self.logger = logger
    }

    public var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        guard let value = self.current() else { return .noChanges }
        if let cached = self.cache.withLock({ $0 }), cached.chain == value.chain {
            return cached.override ?? .noChanges
        }
        let override = self.makeOverride(value)
        self.cache.withLock { $0 = Cached(chain: value.chain, override: override) }
        return override ?? .noChanges
    }

    private func makeOverride(_ value: CertificateAndKey) -> NIOSSLContextConfigurationOverride? {
        do {
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = try value.chain.map {
                .certificate(try NIOSSLCertificate(bytes: CertificateDecoder.derBytes(of: $0), format: .der))
            }
            override.privateKey = .privateKey(
                try NIOSSLPrivateKey(bytes: value.privateKey.pkcs8DERRepresentation.reveal(), format: .der)
            )
            self.logger.info(
                "presenting a new certificate",
                metadata: ["subject": "\(value.leaf.subject)", "serial": "\(value.leaf.serialNumber)"]
            )
            return override
        } catch {
            // The key's bytes never reach the log: swift-nio-ssl's errors name the step, not the input.
            self.logger.error(
                "swift-nio-ssl refused a rotated certificate or key; the previous one is still presented",
                metadata: ["subject": "\(value.leaf.subject)", "error": "\(type(of: error))"]
            )
            return nil
        }
    }
}
