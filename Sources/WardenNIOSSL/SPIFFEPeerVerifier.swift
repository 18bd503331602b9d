import Foundation
public import Logging
public import NIOCore
public import NIOSSL
import Synchronization
public import WardenPKI
public import WardenSPIFFE
public import WardenTrust
import X509

/// Verifies a TLS peer by the SPIFFE rules, in swift-nio-ssl's custom verification callback: the presented chain is an
/// X509-SVID of a trusted trust domain, verified against that trust domain's current bundle, and its SPIFFE ID is one
/// the authorizer allows.
///
/// Host names are not checked: an X509-SVID need not carry one, and swift-nio-ssl's own verification would reject a
/// URI-only certificate. The authorizer is required; a verifier that allows any SPIFFE ID of a trusted trust domain
/// says so with `SPIFFEIDAuthorizer.any`.
///
/// ```swift
/// let peers = SPIFFEPeerVerifier(manager: trust, authorizer: .memberOf(try TrustDomain("example.org")))
/// let handler = NIOSSLServerHandler(context: context, customVerificationCallbackWithMetadata: peers.callback)
/// ```
///
/// SPIFFE's answer to revocation is short-lived SVIDs, so nothing is checked by default. A `revocation` policy with
/// CRLs (from a rotating CRL source, say) makes each handshake also check the verified chain against them, in memory;
/// OCSP cannot be asked inside a handshake callback, and a policy with OCSP is refused (a precondition).
///
/// A rejected peer fails the handshake, and the reason (the rule's code, the peer's SPIFFE ID when it has one) is
/// logged at `notice`. The verified chain is the handler's `peerValidatedCertificateChain`; ``peerID(of:)`` reads the
/// SPIFFE ID from it.
public struct SPIFFEPeerVerifier: Sendable {
    public let verifier: X509SVIDVerifier
    public let authorizer: SPIFFEIDAuthorizer
    /// The CRLs each verified chain is checked against; ``RevocationPolicy/none`` by default.
    public let revocation: RevocationPolicy
    private let logger: Logger
    private let authorities = ConvertedAuthorities()

    public init(
        verifier: X509SVIDVerifier,
        authorizer: SPIFFEIDAuthorizer,
        revocation: RevocationPolicy = .none,
        logger: Logger = Logger(label: "warden.niossl")
    ) {
        precondition(revocation.ocsp == nil, "OCSP cannot be asked in a TLS handshake callback; use CRLs")
        self.verifier = verifier
        self.authorizer = authorizer
        self.revocation = revocation
        self.logger = logger
    }

    /// Verifies against `manager`'s bundles, current at every handshake. Make one per listener or client, not per
    /// connection: the manager keeps every verifier it makes.
    public init(
        manager: TrustBundleManager,
        authorizer: SPIFFEIDAuthorizer,
        revocation: RevocationPolicy = .none,
        logger: Logger = Logger(label: "warden.niossl")
    ) {
        self.init(
            verifier: manager.makeX509SVIDVerifier(),
            authorizer: authorizer,
            revocation: revocation,
            logger: logger
        )
    }

    /// Verifies the chain a peer presented, leaf first.
    ///
    /// - Throws: `SPIFFEError` naming the rule that failed.
    public func verify(_ presented: [NIOSSLCertificate]) throws(SPIFFEError) -> VerifiedX509SVID {
        let verified = try self.verifier.verify(try Self.parse(presented), authorizer: self.authorizer)
        try self.checkRevocation(verified)
        return verified
    }

    private func checkRevocation(_ verified: VerifiedX509SVID) throws(SPIFFEError) {
        guard self.revocation.checksRevocation else { return }
        do {
            _ = try self.revocation.checkRevocationLists(of: verified.chain, at: Date())
        } catch {
            let code: SPIFFEError.Code =
                error.code == .certificateRevoked ? .certificateRevoked : .revocationStatusUnknown
            throw SPIFFEError(code, "\(verified.id): \(error.message)")
        }
    }

    private static func parse(_ presented: [NIOSSLCertificate]) throws(SPIFFEError) -> [Certificate] {
        var chain: [Certificate] = []
        chain.reserveCapacity(presented.count)
        for (index, certificate) in presented.enumerated() {
            do {
                chain.append(try CertificateDecoder.certificate(derEncoded: try certificate.toDERBytes()))
            } catch {
                throw SPIFFEError(.malformedInput, "the peer's certificate \(index) does not parse: \(error)")
            }
        }
        return chain
    }

    /// swift-nio-ssl's custom verification callback: succeeds with the verified chain, up to the trusted authority.
    public var callback: @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void
    {
        { presented, promise in
            promise.succeed(self.verdict(presented, observe: nil))
        }
    }

    /// ``callback``, also handing each handshake's outcome to `observe`: the verified X509-SVID, or the error naming
    /// the rule that rejected the peer. For audit logs, metrics, or a demo that prints each peer. `observe` runs on
    /// the connection's event loop during the handshake: keep it short.
    public func callback(
        observing observe: @escaping @Sendable (Result<VerifiedX509SVID, SPIFFEError>) -> Void
    ) -> @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResultWithMetadata>) -> Void {
        { presented, promise in
            promise.succeed(self.verdict(presented, observe: observe))
        }
    }

    /// The same check as ``callback`` for APIs that take swift-nio-ssl's plain custom verification callback, such as
    /// Hummingbird's `TLSChannelConfiguration(tlsConfiguration:customVerificationCallback:)`. The handler then has no
    /// validated chain; ``peerID(of:)`` reads the SPIFFE ID from the leaf the peer presented, which this verified.
    public var verificationCallback: @Sendable ([NIOSSLCertificate], EventLoopPromise<NIOSSLVerificationResult>) -> Void
    {
        { presented, promise in
            switch self.verdict(presented, observe: nil) {
            case .certificateVerified: promise.succeed(.certificateVerified)
            case .failed: promise.succeed(.failed)
            }
        }
    }

    func verdict(
        _ presented: [NIOSSLCertificate],
        observe: (@Sendable (Result<VerifiedX509SVID, SPIFFEError>) -> Void)?
    ) -> NIOSSLVerificationResultWithMetadata {
        do throws(SPIFFEError) {
            let parsed = try Self.parse(presented)
            let verified = try self.verifier.verify(parsed, authorizer: self.authorizer)
            try self.checkRevocation(verified)
            observe?(.success(verified))
            // The validated chain in swift-nio-ssl's type: the certificates the peer presented as they are, and the
            // trusted authority converted once and kept.
            var chain: [NIOSSLCertificate] = []
            chain.reserveCapacity(verified.chain.count)
            for certificate in verified.chain {
                if let index = parsed.firstIndex(of: certificate) {
                    chain.append(presented[index])
                } else if let authority = self.authorities.converted(certificate) {
                    chain.append(authority)
                } else {
                    return .certificateVerified(VerificationMetadata(nil))
                }
            }
            return .certificateVerified(VerificationMetadata(ValidatedCertificateChain(chain)))
        } catch {
            observe?(.failure(error))
            self.logger.notice(
                "rejected a TLS peer",
                metadata: ["code": "\(error.code)", "reason": "\(error.message)"]
            )
            return .failed
        }
    }

    /// The SPIFFE ID of the peer a handler verified with ``callback`` or ``verificationCallback``, or `nil` before the
    /// handshake or without one. Call it on the channel's event loop, and only on a handler whose verification callback
    /// is one of these: without a validated chain it reads the presented leaf.
    public static func peerID(of handler: NIOSSLHandler) -> SPIFFEID? {
        guard let leaf = handler.peerValidatedCertificateChain?.leaf ?? handler.peerCertificate,
            let der = try? leaf.toDERBytes(),
            let certificate = try? CertificateDecoder.certificate(derEncoded: der)
        else { return nil }
        return try? X509SVID.validateLeaf(certificate)
    }

    /// The SPIFFE ID of `channel`'s verified TLS peer, from any task: for request handlers that hold the channel
    /// (Hummingbird's request context source, for one), not its pipeline.
    public static func peerID(of channel: any Channel) async -> SPIFFEID? {
        try? await channel.eventLoop.submit { () -> SPIFFEID? in
            guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLHandler.self) else {
                return nil
            }
            return Self.peerID(of: handler)
        }.get()
    }
}

/// Trusted authorities in swift-nio-ssl's type, converted once each; at most 1,024 are kept.
private final class ConvertedAuthorities: Sendable {
    private let cache = Mutex<[Certificate: NIOSSLCertificate]>([:])

    func converted(_ authority: Certificate) -> NIOSSLCertificate? {
        if let known = self.cache.withLock({ $0[authority] }) { return known }
        guard let fresh = try? NIOSSLCertificate(bytes: CertificateDecoder.derBytes(of: authority), format: .der) else {
            return nil
        }
        self.cache.withLock { converted in
            if converted.count >= 1024 { converted.removeAll(keepingCapacity: true) }
            converted[authority] = fresh
        }
        return fresh
    }
}
