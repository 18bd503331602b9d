import Foundation
import Testing
import WardenTestServers
import WardenTestSupport

/// `warden scan` of TLS endpoints served on loopback by `openssl s_server` (a chain, a chain missing its
/// intermediate, an expired certificate, a self-signed one, SNI with two names, one that asks for a client
/// certificate), by PostgreSQL (`--starttls postgres`) and by aiosmtpd (`--starttls smtp`). Every leaf is checked field
/// by field against `openssl s_client | openssl x509`.
@Suite(
    .enabled(if: ExternalTool.openssl.shouldRun, "openssl is missing (Scripts/test.sh installs it)")
)
struct ScanEndpointTests {
    let root: OpenSSLCertificateAuthority
    let intermediate: OpenSSLCertificateAuthority
    let directory: TemporaryDirectory

    init() throws {
        self.root = try OpenSSLCertificateAuthority(name: "Endpoint Root")
        self.intermediate = try OpenSSLCertificateAuthority(name: "Endpoint Intermediate", parent: self.root)
        self.directory = try TemporaryDirectory()
    }

    /// `openssl s_server` on a free loopback port, answering until the test ends.
    func server(_ arguments: [String]) async throws -> LoopbackServerProcess {
        let port = try LoopbackPort.free()
        let log = self.directory.file("s_server-\(port).log")
        return try await LoopbackServerProcess(
            executable: try ExternalTool.openssl.require(),
            arguments: ["s_server", "-accept", "127.0.0.1:\(port)", "-www"] + arguments,
            port: port,
            log: log,
            readyWhen: "ACCEPT"
        )
    }

    /// A self-signed end-entity certificate for `name` (a DNS name in its SAN), and its key. (`req -x509` alone would
    /// make it a CA, which is not a self-signed leaf.)
    func selfSigned(_ name: String, days: Int = 365) throws -> (certificate: String, key: String) {
        let certificate = self.directory.file("\(name).pem")
        let key = self.directory.file("\(name)-key.pem")
        try OpenSSLCertificateAuthority.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", certificate, "-days", "\(days)", "-subj", "/CN=\(name)/O=Warden Tests",
            "-addext", "subjectAltName=DNS:\(name)", "-addext", "basicConstraints=critical,CA:FALSE",
        ])
        return (certificate, key)
    }

    /// The findings of `warden scan --json`, and the exit status. The command runs on a Dispatch thread: waiting for
    /// it on one of the concurrency pool's two threads would stall every other test's async work meanwhile.
    static func scan(_ arguments: [String]) async throws -> (status: Int32, findings: [[String: Any]], stderr: String) {
        let result = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try WardenCommandTests.warden(["scan", "--json", "--timeout", "5s"] + arguments) }
                )
            }
        }
        return (result.status, try ScanCommandTests.findings(result.stdout), result.stderr)
    }

    /// Checks the finding against `openssl s_client -connect … | openssl x509`: dates, serial and subject.
    static func expectAgreesWithOpenSSL(
        _ finding: [String: Any],
        port: Int,
        serverName: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let openssl = try ExternalTool.openssl.require()
        let sni = serverName.map { " -servername \($0)" } ?? ""
        let theirs = try Subprocess.run(
            "/bin/sh",
            [
                "-c",
                "\(openssl) s_client -connect 127.0.0.1:\(port)\(sni) </dev/null 2>/dev/null | \(openssl) x509 "
                    + "-noout -startdate -enddate -serial -subject -nameopt RFC2253 -dateopt iso_8601",
            ]
        ).stdout
        func iso(_ key: String) -> String {
            (finding[key] as? String ?? "?").replacingOccurrences(of: "T", with: " ")
        }
        // Whole lines, so that a truncated value cannot pass.
        let lines = Set(theirs.split(separator: "\n").map(String.init))
        for expected in [
            "notBefore=\(iso("notBefore"))", "notAfter=\(iso("notAfter"))",
            "serial=\(finding["serial"] as? String ?? "?")", "subject=\(finding["subject"] as? String ?? "?")",
        ] {
            #expect(lines.contains(expected), "\(expected) not in \(theirs)", sourceLocation: sourceLocation)
        }
    }

    static func problems(_ finding: [String: Any]) -> Set<String> {
        Set(finding["problems"] as? [String] ?? [])
    }

    @Test func aServedChainIsRecordedAndJudged() async throws {
        let leaf = try self.intermediate.issue("localhost", extensions: "loopback_ext", days: 200)
        let key = self.intermediate.directory.file("localhost-key.pem")
        let complete = try await self.server([
            "-cert", leaf, "-key", key, "-cert_chain", self.intermediate.certificatePath,
        ])
        let bare = try await self.server(["-cert", leaf, "-key", key])
        defer { withExtendedLifetime((complete, bare)) {} }
        do {
            // The leaf and the intermediate, leaf first; the root is the --ca given.
            let scanned = try await Self.scan(["--ca", self.root.certificatePath, "localhost:\(complete.port)"])
            #expect(scanned.status == 0, "\(scanned.stderr) \(scanned.findings)")
            #expect(
                scanned.findings.map { $0["location"] as? String } == [
                    "localhost:\(complete.port)#1", "localhost:\(complete.port)#2",
                ]
            )
            let found = try #require(scanned.findings.first)
            #expect(Self.problems(found).isEmpty)
            #expect(found["dnsNames"] as? [String] == ["localhost"])
            #expect(scanned.findings.last?["subject"] as? String == "CN=Endpoint Intermediate")
            try Self.expectAgreesWithOpenSSL(found, port: complete.port)

            // Without the root, the chain ends at an issuer nobody presented or trusts.
            let untrusted = try await Self.scan(["localhost:\(complete.port)"])
            #expect(untrusted.status == 1)
            #expect(Self.problems(try #require(untrusted.findings.first)) == ["chain-incomplete"])

            // A server that forgets its intermediate: incomplete even with the root at hand.
            let missing = try await Self.scan(["--ca", self.root.certificatePath, "https://localhost:\(bare.port)/"])
            #expect(missing.status == 1)
            #expect(missing.findings.count == 1)
            #expect(Self.problems(try #require(missing.findings.first)) == ["chain-incomplete"])

            // Addressed by IP, the leaf's IP SAN matches; under another name it does not.
            let byAddress = try await Self.scan(["--ca", self.root.certificatePath, "127.0.0.1:\(complete.port)"])
            #expect(Self.problems(try #require(byAddress.findings.first)).isEmpty)
            let renamed = try await Self.scan([
                "--ca", self.root.certificatePath, "--servername", "other.test", "127.0.0.1:\(complete.port)",
            ])
            #expect(Self.problems(try #require(renamed.findings.first)) == ["hostname-mismatch"])
        }
    }

    @Test func expiredAndSelfSignedCertificatesAreReported() async throws {
        let expired = try self.root.issue(
            "expired",
            extensions: "loopback_ext",
            startDate: "20240101000000Z",
            endDate: "20250101000000Z"
        )
        let expiredServer = try await self.server([
            "-cert", expired, "-key", self.root.directory.file("expired-key.pem"),
        ])
        let own = try self.selfSigned("localhost", days: 90)
        let selfSignedServer = try await self.server(["-cert", own.certificate, "-key", own.key])
        defer { withExtendedLifetime((expiredServer, selfSignedServer)) {} }
        do {
            let scanned = try await Self.scan([
                "--ca", self.root.certificatePath, "localhost:\(expiredServer.port)",
                "localhost:\(selfSignedServer.port)",
            ])
            #expect(scanned.status == 1)
            #expect(scanned.findings.count == 2)
            let expiredFinding = try #require(scanned.findings.first)
            #expect(Self.problems(expiredFinding) == ["expired"])
            #expect((expiredFinding["secondsLeft"] as? Int ?? 0) < 0)
            try Self.expectAgreesWithOpenSSL(expiredFinding, port: expiredServer.port)
            let selfSignedFinding = try #require(scanned.findings.last)
            #expect(Self.problems(selfSignedFinding) == ["self-signed-leaf"])
            try Self.expectAgreesWithOpenSSL(selfSignedFinding, port: selfSignedServer.port)
        }
    }

    @Test func serverNameIndicationPicksTheCertificate() async throws {
        let first = try self.selfSigned("first.test")
        let second = try self.selfSigned("second.test")
        let server = try await self.server([
            "-cert", first.certificate, "-key", first.key,
            "-servername", "second.test", "-cert2", second.certificate, "-key2", second.key,
        ])
        defer { withExtendedLifetime(server) {} }
        do {
            for name in ["first.test", "second.test"] {
                let scanned = try await Self.scan(["--servername", name, "127.0.0.1:\(server.port)"])
                let found = try #require(scanned.findings.first)
                #expect(found["subject"] as? String == "O=Warden Tests,CN=\(name)")
                #expect(Self.problems(found) == ["self-signed-leaf"])
                try Self.expectAgreesWithOpenSSL(found, port: server.port, serverName: name)
            }
        }
    }

    @Test func aClientCertificateIsPresentedWhenGiven() async throws {
        let leaf = try self.root.issue("localhost", extensions: "loopback_ext", days: 200)
        let client = try self.root.issue("scanner", days: 200)
        // -Verify (capital): the server requires a client certificate and ends the handshake without one.
        let server = try await self.server([
            "-cert", leaf, "-key", self.root.directory.file("localhost-key.pem"), "-Verify", "1", "-CAfile",
            self.root.certificatePath, "-tls1_2",
        ])
        defer { withExtendedLifetime(server) {} }
        do {
            let refused = try await Self.scan(["localhost:\(server.port)"])
            #expect(refused.status == 1)
            #expect(refused.findings.first?["error"] != nil, "\(refused.findings)")
            let scanned = try await Self.scan([
                "--ca", self.root.certificatePath, "--client-cert", client, "--client-key",
                self.root.directory.file("scanner-key.pem"), "localhost:\(server.port)",
            ])
            #expect(scanned.status == 0, "\(scanned.stderr)")
            #expect(scanned.findings.first?["subject"] as? String == "CN=localhost")
            #expect(server.output.contains("CN=scanner") || server.output.contains("CN = scanner"), "\(server.output)")
        }
    }

    @Test(.enabled(if: PostgresCluster.isInstalled || ExternalTool.isCI, "PostgreSQL is missing"))
    func postgresIsScannedThroughItsSSLRequest() async throws {
        let leaf = try self.root.issue("localhost", extensions: "loopback_ext", days: 200)
        let postgres = try PostgresCluster(tlsCertificate: leaf, tlsKey: self.root.directory.file("localhost-key.pem"))
        defer { postgres.stop() }
        let scanned = try await Self.scan([
            "--starttls", "postgres", "--ca", self.root.certificatePath, "localhost:\(postgres.port)",
        ])
        #expect(scanned.status == 0, "\(scanned.stderr) \(scanned.findings)")
        let found = try #require(scanned.findings.first)
        #expect(found["subject"] as? String == "CN=localhost")
        let theirs = try OpenSSLCertificateAuthority.openssl(["x509", "-in", leaf, "-noout", "-serial"])
        #expect(theirs.split(separator: "\n").contains { $0 == "serial=\(found["serial"] as? String ?? "?")" })
        // Without --starttls the server does not speak TLS first: reported, not hung.
        let plain = try await Self.scan(["localhost:\(postgres.port)"])
        #expect(plain.status == 1)
        #expect(plain.findings.first?["error"] != nil)
    }

    @Test(.enabled(if: ExternalTool.pythonSMTP.shouldRun, "aiosmtpd is missing (Scripts/test.sh installs it)"))
    func smtpIsScannedThroughSTARTTLS() async throws {
        let leaf = try self.root.issue("localhost", extensions: "loopback_ext", days: 200)
        let port = try LoopbackPort.free()
        let smtp = try await LoopbackServerProcess(
            executable: try ExternalTool.pythonSMTP.require(),
            arguments: [
                "-u", "-m", "aiosmtpd", "-n", "-d", "-l", "127.0.0.1:\(port)", "--tlscert", leaf, "--tlskey",
                self.root.directory.file("localhost-key.pem"),
            ],
            port: port,
            log: self.directory.file("smtp.log"),
            readyWhen: "listening"
        )
        defer { withExtendedLifetime(smtp) {} }
        do {
            let scanned = try await Self.scan([
                "--starttls", "smtp", "--ca", self.root.certificatePath, "localhost:\(port)",
            ])
            #expect(scanned.status == 0, "\(scanned.stderr) \(scanned.findings)")
            #expect(scanned.findings.first?["subject"] as? String == "CN=localhost")
            // What the server received: the EHLO, then STARTTLS (its own capability list also says STARTTLS).
            #expect(smtp.output.contains(">> b'EHLO warden.invalid'"), "\(smtp.output)")
            #expect(smtp.output.contains(">> b'STARTTLS'"), "\(smtp.output)")
        }
    }

    @Test func unreachableEndpointsAreReportedAndTheScanGoesOn() async throws {
        let own = try self.selfSigned("localhost", days: 90)
        let server = try await self.server(["-cert", own.certificate, "-key", own.key])
        let closed = try LoopbackPort.free()
        defer { withExtendedLifetime(server) {} }
        do {
            let scanned = try await Self.scan([
                "--concurrency", "2", "localhost:\(closed)", "localhost:\(server.port)", "nowhere.invalid:443",
            ])
            #expect(scanned.status == 1)
            let locations = scanned.findings.map { $0["location"] as? String ?? "" }
            #expect(locations.contains("localhost:\(server.port)"))
            #expect(
                scanned.findings.contains { $0["location"] as? String == "localhost:\(closed)" && $0["error"] != nil }
            )
            #expect(
                scanned.findings.contains { $0["location"] as? String == "nowhere.invalid:443" && $0["error"] != nil }
            )
        }
    }

    @Test(.enabled(if: ExternalTool.python.shouldRun, "python is missing"))
    func aPeerThatNeverAnswersIsTimedOut() async throws {
        let port = try LoopbackPort.free()
        let silent = try await LoopbackServerProcess(
            executable: try ExternalTool.python.require(),
            arguments: [
                "-u", "-c",
                "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', \(port)))\ns.listen()\n"
                    + "print('listening')\nconnections = []\nwhile True:\n    connections.append(s.accept())\n",
            ],
            port: port,
            log: self.directory.file("silent.log"),
            readyWhen: "listening"
        )
        defer { withExtendedLifetime(silent) {} }
        let started = ContinuousClock.now
        let result = try await Self.scan(["--timeout", "1s", "localhost:\(port)"])
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 1)
        #expect((result.findings.first?["error"] as? String)?.contains("no TLS handshake within") == true)
        #expect(elapsed < .seconds(4), "the scan took \(elapsed)")
    }

    @Test func aTargetWithUserInformationIsRefusedWithoutEchoingIt() async throws {
        let scanned = try await Self.scan(["https://admin:s3cret-token@localhost:1/"])
        #expect(scanned.status == 1)
        #expect(!scanned.stderr.contains("s3cret") && !"\(scanned.findings)".contains("s3cret"))
        #expect((scanned.findings.first?["error"] as? String)?.contains("user name or password") == true)
    }

    @Test func badUsageIsRefusedWithExitTwo() throws {
        for arguments in [
            ["--concurrency", "0", "localhost:443"],
            ["--client-cert", "client.pem", "localhost:443"],
            ["--starttls", "imap", "localhost:143"],
            ["--serve", "nowhere", "localhost:443"],
            ["--interval", "1m", "localhost:443"],
            ["--timeout", "0s", "localhost:443"],
            ["--owner-label", "bad-name=x", "localhost:443"],
            ["--servername", "10.0.0.1", "localhost:443"],
        ] {
            let result = try WardenCommandTests.warden(["scan"] + arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
        }
    }
}
