import Foundation
import Testing
import WardenPKI
import WardenTestServers
import WardenTestSupport

/// Warden against Python's `cryptography` (pyca), an independent X.509 implementation.
@Suite(.enabled(if: ExternalTool.python.shouldRun, "Python with cryptography is missing (Scripts/test.sh installs it)"))
struct CryptographyInteropTests {
    static let describeCertificates = #"""
        import json, sys
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
        out = []
        for c in x509.load_pem_x509_certificates(open(sys.argv[1], "rb").read()):
            try:
                san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                dns = san.get_values_for_type(x509.DNSName)
            except x509.ExtensionNotFound:
                dns = []
            try:
                bc = c.extensions.get_extension_for_class(x509.BasicConstraints).value
                basic = {"isCA": bc.ca, "pathLength": bc.path_length}
            except x509.ExtensionNotFound:
                basic = None
            key = c.public_key()
            if isinstance(key, rsa.RSAPublicKey):
                kind, bits = "RSA", key.key_size
            elif isinstance(key, ec.EllipticCurvePublicKey):
                kind, bits = "EC", key.curve.key_size
            elif isinstance(key, ed25519.Ed25519PublicKey):
                kind, bits = "Ed25519", 256
            else:
                kind, bits = "other", 0
            out.append({
                "serial": format(c.serial_number, "X") if c.serial_number >= 0 else None,
                "notBefore": c.not_valid_before_utc.timestamp(),
                "notAfter": c.not_valid_after_utc.timestamp(),
                "fingerprint": c.fingerprint(hashes.SHA256()).hex().upper(),
                "dns": dns, "basic": basic, "keyType": kind, "keyBits": bits,
                "subject": c.subject.rfc4514_string(),
                "selfIssued": c.subject == c.issuer,
            })
        print(json.dumps(out))
        """#

    static let verifyCSR = #"""
        import json, sys
        from cryptography import x509
        csr = x509.load_pem_x509_csr(open(sys.argv[1], "rb").read())
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        print(json.dumps({
            "valid": csr.is_signature_valid,
            "subject": csr.subject.rfc4514_string(),
            "uris": san.get_values_for_type(x509.UniformResourceIdentifier),
            "ips": [str(ip) for ip in san.get_values_for_type(x509.IPAddress)],
        }))
        """#

    struct PeerCertificate: Decodable {
        struct Basic: Decodable, Equatable {
            let isCA: Bool
            let pathLength: Int?
        }
        let serial: String?
        let notBefore: Double
        let notAfter: Double
        let fingerprint: String
        let dns: [String]
        let basic: Basic?
        let keyType: String
        let keyBits: Int
        let subject: String
        let selfIssued: Bool
    }

    static func python(_ script: String, _ arguments: [String]) throws -> Data {
        let result = try Subprocess.run(try ExternalTool.python.require(), ["-c", script] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return Data(result.stdout.utf8)
    }

    @Test func theSystemTrustStoreAgreesFieldByField() throws {
        let path = OpenSSLInteropTests.trustStore
        let ours = try CertificateDecoder.load(from: path).map(CertificateInfo.init)
        let peers = try JSONDecoder().decode(
            [PeerCertificate].self,
            from: Self.python(Self.describeCertificates, [path])
        )
        try #require(ours.count == peers.count)
        for (index, (info, peer)) in zip(ours, peers).enumerated() {
            if let serial = peer.serial {
                #expect(OpenSSLInteropTests.normalizedSerial(info.serialNumber) == serial, "certificate \(index)")
            }
            #expect(info.validity.notBefore.timeIntervalSince1970 == peer.notBefore, "certificate \(index)")
            #expect(info.validity.notAfter.timeIntervalSince1970 == peer.notAfter, "certificate \(index)")
            #expect(info.sha256Fingerprint.replacingOccurrences(of: ":", with: "") == peer.fingerprint)
            #expect(info.subjectAlternativeNames.dns == peer.dns, "certificate \(index)")
            #expect(
                info.basicConstraints.map { PeerCertificate.Basic(isCA: $0.isCA, pathLength: $0.pathLength) }
                    == peer.basic
            )
            #expect(info.publicKey.algorithm == peer.keyType, "certificate \(index)")
            #expect(info.publicKey.bits == peer.keyBits, "certificate \(index)")
            #expect(info.subject == peer.subject, "certificate \(index)")
            #expect(info.isSelfIssued == peer.selfIssued, "certificate \(index)")
        }
    }

    @Test(arguments: KeyType.allCases)
    func csrsMadeByWardenVerifyInCryptography(type: KeyType) throws {
        struct Verdict: Decodable {
            let valid: Bool
            let subject: String
            let uris: [String]
            let ips: [String]
        }
        let directory = try TemporaryDirectory()
        var builder = try CSRBuilder(subject: "CN=warden,O=Warden")
        builder.uris = ["spiffe://example.org/warden"]
        builder.ipAddresses = ["192.0.2.1", "2001:db8::1"]
        let der = try builder.derEncoded(signingWith: try PrivateKey.generate(type))
        let good = try directory.write("good.pem", PEM.encode(label: "CERTIFICATE REQUEST", derBytes: der))
        var tampered = der
        tampered[tampered.count - 3] ^= 0x01
        let bad = try directory.write("bad.pem", PEM.encode(label: "CERTIFICATE REQUEST", derBytes: tampered))

        let verdict = try JSONDecoder().decode(Verdict.self, from: Self.python(Self.verifyCSR, [good]))
        #expect(verdict.valid)
        #expect(verdict.subject == "CN=warden,O=Warden")
        #expect(verdict.uris == ["spiffe://example.org/warden"])
        #expect(verdict.ips == ["192.0.2.1", "2001:db8::1"])
        let rejected = try JSONDecoder().decode(Verdict.self, from: Self.python(Self.verifyCSR, [bad]))
        #expect(!rejected.valid)
    }
}
