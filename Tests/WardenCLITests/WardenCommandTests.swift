import Foundation
import SwiftASN1
import Testing
import WardenPKI
import WardenTestServers
import WardenTestSupport
import X509

/// The `warden` executable, run as a user runs it: exit statuses, stdout, stderr and files are the contract.
@Suite struct WardenCommandTests {
    static var executable: String {
        // Tests run from the build products directory, where SwiftPM also puts the `warden` executable.
        let products = Bundle.main.bundleURL
        return products.appendingPathComponent("warden").path
    }

    static func warden(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Subprocess.Result {
        try Subprocess.run(Self.executable, arguments, stdin: stdin)
    }

    static func json(_ result: Subprocess.Result) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    let directory: TemporaryDirectory
    let chain: TestPKI.Chain

    init() throws {
        self.directory = try TemporaryDirectory()
        self.chain = try TestPKI.chain()
        try self.directory.write("root.pem", self.chain.root.pem)
        try self.directory.write("int.pem", self.chain.intermediate.pem)
        try self.directory.write("leaf.pem", self.chain.leaf.pem)
        try self.directory.write("presented.pem", self.chain.leaf.pem + self.chain.intermediate.pem)
        try self.directory.write("leaf.der", self.chain.leaf.der)
    }

    @Test func certInspectPrintsEveryCertificateOfEveryFile() throws {
        let result = try Self.warden(["cert", "inspect", directory.file("presented.pem"), directory.file("leaf.der")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("presented.pem: certificate 1 of 2"))
        #expect(result.stdout.contains("presented.pem: certificate 2 of 2"))
        #expect(result.stdout.contains("leaf.der: certificate 1 of 1"))
        #expect(result.stdout.contains("CN=Warden Test Intermediate,O=Warden Tests"))
        #expect(result.stdout.contains("leaf.example.com"))
    }

    @Test func certInspectJSONIsOneDocumentWithTheFields() throws {
        let result = try Self.warden(["cert", "inspect", "--json", directory.file("presented.pem")])
        #expect(result.status == 0)
        let list = try #require(try Self.json(result) as? [[String: Any]])
        #expect(list.count == 2)
        let leaf = try CertificateInfo(derEncoded: self.chain.leaf.der)
        #expect(list[0]["subject"] as? String == leaf.subject)
        #expect(list[0]["serialNumber"] as? String == leaf.serialNumber)
        #expect(list[0]["sha256Fingerprint"] as? String == leaf.sha256Fingerprint)
        #expect((list[0]["subjectAlternativeNames"] as? [String: Any])?["dns"] as? [String] == ["leaf.example.com"])
        #expect(list[0]["index"] as? Int == 1)
        #expect((list[1]["basicConstraints"] as? [String: Any])?["isCA"] as? Bool == true)
    }

    @Test func certVerifyAcceptsAGoodChainAndSaysWhatItVerified() throws {
        let result = try Self.warden([
            "cert", "verify", "--roots", directory.file("root.pem"), "--at", "2023-11-14T22:13:20Z",
            "--dns", "leaf.example.com", "--json", directory.file("presented.pem"),
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try #require(try Self.json(result) as? [String: Any])
        #expect(report["valid"] as? Bool == true)
        #expect(report["error"] is NSNull)
        #expect((report["chain"] as? [String])?.count == 3)
        #expect(report["dnsName"] as? String == "leaf.example.com")
    }

    @Test func certVerifyRejectsWithTheRuleThatFailed() throws {
        let expired = try Self.warden([
            "cert", "verify", "--roots", directory.file("root.pem"), "--intermediates", directory.file("int.pem"),
            "--at", "2030-01-01T00:00:00Z", "--json", directory.file("leaf.pem"),
        ])
        #expect(expired.status == 1)
        let report = try #require(try Self.json(expired) as? [String: Any])
        #expect(report["valid"] as? Bool == false)
        let error = try #require(report["error"] as? [String: Any])
        #expect(error["code"] as? String == "expired")
        #expect((error["message"] as? String)?.contains("expired") == true)

        let mismatch = try Self.warden([
            "cert", "verify", "--roots", directory.file("root.pem"), "--at", "2023-11-14T22:13:20Z",
            "--dns", "wrong.example.com", directory.file("presented.pem"),
        ])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("hostnameMismatch"))

        let unknown = try Self.warden([
            "cert", "verify", "--roots", directory.file("root.pem"), directory.file("leaf.pem"),
        ])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknownIssuer"))
    }

    @Test func certVerifyChecksIPAndEmailNamesPurposeAndDepth() throws {
        let leaf = try TestPKI.issue(
            subject: "CN=service,O=Warden Tests",
            issuer: self.chain.intermediate,
            extendedKeyUsage: [.clientAuth],
            sans: [.ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 7])), .rfc822Name("ops@example.com")]
        )
        try self.directory.write("service.pem", leaf.pem + self.chain.intermediate.pem)
        func verify(_ extra: [String]) throws -> Subprocess.Result {
            try Self.warden(
                ["cert", "verify", "--roots", directory.file("root.pem"), "--at", "2023-11-14T22:13:20Z", "--json"]
                    + extra + [directory.file("service.pem")]
            )
        }
        func code(_ result: Subprocess.Result) throws -> String? {
            let report = try #require(try Self.json(result) as? [String: Any])
            return (report["error"] as? [String: Any])?["code"] as? String
        }

        let byIP = try verify(["--ip", "192.0.2.7", "--purpose", "client"])
        #expect(byIP.status == 0, "\(byIP.stdout)\(byIP.stderr)")
        let report = try #require(try Self.json(byIP) as? [String: Any])
        #expect(report["ipAddress"] as? String == "192.0.2.7")
        #expect(report["purpose"] as? String == "client")
        #expect(try verify(["--email", "ops@EXAMPLE.com"]).status == 0)

        #expect(try code(verify(["--ip", "192.0.2.8"])) == "hostnameMismatch")
        #expect(try code(verify(["--email", "Ops@example.com"])) == "hostnameMismatch")
        #expect(try code(verify(["--purpose", "server"])) == "extendedKeyUsageMismatch")
        // One intermediate: a depth of 0 refuses the path, 1 allows it.
        #expect(try code(verify(["--max-depth", "0"])) == "pathLengthExceeded")
        #expect(try verify(["--max-depth", "1"]).status == 0)
        // One name at a time.
        #expect(try verify(["--ip", "192.0.2.7", "--dns", "leaf.example.com"]).status == 2)
    }

    @Test func malformedOrMissingInputExitsWithStatus2AndAPlainMessage() throws {
        let garbage = try self.directory.write(
            "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
        )
        let truncated = try self.directory.write("truncated.der", Array(self.chain.leaf.der.prefix(100)))
        for arguments in [
            ["cert", "inspect", garbage],
            ["cert", "inspect", truncated],
            ["cert", "inspect", directory.file("missing.pem")],
            ["cert", "verify", "--roots", garbage, directory.file("leaf.pem")],
            ["csr", "inspect", garbage],
            ["csr", "create", "--key", garbage],
        ] {
            let result = try Self.warden(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("warden: "), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
    }

    @Test func badUsageExitsWithStatus2() throws {
        for arguments in [
            ["cert", "verify", directory.file("leaf.pem")],  // --roots missing
            ["cert", "verify", "--roots", directory.file("root.pem"), "--at", "yesterday", directory.file("leaf.pem")],
            ["key", "generate", "--type", "dsa1024", "--out", directory.file("k.pem")],
            ["cert", "inspect"],
            ["frobnicate"],
        ] {
            let result = try Self.warden(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(try Self.warden(["--help"]).status == 0)
    }

    @Test(arguments: KeyType.allCases.filter { $0 != .rsa4096 })
    func keyGenerateThenCSRCreateThenInspect(type: KeyType) throws {
        let keyPath = directory.file("\(type).key")
        let generated = try Self.warden(["key", "generate", "--type", type.rawValue, "--out", keyPath])
        #expect(generated.status == 0, "\(generated.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try PrivateKey.load(from: keyPath).type == type)
        #expect(try Self.warden(["key", "generate", "--type", type.rawValue, "--out", keyPath]).status == 2)

        let csrPath = directory.file("\(type).csr")
        let created = try Self.warden([
            "csr", "create", "--key", keyPath, "--subject", "CN=svc,O=Example", "--dns", "svc.internal",
            "--ip", "10.0.0.7", "--uri", "spiffe://example.org/svc", "--email", "svc@example.org", "--out", csrPath,
        ])
        #expect(created.status == 0, "\(created.stderr)")

        let inspected = try Self.warden(["csr", "inspect", "--json", csrPath])
        #expect(inspected.status == 0)
        let info = try #require(try Self.json(inspected) as? [String: Any])
        #expect(info["signatureValid"] as? Bool == true)
        #expect(info["subject"] as? String == "CN=svc,O=Example")
        let sans = try #require(info["subjectAlternativeNames"] as? [String: [String]])
        #expect(sans["dns"] == ["svc.internal"])
        #expect(sans["ip"] == ["10.0.0.7"])
        #expect(sans["uri"] == ["spiffe://example.org/svc"])
        #expect(sans["email"] == ["svc@example.org"])
    }

    @Test func csrCreateWritesToStdoutAndInspectFlagsABadSignature() throws {
        let keyPath = directory.file("p256.key")
        try PrivateKey.generate(.p256).write(to: keyPath)
        let created = try Self.warden(["csr", "create", "--key", keyPath, "--uri", "spiffe://example.org/x"])
        #expect(created.status == 0)
        #expect(created.stdout.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))
        var der = try PEM.decode(created.stdoutBytes)[0].derBytes
        der[der.count - 4] ^= 0x01
        let bad = try self.directory.write("bad.csr", PEM.encode(label: "CERTIFICATE REQUEST", derBytes: der))
        let inspected = try Self.warden(["csr", "inspect", bad])
        #expect(inspected.status == 1)
        #expect(inspected.stdout.contains("INVALID"))
        let json = try Self.warden(["csr", "inspect", "--json", bad])
        #expect(json.status == 1)
        #expect((try Self.json(json) as? [String: Any])?["signatureValid"] as? Bool == false)
    }
}
