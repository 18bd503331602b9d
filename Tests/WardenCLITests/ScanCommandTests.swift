import Foundation
import Testing
import WardenPKI
import WardenTestServers
import WardenTestSupport

/// `warden scan` over a directory of what operators find on disks: certificates made by `openssl` and
/// pyca/cryptography, keys with tight and loose modes, an encrypted key, a CSR, a truncated file, links that would
/// leave the directory or loop.
@Suite(
    .enabled(
        if: ExternalTool.openssl.shouldRun && ExternalTool.python.shouldRun,
        "openssl or python is missing (Scripts/test.sh installs them)"
    )
)
struct ScanCommandTests {
    let directory: TemporaryDirectory
    let ca: OpenSSLCertificateAuthority
    let scanned: String

    init() throws {
        self.directory = try TemporaryDirectory()
        self.ca = try OpenSSLCertificateAuthority(name: "Scan CA")
        self.scanned = self.directory.file("scanned")
        try FileManager.default.createDirectory(atPath: self.scanned + "/nested", withIntermediateDirectories: true)
        let ca = self.ca
        func copy(_ from: String, _ to: String, mode: Int) throws {
            try FileManager.default.copyItem(atPath: from, toPath: "\(self.scanned)/\(to)")
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: "\(self.scanned)/\(to)")
        }
        // A good certificate with its key (0600), one expiring in ten days with a key others can read.
        try copy(try ca.issue("good", days: 200), "good.pem", mode: 0o644)
        try copy(ca.directory.file("good-key.pem"), "good-key.pem", mode: 0o600)
        try copy(try ca.issue("soon", days: 10), "nested/soon.pem", mode: 0o644)
        try copy(ca.directory.file("soon-key.pem"), "nested/soon-key.pem", mode: 0o644)
        try copy(try ca.issue("old", startDate: "20200101000000Z", endDate: "20210101000000Z"), "old.pem", mode: 0o644)
        // A key whose certificate is nowhere, an encrypted key, a CSR, a truncated certificate.
        try OpenSSLCertificateAuthority.openssl([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(self.scanned)/orphan.key",
        ])
        try OpenSSLCertificateAuthority.openssl([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret",
            "-out", "\(self.scanned)/encrypted.key",
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(self.scanned)/orphan.key")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(self.scanned)/encrypted.key")
        try OpenSSLCertificateAuthority.openssl([
            "req", "-new", "-key", "\(self.scanned)/orphan.key", "-subj", "/CN=requested", "-out",
            "\(self.scanned)/request.csr",
        ])
        let good = try String(contentsOfFile: "\(self.scanned)/good.pem", encoding: .utf8)
        _ = try self.directory.write("scanned/truncated.pem", String(good.prefix(good.count / 2)))
        // pyca/cryptography: a self-signed RSA-1024 leaf, valid five years, in DER. (It no longer signs with SHA-1:
        // OpenSSL makes that one.)
        let script = """
            import datetime, sys
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import rsa
            from cryptography.x509.oid import NameOID
            key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "legacy")])
            now = datetime.datetime.now(datetime.timezone.utc)
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=5 * 365))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
            from cryptography.hazmat.primitives.serialization import Encoding
            open(sys.argv[1], "wb").write(cert.public_bytes(Encoding.DER))
            """
        let python = try Subprocess.run(
            try ExternalTool.python.require(),
            ["-c", script, "\(self.scanned)/legacy.der"]
        )
        guard python.status == 0 else { throw TestServerError("pyca/cryptography failed: \(python.stderr)") }
        try OpenSSLCertificateAuthority.openssl([
            "req", "-x509", "-sha1", "-newkey", "rsa:2048", "-nodes", "-keyout", self.directory.file("sha1-key.pem"),
            "-subj", "/CN=sha1", "-days", "100", "-addext", "basicConstraints=critical,CA:TRUE", "-out",
            "\(self.scanned)/sha1.pem",
        ])
        // Links: one out of the directory, one back up (a loop if followed), one to a file inside.
        let outside = try self.directory.write("outside.pem", good)
        try FileManager.default.createSymbolicLink(
            atPath: "\(self.scanned)/outside-link.pem",
            withDestinationPath: outside
        )
        try FileManager.default.createSymbolicLink(
            atPath: "\(self.scanned)/nested/loop",
            withDestinationPath: self.scanned
        )
        try FileManager.default.createSymbolicLink(
            atPath: "\(self.scanned)/inside-link.pem",
            withDestinationPath: "\(self.scanned)/good.pem"
        )
    }

    static func findings(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func finding(_ all: [[String: Any]], _ name: String) throws -> [String: Any] {
        try #require(all.first { ($0["location"] as? String) == "\(self.scanned)/\(name)" }, "no finding for \(name)")
    }

    @Test func everyFindingInADirectoryIsRight() throws {
        let result = try WardenCommandTests.warden(["scan", "--json", "--owner-label", "team=payments", self.scanned])
        #expect(result.status == 1, "problems were found: \(result.stderr)")
        let all = try Self.findings(result.stdout)

        let good = try self.finding(all, "good.pem")
        #expect(good["kind"] as? String == "certificate")
        #expect((good["problems"] as? [String]) == [])
        #expect((good["labels"] as? [String: String]) == ["team": "payments"])
        // Field by field against `openssl x509`.
        let theirs = try OpenSSLCertificateAuthority.openssl([
            "x509", "-in", "\(self.scanned)/good.pem", "-noout", "-serial", "-subject", "-nameopt", "RFC2253",
            "-enddate", "-dateopt", "iso_8601", "-fingerprint", "-sha256",
        ])
        #expect(theirs.contains("serial=\(good["serial"] as? String ?? "?")"))
        #expect(theirs.contains("subject=\(good["subject"] as? String ?? "?")"))
        #expect(theirs.contains("Fingerprint=\(good["fingerprintSHA256"] as? String ?? "?")"))
        let notAfter = (good["notAfter"] as? String ?? "").replacingOccurrences(of: "T", with: " ")
        #expect(theirs.contains("notAfter=\(notAfter)"), "\(theirs) vs \(notAfter)")

        let goodKey = try self.finding(all, "good-key.pem")
        #expect(goodKey["kind"] as? String == "private-key")
        #expect((goodKey["problems"] as? [String]) == [])
        #expect((goodKey["certificateLocation"] as? String)?.hasSuffix("good.pem") == true)

        #expect((try self.finding(all, "nested/soon.pem")["problems"] as? [String]) == ["expires-soon"])
        #expect((try self.finding(all, "nested/soon-key.pem")["problems"] as? [String]) == ["key-readable-by-others"])
        #expect((try self.finding(all, "old.pem")["problems"] as? [String]) == ["expired"])
        #expect((try self.finding(all, "orphan.key")["problems"] as? [String]) == ["key-without-certificate"])
        let encrypted = try self.finding(all, "encrypted.key")
        #expect(encrypted["kind"] as? String == "private-key")
        #expect(encrypted["encrypted"] as? Bool == true)
        #expect(try self.finding(all, "request.csr")["kind"] as? String == "csr")
        let legacy = Set(try self.finding(all, "legacy.der")["problems"] as? [String] ?? [])
        #expect(legacy == ["weak-key", "self-signed-leaf", "long-lifetime"])
        #expect((try self.finding(all, "sha1.pem")["problems"] as? [String]) == ["sha1-signature"])

        // The truncated file is reported, and the scan went on.
        #expect(all.contains { ($0["location"] as? String)?.hasSuffix("truncated.pem") == true && $0["error"] != nil })
        // The link inside is read; the one out of the directory and the loop are not.
        #expect(all.contains { ($0["location"] as? String)?.hasSuffix("inside-link.pem") == true })
        #expect(!all.contains { ($0["location"] as? String)?.contains("outside") == true })
        #expect(!all.contains { ($0["location"] as? String)?.contains("loop") == true })
        // No key material in the output.
        #expect(!result.stdout.contains("PRIVATE KEY"))
    }

    @Test func aBundleIsScannedWithItsCertificatesAndJSONThatIsNotOneIsNot() throws {
        let bundles = self.directory.file("bundles")
        try FileManager.default.createDirectory(atPath: bundles, withIntermediateDirectories: true)
        // The x5c of a SPIFFE bundle is the certificate's DER in base64: the PEM body, joined.
        let pem = try String(contentsOfFile: "\(self.scanned)/good.pem", encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        _ = try self.directory.write(
            "bundles/bundle.json",
            #"{"keys":[{"use":"x509-svid","kty":"EC","crv":"P-256","x5c":["\#(body)"]},{"use":"jwt-svid","kty":"EC"}],"spiffe_sequence":1}"#
        )
        // Strict JSON: a duplicate member, or bytes after the document, make it not a bundle.
        _ = try self.directory.write("bundles/duplicate.json", #"{"keys":[],"keys":[{"x5c":["\#(body)"]}]}"#)
        _ = try self.directory.write("bundles/trailing.json", #"{"keys":[{"x5c":["\#(body)"]}]} {"#)
        let result = try WardenCommandTests.warden(["scan", "--json", bundles])
        let all = try Self.findings(result.stdout)
        let bundle = try #require(all.first { ($0["location"] as? String) == "\(bundles)/bundle.json" })
        #expect(bundle["kind"] as? String == "bundle")
        #expect(bundle["subject"] as? String == "2 keys")
        let certificate = try #require(
            all.first { ($0["location"] as? String) == "\(bundles)/bundle.json#keys[0].x5c[0]" },
            "\(result.stdout)"
        )
        #expect(certificate["kind"] as? String == "certificate")
        let theirs = try OpenSSLCertificateAuthority.openssl([
            "x509", "-in", "\(self.scanned)/good.pem", "-noout", "-serial",
        ])
        #expect(theirs.contains("serial=\(certificate["serial"] as? String ?? "?")"))
        #expect(!all.contains { ($0["location"] as? String)?.contains("duplicate.json") == true }, "\(result.stdout)")
        #expect(!all.contains { ($0["location"] as? String)?.contains("trailing.json") == true }, "\(result.stdout)")
    }

    @Test func aCleanTargetExitsZeroAndTargetsComeFromStandardInput() throws {
        let clean = try WardenCommandTests.warden(
            ["scan", "-"],
            stdin: Array("\(self.scanned)/good.pem\n\(self.scanned)/good-key.pem\n".utf8)
        )
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        #expect(clean.stdout.contains("KIND"))
        #expect(clean.stdout.contains("CN=good"))

        let soon = "\(self.scanned)/nested/soon.pem"
        #expect(try WardenCommandTests.warden(["scan", "--expires-within", "5d", soon]).status == 0)
        #expect(try WardenCommandTests.warden(["scan", "--expires-within", "15d", soon]).status == 1)
        #expect(try WardenCommandTests.warden(["scan", "--expires-within", "soon", soon]).status == 2)
        #expect(try WardenCommandTests.warden(["scan"]).status == 2)
    }
}
