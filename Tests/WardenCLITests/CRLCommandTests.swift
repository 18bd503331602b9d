import Foundation
import Testing
import WardenPKI
import WardenTestServers
import WardenTestSupport

/// `warden crl inspect` and `warden cert verify --crl/--ocsp/--revocation`, run as a user runs them, on CRLs made by
/// `openssl ca`.
@Suite(.enabled(if: ExternalTool.openssl.shouldRun, "openssl is not installed (Scripts/test.sh installs it)"))
struct CRLCommandTests {
    let ca: OpenSSLCertificateAuthority
    let good: String
    let revoked: String
    let crl: String

    init() throws {
        self.ca = try OpenSSLCertificateAuthority(name: "CLI CA")
        self.good = try self.ca.issue("good")
        self.revoked = try self.ca.issue("revoked")
        try self.ca.revoke(self.revoked, reason: "keyCompromise")
        self.crl = try self.ca.generateCRL("crl.pem")
    }

    func warden(_ arguments: [String]) throws -> Subprocess.Result { try WardenCommandTests.warden(arguments) }

    @Test func crlInspectReportsWhatOpenSSLDoes() throws {
        let result = try self.warden(["crl", "inspect", "--json", "--issuer", self.ca.certificatePath, self.crl])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try WardenCommandTests.json(result) as? [String: Any])
        #expect(report["issuer"] as? String == "CN=CLI CA")
        #expect(report["crlNumber"] as? String == "1")
        #expect(report["signatureValid"] as? Bool == true)
        #expect(report["entryCount"] as? Int == 1)
        let entries = try #require(report["entries"] as? [[String: Any]])
        let serial = try OpenSSLCertificateAuthority.openssl(["x509", "-in", self.revoked, "-noout", "-serial"])
        #expect(
            "serial=\(entries.first?["serialNumber"] as? String ?? "")"
                == serial.trimmingCharacters(in: .whitespacesAndNewlines)
        )
        #expect(entries.first?["reason"] as? String == "keyCompromise")

        let text = try self.warden(["crl", "inspect", self.crl])
        #expect(text.status == 0)
        #expect(text.stdout.contains("keyCompromise"))
    }

    @Test func crlInspectExitsOneOnAWrongIssuerAndTwoOnAMalformedList() throws {
        let other = try OpenSSLCertificateAuthority(name: "Other CA")
        let wrong = try self.warden(["crl", "inspect", "--issuer", other.certificatePath, self.crl])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("crlIssuerMismatch"))
        let truncated = try self.ca.directory.write("truncated.crl", Array(try PKIFile.read(self.crl).prefix(200)))
        let malformed = try self.warden(["crl", "inspect", truncated])
        #expect(malformed.status == 2, "\(malformed.stderr)")
    }

    @Test func certVerifyRejectsARevokedLeafWithItsReason() throws {
        let accepted = try self.warden([
            "cert", "verify", "--roots", self.ca.certificatePath, "--crl", self.crl, self.good,
        ])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("not revoked"))

        let rejected = try self.warden([
            "cert", "verify", "--json", "--roots", self.ca.certificatePath, "--crl", self.crl, self.revoked,
        ])
        #expect(rejected.status == 1)
        let report = try #require(try WardenCommandTests.json(rejected) as? [String: Any])
        let error = try #require(report["error"] as? [String: Any])
        #expect(error["code"] as? String == "certificateRevoked")
        let revocation = try #require(error["revocation"] as? [String: Any])
        #expect(revocation["reason"] as? String == "keyCompromise")
        #expect((revocation["source"] as? String)?.contains(self.crl) == true)
    }

    @Test func withoutAStatusHardFailsByDefaultAndSoftSaysSo() throws {
        // The leaf names no OCSP responder: no status.
        let hard = try self.warden(["cert", "verify", "--roots", self.ca.certificatePath, "--ocsp", self.good])
        #expect(hard.status == 1)
        #expect(hard.stderr.contains("revocationStatusUnknown"))
        let soft = try self.warden([
            "cert", "verify", "--json", "--roots", self.ca.certificatePath, "--ocsp", "--revocation", "soft", self.good,
        ])
        #expect(soft.status == 0, "\(soft.stderr)")
        let report = try #require(try WardenCommandTests.json(soft) as? [String: Any])
        let statuses = try #require(report["revocation"] as? [[String: Any]])
        #expect(statuses.first?["status"] as? String == "unknown")
        #expect(soft.stderr.contains("soft-fail"))

        let usage = try self.warden([
            "cert", "verify", "--roots", self.ca.certificatePath, "--revocation", "soft", self.good,
        ])
        #expect(usage.status == 2)
    }
}
