import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenTestServers
import WardenTestSupport
import X509

/// Warden against the `openssl` command line, an independent parser, signer and verifier.
@Suite(.enabled(if: ExternalTool.openssl.shouldRun, "openssl is not installed (Scripts/test.sh installs it)"))
struct OpenSSLInteropTests {
    static let trustStore = "/etc/ssl/certs/ca-certificates.crt"

    /// The fields `openssl x509` prints for one certificate.
    struct OpenSSLFields {
        var serial = ""
        var fingerprint = ""
        var notBefore: Date?
        var notAfter: Date?
        var subject = ""
    }

    static func openssl(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Subprocess.Result {
        try Subprocess.run(try ExternalTool.openssl.require(), arguments, stdin: stdin)
    }

    static func fields(ofCertificateAt path: String) throws -> OpenSSLFields {
        let result = try Self.openssl([
            "x509", "-in", path, "-noout", "-serial", "-fingerprint", "-sha256", "-startdate", "-enddate",
            "-dateopt", "iso_8601", "-nameopt", "RFC2253", "-subject",
        ])
        #expect(result.status == 0, "openssl x509 failed: \(result.stderr)")
        let dates = DateFormatter()
        dates.locale = Locale(identifier: "en_US_POSIX")
        dates.dateFormat = "yyyy-MM-dd HH:mm:ssX"
        var fields = OpenSSLFields()
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "serial": fields.serial = parts[1]
            case "sha256 Fingerprint": fields.fingerprint = parts[1]
            case "notBefore": fields.notBefore = dates.date(from: parts[1])
            case "notAfter": fields.notAfter = dates.date(from: parts[1])
            case "subject": fields.subject = parts[1]
            default: break
            }
        }
        return fields
    }

    static func normalizedSerial(_ hex: String) -> String {
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    @Test func everyCertificateOfTheSystemTrustStoreAgreesWithOpenSSL() throws {
        let bundle = try PKIFile.read(Self.trustStore)
        let decoded = try CertificateDecoder.decodeAll(bundle)
        #expect(decoded.count > 50)
        let directory = try TemporaryDirectory()
        for (index, certificate) in decoded.enumerated() {
            let info = try CertificateInfo(certificate)
            let path = try directory.write("\(index).der", certificate.derBytes)
            let peer = try Self.fields(ofCertificateAt: path)
            #expect(
                Self.normalizedSerial(info.serialNumber) == Self.normalizedSerial(peer.serial),
                "certificate \(index)"
            )
            #expect(info.sha256Fingerprint == peer.fingerprint, "certificate \(index)")
            #expect(info.validity.notBefore == peer.notBefore, "certificate \(index)")
            #expect(info.validity.notAfter == peer.notAfter, "certificate \(index)")
        }
    }

    @Test func rootsWithNonZeroKeyUsagePaddingAreInspectedAndFlagged() throws {
        // Trustwave's ECC roots in Debian's store encode keyUsage with non-zero padding bits; OpenSSL shows them.
        let decoded = try CertificateDecoder.load(from: Self.trustStore)
        let flagged = try decoded.map(CertificateInfo.init).filter { !$0.anomalies.isEmpty }
        for info in flagged {
            #expect(info.keyUsage?.contains("keyCertSign") == true, "\(info.subject)")
            #expect(info.anomalies.first?.contains("padding") == true)
        }
    }

    @Test func everyFileInEtcSSLCertsParses() throws {
        let directory = "/etc/ssl/certs"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pem") }
        #expect(files.count > 50)
        for file in files {
            #expect(throws: Never.self, "\(file)") {
                let decoded = try CertificateDecoder.load(from: "\(directory)/\(file)")
                for certificate in decoded { _ = try CertificateInfo(certificate) }
            }
        }
    }

    static let opensslKeyArguments: [(KeyType, [String], String)] = [
        (.p256, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "ecdsa-with-SHA256"),
        // OpenSSL signs with SHA-256 unless told otherwise, whatever the curve.
        (.p384, ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "ecdsa-with-SHA256"),
        (.ed25519, ["-newkey", "ed25519"], "ED25519"),
        (.rsa2048, ["-newkey", "rsa:2048"], "sha256WithRSAEncryption"),
    ]

    @Test(arguments: Self.opensslKeyArguments.indices)
    func certificatesKeysAndCSRsMadeByOpenSSLParseWithTheSameFields(_ index: Int) throws {
        let (type, keyArguments, signatureAlgorithm) = Self.opensslKeyArguments[index]
        let directory = try TemporaryDirectory()
        let sans =
            "subjectAltName=DNS:peer.example,IP:10.9.8.7,IP:2001:db8::7,URI:spiffe://example.org/peer,email:peer@example.org"
        let made = try Self.openssl(
            ["req", "-x509"] + keyArguments + [
                "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"), "-nodes", "-days", "30",
                "-subj", "/CN=peer/O=OpenSSL Peer", "-addext", sans, "-addext",
                "extendedKeyUsage=serverAuth,clientAuth",
            ]
        )
        try #require(made.status == 0, "\(made.stderr)")

        let info = try CertificateInfo(try #require(CertificateDecoder.load(from: directory.file("cert.pem")).first))
        let peer = try Self.fields(ofCertificateAt: directory.file("cert.pem"))
        #expect(Self.normalizedSerial(info.serialNumber) == Self.normalizedSerial(peer.serial))
        #expect(info.sha256Fingerprint == peer.fingerprint)
        #expect(info.subject == peer.subject)
        // `-subj /CN=peer/O=...` puts CN first in the DER; RFC 4514 writes the last RDN first.
        #expect(info.subject == "O=OpenSSL Peer,CN=peer")
        #expect(info.validity.notAfter == peer.notAfter)
        #expect(info.subjectAlternativeNames.dns == ["peer.example"])
        #expect(info.subjectAlternativeNames.ip == ["10.9.8.7", "2001:db8::7"])
        #expect(info.subjectAlternativeNames.uri == ["spiffe://example.org/peer"])
        #expect(info.subjectAlternativeNames.email == ["peer@example.org"])
        #expect(info.extendedKeyUsage == ["serverAuth", "clientAuth"])
        #expect(info.signatureAlgorithm == signatureAlgorithm)
        #expect(info.isSelfSigned)

        let key = try PrivateKey.load(from: directory.file("key.pem"))
        #expect(key.type == type)
        let certificate = try CertificateDecoder.load(from: directory.file("cert.pem"))[0].certificate
        #expect(key.matches(certificate.publicKey))

        let request = try Self.openssl([
            "req", "-new", "-key", directory.file("key.pem"), "-out", directory.file("req.pem"),
            "-subj", "/CN=peer/O=OpenSSL Peer", "-addext", sans,
        ])
        try #require(request.status == 0, "\(request.stderr)")
        let csr = try CSRInfo(CSRDecoder.load(from: directory.file("req.pem")))
        #expect(csr.signatureValid)
        var tamperedRequest = try PKIFile.read(directory.file("req.pem"))
        tamperedRequest = Array(try CSRDecoder.derBytes(of: CSRDecoder.decode(tamperedRequest)))
        tamperedRequest[tamperedRequest.count - 3] ^= 0x01
        #expect(try CSRInfo(CSRDecoder.decode(tamperedRequest)).signatureValid == false)
        #expect(csr.subject == "O=OpenSSL Peer,CN=peer")
        #expect(csr.subjectAlternativeNames.ip == ["10.9.8.7", "2001:db8::7"])
        #expect(csr.subjectAlternativeNames.uri == ["spiffe://example.org/peer"])
        #expect(csr.publicKey == PublicKeyInfo(certificate.publicKey))
    }

    @Test func traditionalSEC1AndPKCS1KeysFromOpenSSLImport() throws {
        let directory = try TemporaryDirectory()
        let ec = try Self.openssl([
            "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", directory.file("ec.pem"),
        ])
        let rsa = try Self.openssl(["genrsa", "-traditional", "-out", directory.file("rsa.pem"), "3072"])
        try #require(ec.status == 0 && rsa.status == 0)
        for (file, label, type) in [
            ("ec.pem", "EC PRIVATE KEY", KeyType.p256), ("rsa.pem", "RSA PRIVATE KEY", .rsa3072),
        ] {
            let text = try String(contentsOfFile: directory.file(file), encoding: .utf8)
            #expect(text.contains("BEGIN \(label)"))
            let key = try PrivateKey.load(from: directory.file(file))
            #expect(key.type == type)
            let publicKey = try Self.openssl(["pkey", "-in", directory.file(file), "-pubout", "-outform", "DER"])
            #expect(publicKey.stdoutBytes == key.subjectPublicKeyInfoDER)
        }
    }

    @Test(arguments: KeyType.allCases)
    func keysAndCSRsMadeByWardenAreAcceptedByOpenSSL(type: KeyType) throws {
        let directory = try TemporaryDirectory()
        let key = try PrivateKey.generate(type)
        try key.write(to: directory.file("key.pem"))
        let publicKey = try Self.openssl(["pkey", "-in", directory.file("key.pem"), "-pubout", "-outform", "DER"])
        #expect(publicKey.status == 0, "\(publicKey.stderr)")
        #expect(publicKey.stdoutBytes == key.subjectPublicKeyInfoDER)

        var builder = try CSRBuilder(subject: "CN=warden,O=Warden")
        builder.dnsNames = ["warden.example"]
        builder.uris = ["spiffe://example.org/warden"]
        let der = try builder.derEncoded(signingWith: key)
        try directory.write("req.pem", PEM.encode(label: "CERTIFICATE REQUEST", derBytes: der))
        let verified = try Self.openssl(["req", "-in", directory.file("req.pem"), "-verify", "-noout", "-text"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.contains("verify OK"))
        #expect(!verified.stderr.contains("verify failure"))
        #expect(verified.stdout.contains("URI:spiffe://example.org/warden"))
        #expect(verified.stdout.contains("DNS:warden.example"))

        var tampered = der
        tampered[tampered.count - 3] ^= 0x01
        try directory.write("bad.pem", PEM.encode(label: "CERTIFICATE REQUEST", derBytes: tampered))
        let rejected = try Self.openssl(["req", "-in", directory.file("bad.pem"), "-verify", "-noout"])
        // OpenSSL 3.0 reports a bad self-signature on stderr but exits 0; read its verdict, not its status.
        #expect(rejected.stderr.contains("verify failure"), "openssl said: \(rejected.stdout)\(rejected.stderr)")
        #expect(!(rejected.stdout + rejected.stderr).contains("verify OK"))
        #expect(try CSRInfo(CSRDecoder.decode(tampered)).signatureValid == false)
    }

    @Test func chainVerdictsAgreeWithOpenSSLVerify() async throws {
        let directory = try TemporaryDirectory()
        let chain = try TestPKI.chain()
        let stranger = try TestPKI.chain()
        try directory.write("root.pem", chain.root.pem)
        try directory.write("int.pem", chain.intermediate.pem)
        try directory.write("strange-int.pem", stranger.intermediate.pem)
        try directory.write("leaf.pem", chain.leaf.pem)
        let verifier = CertificateChainVerifier(roots: [chain.root.certificate])
        let cases: [(String, Date, TestPKI.Issued)] = [
            ("int.pem", TestPKI.epoch, chain.intermediate),
            ("int.pem", TestPKI.epoch.addingTimeInterval(86_400 * 400), chain.intermediate),
            ("int.pem", TestPKI.epoch.addingTimeInterval(-86_400 * 3), chain.intermediate),
            ("strange-int.pem", TestPKI.epoch, stranger.intermediate),
        ]
        for (intermediates, time, intermediate) in cases {
            let peer = try Self.openssl([
                "verify", "-CAfile", directory.file("root.pem"), "-untrusted", directory.file(intermediates),
                "-attime", String(Int(time.timeIntervalSince1970)), directory.file("leaf.pem"),
            ])
            let ours =
                (try? await verifier.verify(
                    leaf: chain.leaf.certificate,
                    intermediates: [intermediate.certificate],
                    at: time
                )) != nil
            #expect(
                ours == (peer.status == 0),
                "\(intermediates) at \(time): openssl said \(peer.stdout)\(peer.stderr)"
            )
        }
    }
}
