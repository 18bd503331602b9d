import Foundation
import Testing
import WardenTestServers
import WardenTestSupport

/// `warden workload fetch` against the Python server that stands in for the SPIRE agent, run as a user runs it.
@Suite(.enabled(if: ExternalTool.pythonSPIFFE.shouldRun, "py-spiffe is missing (Scripts/test.sh installs it)"))
struct WorkloadCommandTests {
    @Test func fetchesTheSVIDAndWritesItAsSpiffeHelperDoes() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let out = agent.directory.file("out")
        let result = try WardenCommandTests.warden([
            "workload", "fetch", "--socket", "unix://\(agent.socketPath)", "--json", "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try WardenCommandTests.json(result) as? [String: Any])
        let svids = try #require(document["svids"] as? [[String: Any]])
        #expect(svids.first?["spiffeID"] as? String == "spiffe://example.org/workload")
        let serial = (svids.first?["serial"] as? String)?.split(separator: ":").map {
            $0.count == 1 ? "0\($0)" : String($0)
        }
        .joined()
        #expect(serial.map { String($0.drop { $0 == "0" }) } == (try agent.state.serial))
        #expect(document["bundles"] as? [String: Int] == ["example.org": 1])
        // svid.pem, svid_key.pem (0600) and svid_bundle.pem, as spiffe-helper names them.
        let key = try FileManager.default.attributesOfItem(atPath: "\(out)/svid_key.pem")
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: "\(out)/svid.pem", encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(try String(contentsOfFile: "\(out)/svid_key.pem", encoding: .utf8).contains("PRIVATE KEY"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/svid_bundle.pem"))
        // The files make a pair that openssl accepts as a key and certificate of the same public key.
        if let openssl = ExternalTool.openssl.path {
            let certificateKey = try Subprocess.run(openssl, ["x509", "-in", "\(out)/svid.pem", "-noout", "-pubkey"])
            let privateKey = try Subprocess.run(openssl, ["pkey", "-in", "\(out)/svid_key.pem", "-pubout"])
            #expect(certificateKey.status == 0 && certificateKey.stdout == privateKey.stdout)
        }
    }

    @Test func aJWTSVIDTokenIsWrittenNeverPrinted() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let out = agent.directory.file("jwt")
        let result = try WardenCommandTests.warden([
            "workload", "fetch", "--socket", "tcp://127.0.0.1:\(agent.tcpPort)", "--jwt", "--audience", "billing",
            "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("spiffe://example.org/workload"))
        let token = try String(contentsOfFile: "\(out)/jwt_svid.token", encoding: .utf8)
        #expect(token.split(separator: ".").count == 3)
        #expect(!result.stdout.contains(token.trimmingCharacters(in: .whitespacesAndNewlines)))
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(out)/jwt_svid.token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func exitStatusSaysWhoFailed() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let socket = "unix://\(agent.socketPath)"
        try await agent.command("withdraw")
        let denied = try WardenCommandTests.warden(["workload", "fetch", "--socket", socket])
        #expect(denied.status == 1)
        #expect(
            denied.stderr.contains("permissionDenied") && denied.stderr.contains("no identity issued"),
            "\(denied.stderr)"
        )

        let nobody = try WardenCommandTests.warden([
            "workload", "fetch", "--socket", "unix://\(agent.directory.file("absent.sock"))", "--timeout", "2s",
        ])
        #expect(nobody.status == 1)
        #expect(nobody.stderr.contains("absent.sock"), "\(nobody.stderr)")

        for usage in [
            ["workload", "fetch", "--socket", "tcp://localhost:1"],
            ["workload", "fetch", "--socket", socket, "--jwt"],
            ["workload", "fetch", "--socket", socket, "--x509", "--bundles"],
            ["workload", "fetch", "--socket", socket, "--timeout", "soon"],
        ] {
            let result = try WardenCommandTests.warden(usage)
            #expect(result.status == 2, "\(usage): \(result.stderr)")
        }
    }
}
