import Foundation
import NIOSSL
import Testing
import WardenNIOSSL
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import X509

/// The handshake-time check of `SPIFFEPeerVerifier` against a CRL made by `openssl ca`.
@Suite(.enabled(if: ExternalTool.openssl.shouldRun, "openssl is missing (Scripts/test.sh installs it)"))
struct SPIFFEPeerRevocationTests {
    static func presented(_ path: String) throws -> [NIOSSLCertificate] {
        try NIOSSLCertificate.fromPEMFile(path)
    }

    @Test func aRevokedSVIDFailsTheHandshakeCheckAndAGoodOnePasses() throws {
        let ca = try OpenSSLCertificateAuthority(name: "SPIFFE CA", spiffeID: "spiffe://example.org/workload")
        let revoked = try ca.issue("revoked", extensions: "svid_ext")
        let good = try ca.issue("good", extensions: "svid_ext")
        try ca.revoke(revoked, reason: "keyCompromise")
        let crlPath = try ca.generateCRL("crl.pem")
        let list = try RevocationList(base: CRLDecoder.crl(from: PKIFile.read(crlPath)), location: crlPath)
        let authority = try #require(CertificateDecoder.certificates(from: PKIFile.read(ca.certificatePath)).first)
        let bundle = X509Bundle(trustDomain: try TrustDomain("example.org"), authorities: [authority])
        let authorizer = SPIFFEIDAuthorizer.memberOf(try TrustDomain("example.org"))

        // SPIFFE's default checks no revocation: the revoked SVID verifies.
        let plain = SPIFFEPeerVerifier(verifier: X509SVIDVerifier(bundle: bundle), authorizer: authorizer)
        _ = try plain.verify(Self.presented(revoked))

        let checking = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(bundle: bundle),
            authorizer: authorizer,
            revocation: .crl(from: [list], failureMode: .hardFail)
        )
        #expect(try checking.verify(Self.presented(good)).id == SPIFFEID("spiffe://example.org/workload"))
        #expect(throws: SPIFFEError(.certificateRevoked, "")) { try checking.verify(Self.presented(revoked)) }

        // Without a list for the issuer, hard-fail refuses.
        let empty = SPIFFEPeerVerifier(
            verifier: X509SVIDVerifier(bundle: bundle),
            authorizer: authorizer,
            revocation: .crl(from: [RevocationList](), failureMode: .hardFail)
        )
        #expect(throws: SPIFFEError(.revocationStatusUnknown, "")) { try empty.verify(Self.presented(good)) }
    }
}
