import Foundation
import Testing
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import X509

/// `warden svid verify`, `warden jwt verify|mint` and `warden bundle inspect`, run as a user runs them.
@Suite struct SPIFFECommandTests {
    static let at = "2023-11-14T22:13:20Z"  // TestPKI.epoch

    let directory: TemporaryDirectory
    let ca: TestPKI.Issued
    let leaf: TestPKI.Issued
    let jwtKey: PrivateKey

    init() throws {
        self.directory = try TemporaryDirectory()
        self.ca = try TestPKI.issue(
            subject: "CN=Example CA",
            isCA: true,
            sans: [.uniformResourceIdentifier("spiffe://example.org")]
        )
        let plainCA = try TestPKI.issue(subject: "CN=Plain CA", isCA: true)
        self.leaf = try TestPKI.issue(
            subject: "",
            issuer: self.ca,
            sans: [.uniformResourceIdentifier("spiffe://example.org/api")],
            sanCritical: true
        )
        let otherLeaf = try TestPKI.issue(
            subject: "",
            issuer: plainCA,
            sans: [.uniformResourceIdentifier("spiffe://example.org/api")],
            sanCritical: true
        )
        self.jwtKey = try PrivateKey.generate(.p256)
        try self.directory.write("ca.pem", self.ca.pem)
        try self.directory.write("plain-ca.pem", plainCA.pem)
        try self.directory.write("leaf.pem", self.leaf.pem)
        try self.directory.write("other-leaf.pem", otherLeaf.pem)
        let bundle = SPIFFEBundle(
            trustDomain: try TrustDomain("example.org"),
            x509Authorities: [self.ca.certificate],
            jwtAuthorities: ["k1": try JWTPublicKey(self.jwtKey)],
            sequenceNumber: 3
        )
        try self.directory.write("bundle.json", bundle.jsonEncoded())
        try self.directory.write("jwks.json", bundle.jwtBundle.jwksEncoded())
        try self.jwtKey.write(to: self.directory.file("jwt.key"))
    }

    func warden(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Subprocess.Result {
        try WardenCommandTests.warden(arguments, stdin: stdin)
    }

    func json(_ result: Subprocess.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func svidVerifyAgainstAPEMBundle() throws {
        let result = try self.warden([
            "svid", "verify", "--bundle", directory.file("ca.pem"), "--trust-domain", "example.org", "--at", Self.at,
            "--json", directory.file("leaf.pem"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try self.json(result)
        #expect(report["valid"] as? Bool == true)
        #expect(report["spiffeID"] as? String == "spiffe://example.org/api")
        #expect(report["error"] is NSNull)
    }

    @Test func svidVerifyAgainstASPIFFEBundleNamesTheTrustDomainFromItsCA() throws {
        let result = try self.warden([
            "svid", "verify", "--bundle", directory.file("bundle.json"), "--at", Self.at, directory.file("leaf.pem"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("OK: spiffe://example.org/api"))
        #expect(!result.stderr.contains("note"))
    }

    @Test func svidVerifyRejectionsExitOne() throws {
        let wrongTD = try self.warden([
            "svid", "verify", "--bundle", directory.file("ca.pem"), "--trust-domain", "other.org", "--at", Self.at,
            "--json", directory.file("leaf.pem"),
        ])
        #expect(wrongTD.status == 1)
        let report = try self.json(wrongTD)
        #expect(report["valid"] as? Bool == false)
        #expect((report["error"] as? [String: Any])?["code"] as? String == "untrustedTrustDomain")
        let unknown = try self.warden([
            "svid", "verify", "--bundle", directory.file("ca.pem"), "--at", Self.at, "--json",
            directory.file("other-leaf.pem"),
        ])
        #expect(unknown.status == 1)
        #expect((try self.json(unknown)["error"] as? [String: Any])?["code"] as? String == "unknownIssuer")
        let expired = try self.warden([
            "svid", "verify", "--bundle", directory.file("ca.pem"), "--at", "2030-01-01T00:00:00Z",
            directory.file("leaf.pem"),
        ])
        #expect(expired.status == 1)
        #expect(expired.stderr.contains("expired"))
    }

    @Test func svidVerifyAuthorize() throws {
        let base = ["svid", "verify", "--bundle", directory.file("ca.pem"), "--at", Self.at, "--json"]
        #expect(
            try self.warden(base + ["--authorize", "spiffe://example.org/api", directory.file("leaf.pem")]).status == 0
        )
        #expect(try self.warden(base + ["--authorize", "example.org", directory.file("leaf.pem")]).status == 0)
        let denied = try self.warden(base + ["--authorize", "spiffe://example.org/db", directory.file("leaf.pem")])
        #expect(denied.status == 1)
        #expect((try self.json(denied)["error"] as? [String: Any])?["code"] as? String == "unauthorized")
        #expect(try self.warden(base + ["--authorize", "Not An ID", directory.file("leaf.pem")]).status == 2)
    }

    @Test func svidVerifyBadInputExitsTwo() throws {
        try self.directory.write("garbage.json", "{ not json")
        #expect(
            try self.warden(["svid", "verify", "--bundle", directory.file("garbage.json"), directory.file("leaf.pem")])
                .status == 2
        )
        #expect(
            try self.warden(["svid", "verify", "--bundle", directory.file("missing.pem"), directory.file("leaf.pem")])
                .status == 2
        )
        #expect(
            try self.warden(["svid", "verify", "--bundle", directory.file("ca.pem"), directory.file("missing.pem")])
                .status == 2
        )
        #expect(try self.warden(["svid", "verify", directory.file("leaf.pem")]).status == 2)
    }

    @Test func jwtMintThenVerifyFromFileAndStdin() throws {
        let minted = try self.warden([
            "jwt", "mint", "--key", directory.file("jwt.key"), "--kid", "k1", "--sub", "spiffe://example.org/api",
            "--audience", "billing", "--ttl", "2m",
        ])
        #expect(minted.status == 0, "\(minted.stderr)")
        let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.split(separator: ".").count == 3)
        try self.directory.write("token.jwt", token + "\n")
        for bundle in ["bundle.json", "jwks.json"] {
            let verified = try self.warden([
                "jwt", "verify", "--bundle", directory.file(bundle), "--audience", "billing", "--json",
                directory.file("token.jwt"),
            ])
            #expect(verified.status == 0, "\(verified.stderr)")
            let report = try self.json(verified)
            #expect(report["valid"] as? Bool == true)
            #expect(report["spiffeID"] as? String == "spiffe://example.org/api")
            let claims = try #require(report["claims"] as? [String: Any])
            #expect(claims["aud"] as? String == "billing")
            let exp = try #require(claims["exp"] as? Int)
            let iat = try #require(claims["iat"] as? Int)
            #expect(exp - iat == 120)
        }
        let stdin = try self.warden(
            [
                "jwt", "verify", "--bundle", directory.file("bundle.json"), "--audience", "other", "--audience",
                "billing", "-",
            ],
            stdin: Array(token.utf8)
        )
        #expect(stdin.status == 0, "\(stdin.stderr)")
        #expect(stdin.stdout.contains("OK: spiffe://example.org/api"))
    }

    @Test func jwtVerifyRejectionsAndUsage() throws {
        let minted = try self.warden([
            "jwt", "mint", "--key", directory.file("jwt.key"), "--kid", "k1", "--sub", "spiffe://example.org/api",
            "--audience", "billing",
        ])
        try self.directory.write("token.jwt", minted.stdout)
        let wrongAudience = try self.warden([
            "jwt", "verify", "--bundle", directory.file("bundle.json"), "--audience", "payroll", "--json",
            directory.file("token.jwt"),
        ])
        #expect(wrongAudience.status == 1)
        let report = try self.json(wrongAudience)
        #expect((report["error"] as? [String: Any])?["code"] as? String == "audienceMismatch")
        #expect(report["claims"] is NSNull)
        let later = try self.warden([
            "jwt", "verify", "--bundle", directory.file("bundle.json"), "--audience", "billing", "--at",
            "2099-01-01T00:00:00Z", directory.file("token.jwt"),
        ])
        #expect(later.status == 1)
        #expect(later.stderr.contains("expired"))
        #expect(
            try self.warden(["jwt", "verify", "--bundle", directory.file("bundle.json"), directory.file("token.jwt")])
                .status == 2
        )
        #expect(
            try self.warden([
                "jwt", "verify", "--bundle", directory.file("bundle.json"), "--audience", "a",
                directory.file("nope.jwt"),
            ]).status == 2
        )
        #expect(
            try self.warden([
                "jwt", "mint", "--key", directory.file("jwt.key"), "--kid", "k1", "--sub", "not-an-id", "--audience",
                "a",
            ]).status == 2
        )
        #expect(
            try self.warden([
                "jwt", "mint", "--key", directory.file("jwt.key"), "--kid", "k1", "--sub", "spiffe://example.org/api",
                "--audience", "a", "--algorithm", "RS256",
            ]).status == 2
        )
    }

    @Test func bundleInspect() throws {
        let text = try self.warden(["bundle", "inspect", directory.file("bundle.json")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("example.org"))
        #expect(text.stdout.contains("k1: EC P-256"))
        #expect(text.stdout.contains("CN=Example CA"))
        let json = try self.json(try self.warden(["bundle", "inspect", "--json", directory.file("bundle.json")]))
        #expect(json["format"] as? String == "spiffe-bundle")
        #expect(json["trustDomain"] as? String == "example.org")
        #expect(json["sequenceNumber"] as? Int == 3)
        #expect((json["x509Authorities"] as? [Any])?.count == 1)
        #expect((json["jwtAuthorities"] as? [[String: Any]])?.first?["kid"] as? String == "k1")
        let pem = try self.json(try self.warden(["bundle", "inspect", "--json", directory.file("plain-ca.pem")]))
        #expect(pem["format"] as? String == "pem")
        #expect(pem["trustDomain"] is NSNull)
        let jwks = try self.json(
            try self.warden([
                "bundle", "inspect", "--json", "--trust-domain", "example.org", directory.file("jwks.json"),
            ])
        )
        #expect(jwks["format"] as? String == "jwks")
        #expect(try self.warden(["bundle", "inspect", directory.file("missing.json")]).status == 2)
    }

    @Test func bundleDiffShowsARollover() throws {
        let next = try TestPKI.issue(
            subject: "CN=Next CA",
            isCA: true,
            sans: [.uniformResourceIdentifier("spiffe://example.org")]
        )
        try self.directory.write("both.pem", self.ca.pem + next.pem)
        try self.directory.write("next.pem", next.pem)
        let text = try self.warden(["bundle", "diff", directory.file("ca.pem"), directory.file("both.pem")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("1 added, 0 removed, 1 unchanged"))
        #expect(text.stdout.contains("+ CN=Next CA"))
        let json = try self.json(
            try self.warden(["bundle", "diff", "--json", directory.file("both.pem"), directory.file("next.pem")])
        )
        let x509 = try #require(json["x509Authorities"] as? [String: Any])
        #expect((x509["removed"] as? [[String: Any]])?.first?["subject"] as? String == "CN=Example CA")
        #expect((x509["added"] as? [Any])?.isEmpty == true)
        #expect(x509["unchanged"] as? Int == 1)
        #expect(
            try self.warden(["bundle", "diff", directory.file("ca.pem"), directory.file("missing.pem")]).status == 2
        )
    }
}
