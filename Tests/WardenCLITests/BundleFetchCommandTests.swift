import Foundation
import Testing
import WardenTestServers
import WardenTestSupport

/// `warden bundle fetch`, against the independent Python bundle endpoint (pyca/cryptography certificates), run as a
/// user runs it: the exit status says whether the endpoint or the input was at fault.
@Suite(
    .serialized,
    .enabled(if: ExternalTool.python.shouldRun, "Python with cryptography is missing (Scripts/test.sh installs it)")
)
struct BundleFetchCommandTests {
    let peer: PythonBundleEndpoint

    init() async throws {
        self.peer = try await PythonBundleEndpoint(refreshHintSeconds: 300)
    }

    var web: [String] {
        [
            "bundle", "fetch", "https://localhost:\(self.peer.webPort)/", "--trust-domain", "remote.org",
            "--cacert", self.peer.directory.file("web-ca.pem"),
        ]
    }

    var spiffe: [String] {
        [
            "bundle", "fetch", "https://127.0.0.1:\(self.peer.spiffePort)/", "--trust-domain", "remote.org",
            "--profile", "https_spiffe", "--bootstrap-bundle", self.peer.directory.file("bootstrap.pem"),
        ]
    }

    @Test func fetchesOverBothProfiles() throws {
        let out = self.peer.directory.file("fetched.json")
        let web = try WardenCommandTests.warden(self.web + ["--json", "--out", out])
        #expect(web.status == 0, "\(web.stderr)")
        let document = try #require(try WardenCommandTests.json(web) as? [String: Any])
        #expect(document["spiffe_sequence"] as? Int == 1)
        #expect((document["keys"] as? [Any])?.count == 1)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == web.stdout)

        let spiffe = try WardenCommandTests.warden(
            self.spiffe + ["--endpoint-id", "spiffe://remote.org/bundle-endpoint"]
        )
        #expect(spiffe.status == 0, "\(spiffe.stderr)")
        #expect(spiffe.stdout.contains("(https_spiffe)"))
        #expect(spiffe.stdout.contains("Sequence:            1"), "\(spiffe.stdout)")
        #expect(spiffe.stdout.contains("remote.org CA A"))
    }

    @Test func anEndpointThatFailsExitsOne() throws {
        let impostor = try WardenCommandTests.warden(
            self.spiffe + ["--endpoint-id", "spiffe://remote.org/someone-else"]
        )
        #expect(impostor.status == 1)
        #expect(impostor.stderr.contains("endpointNotVerified"), "\(impostor.stderr)")

        let systemRoots = try WardenCommandTests.warden(Array(self.web.dropLast(2)))
        #expect(systemRoots.status == 1)
        #expect(systemRoots.stderr.contains("endpointNotVerified"), "\(systemRoots.stderr)")

        try self.peer.set(mode: "5xx")
        let unavailable = try WardenCommandTests.warden(self.web)
        #expect(unavailable.status == 1)
        #expect(unavailable.stderr.contains("503"), "\(unavailable.stderr)")

        try self.peer.set(mode: "redirect")
        let redirect = try WardenCommandTests.warden(self.web)
        #expect(redirect.status == 1)
        #expect(redirect.stderr.contains("not followed"), "\(redirect.stderr)")

        try self.peer.set(mode: "overcap")
        let large = try WardenCommandTests.warden(self.web)
        #expect(large.status == 1)
        #expect(large.stderr.contains("responseTooLarge"), "\(large.stderr)")

        let refused = try WardenCommandTests.warden(
            ["bundle", "fetch", "https://127.0.0.1:\(try LoopbackPort.free())/", "--trust-domain", "remote.org"]
        )
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("endpointUnreachable"), "\(refused.stderr)")
    }

    @Test func badUsageAndMalformedBundlesExitTwo() throws {
        try self.peer.set(mode: "garbage")
        let garbage = try WardenCommandTests.warden(self.web)
        #expect(garbage.status == 2)
        #expect(garbage.stderr.contains("malformedBundle"), "\(garbage.stderr)")

        // https_spiffe without the endpoint's SPIFFE ID; an http URL; options of the other profile.
        #expect(try WardenCommandTests.warden(self.spiffe).status == 2)
        #expect(
            try WardenCommandTests.warden(["bundle", "fetch", "http://127.0.0.1:1/", "--trust-domain", "remote.org"])
                .status == 2
        )
        #expect(try WardenCommandTests.warden(self.web + ["--endpoint-id", "spiffe://remote.org/x"]).status == 2)
        #expect(try WardenCommandTests.warden(["bundle", "fetch", "https://127.0.0.1:1/"]).status == 2)
    }
}
