import Foundation
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import X509

@_spi(Benchmarks) @testable import WardenTrust

@Suite(
    .serialized,
    .enabled(if: ExternalTool.python.shouldRun, "Python with cryptography is missing (Scripts/test.sh installs it)")
)
struct BundleEndpointSourceTests {
    static let remote = try! TrustDomain("remote.org")
    static let endpointID = try! SPIFFEID("spiffe://remote.org/bundle-endpoint")

    static func url(_ host: String, _ port: Int) -> URL { URL(string: "https://\(host):\(port)/bundle")! }

    static func webSource(
        _ peer: PythonBundleEndpoint,
        host: String = "127.0.0.1",
        roots: String = "web-ca.pem"
    ) throws
        -> SPIFFEBundleEndpointSource
    {
        try SPIFFEBundleEndpointSource(
            url: Self.url(host, peer.webPort),
            trustDomain: Self.remote,
            profile: .httpsWeb(trustRoots: try peer.certificates(roots)),
            timeout: .seconds(3),
            minimumRefreshHint: .seconds(1)
        )
    }

    static func spiffeSource(
        _ peer: PythonBundleEndpoint,
        endpointID: SPIFFEID = Self.endpointID
    ) throws
        -> SPIFFEBundleEndpointSource
    {
        try SPIFFEBundleEndpointSource(
            url: Self.url("127.0.0.1", peer.spiffePort),
            trustDomain: Self.remote,
            profile: .httpsSPIFFE(
                endpointID: endpointID,
                bootstrapBundle: X509Bundle(
                    trustDomain: Self.remote,
                    authorities: try peer.certificates("bootstrap.pem")
                )
            ),
            timeout: .seconds(3),
            minimumRefreshHint: .seconds(1)
        )
    }

    static func code(_ body: () async throws -> Void) async -> TrustError.Code? {
        do {
            try await body()
            return nil
        } catch let error as TrustError {
            return error.code
        } catch {
            Issue.record("not a TrustError: \(error)")
            return nil
        }
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    static func eventually(_ seconds: Double = 15, _ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test
    func fetchesOverBothProfiles() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        let authorityA = try peer.certificates("bootstrap.pem")
        for source in [
            try Self.webSource(peer), try Self.webSource(peer, host: "localhost"), try Self.spiffeSource(peer),
        ] {
            let bundle: SPIFFEBundle
            do {
                bundle = try await source.fetchBundle()
            } catch {
                let requests = (try? String(contentsOfFile: peer.directory.file("requests.log"), encoding: .utf8)) ?? ""
                let report: String =
                    "\(source.url), \(source.profile), at \(Date().timeIntervalSince1970): \(error)\n"
                    + "the peer's errors:\n\(peer.errors)\nthe requests it served:\n\(requests)"
                Issue.record("\(report)")
                continue
            }
            #expect(bundle.x509Authorities == authorityA, "\(source.profile)")
            #expect(bundle.sequenceNumber == 1)
            #expect(bundle.refreshHint == .seconds(2))
        }
    }

    @Test func theWebProfileChecksTheCertificateAndTheHostName() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        // Another CA than the one that issued the endpoint's certificate.
        #expect(
            await Self.code { _ = try await Self.webSource(peer, roots: "bootstrap.pem").fetchBundle() }
                == .endpointNotVerified
        )
        // The system's roots do not know the test's web CA.
        let systemRoots = try SPIFFEBundleEndpointSource(
            url: Self.url("127.0.0.1", peer.webPort),
            trustDomain: Self.remote,
            profile: .httpsWeb()
        )
        #expect(await Self.code { _ = try await systemRoots.fetchBundle() } == .endpointNotVerified)
        // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (which reaches the same socket).
        #expect(
            await Self.code { _ = try await Self.webSource(peer, host: "127.0.0.2").fetchBundle() }
                == .endpointNotVerified
        )
    }

    @Test func theSPIFFEProfileChecksTheEndpointsSPIFFEID() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        let other = try SPIFFEID("spiffe://remote.org/someone-else")
        do {
            _ = try await Self.spiffeSource(peer, endpointID: other).fetchBundle()
            Issue.record("an endpoint with another SPIFFE ID was accepted")
        } catch let error as TrustError {
            #expect(error.code == .endpointNotVerified)
            #expect(error.message.contains("spiffe://remote.org/someone-else"), "\(error)")
        }
        // No bundle to verify with: refused, never trusted on first use.
        let unbootstrapped = try SPIFFEBundleEndpointSource(
            url: Self.url("127.0.0.1", peer.spiffePort),
            trustDomain: Self.remote,
            profile: .httpsSPIFFE(endpointID: Self.endpointID, bootstrapBundle: nil)
        )
        #expect(await Self.code { _ = try await unbootstrapped.fetchBundle() } == .endpointNotVerified)
    }

    @Test func urlsThatAreNotHTTPSAreRefused() {
        #expect(throws: TrustError.self) {
            try SPIFFEBundleEndpointSource(
                url: URL(string: "http://127.0.0.1:1/")!,
                trustDomain: Self.remote,
                profile: .httpsWeb()
            )
        }
    }

    /// Each fault, on both profiles at once: the last good bundle stays trusted, the source reports degraded with the
    /// reason, and it recovers once the endpoint does.
    @Test func eachFaultKeepsTheLastGoodBundleAndRecovers() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        let workload = try peer.certificates("svid-a.pem")
        var policy = RotationPolicy()
        policy.backoff = BackoffPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400))
        let managers = [TrustBundleManager(), TrustBundleManager()]
        managers[0].addSource(try Self.webSource(peer), policy: policy)
        managers[1].addSource(try Self.spiffeSource(peer), policy: policy)
        let verifiers = managers.map { $0.makeX509SVIDVerifier() }
        let running = managers.map { manager in Task { try await manager.run() } }
        defer { for task in running { task.cancel() } }

        func trusted() -> Bool { verifiers.allSatisfy { (try? $0.verify(workload, authorizer: .any)) != nil } }
        func statuses() -> [String] { managers.map { $0.status(of: Self.remote)?.name ?? "none" } }
        func reasons() -> [String] {
            managers.map { manager in
                if case .degraded(let failure) = manager.status(of: Self.remote) { return failure.lastError }
                return ""
            }
        }
        #expect(try await Self.eventually { trusted() })

        let faults: [(mode: String, expected: String, profiles: Range<Int>)] = [
            ("5xx", "unexpectedStatus", 0..<2),
            ("timeout", "timedOut", 0..<2),
            ("garbage", "malformedBundle", 0..<2),
            ("overcap", "responseTooLarge", 0..<2),
            ("overcap-stream", "responseTooLarge", 0..<2),
            ("redirect", "unexpectedStatus", 0..<2),
            ("lower", "sequenceWentBack", 0..<2),
            ("wrong-id", "endpointNotVerified", 1..<2),
        ]
        for fault in faults {
            try peer.set(mode: fault.mode)
            let degraded = try await Self.eventually {
                fault.profiles.allSatisfy { statuses()[$0] == "degraded" }
            }
            #expect(degraded, "\(fault.mode): \(statuses())")
            for index in fault.profiles {
                #expect(reasons()[index].contains(fault.expected), "\(fault.mode): \(reasons()[index])")
            }
            #expect(trusted(), "\(fault.mode): the last good bundle was dropped")
            try peer.set(mode: "ok")
            let recovered = try await Self.eventually { statuses().allSatisfy { $0 == "fresh" || $0 == "refreshing" } }
            #expect(recovered, "\(fault.mode): did not recover: \(statuses())")
        }
        #expect(trusted())
    }

    /// Four polls per refresh hint, as SPIRE: with a 2-second hint, one every half second after the previous fetch
    /// ended. Measured as the median gap between polls, so that a loaded machine's slower fetches do not count.
    @Test func pollsFourTimesPerRefreshHint() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        let manager = TrustBundleManager()
        manager.addSource(try Self.spiffeSource(peer))
        let running = Task { try await manager.run() }
        defer { running.cancel() }
        #expect(try await Self.eventually { manager.bundles[Self.remote] != nil })
        try await Task.sleep(for: .seconds(4))
        let times = try peer.requestTimes("spiffe")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        let median = try #require(gaps.isEmpty ? nil : gaps[gaps.count / 2], "fewer than two polls in 4 s")
        // Half a second, plus a fetch; not the whole hint (2 s), and not the floor's quarter (0.25 s).
        #expect(median >= 0.45 && median < 1.2, "median gap \(median) s over \(times.count) polls")
    }

    /// istio's four stages through the endpoint, on the `https_spiffe` profile, whose endpoint's own SVID moves to the
    /// new CA at stage three: SVIDs of both CAs are accepted while their CA is published or retained, the old CA's are
    /// refused once its retention ends, and each stage's fetch is verified with the bundle fetched before it.
    @Test func aRolloverThroughTheEndpointBreaksNothing() async throws {
        let peer = try await PythonBundleEndpoint(refreshHintSeconds: 2)
        // To the end of the test: released after its last use, the peer would stop, and another test's server could
        // take its port.
        defer { withExtendedLifetime(peer) {} }
        let fromA = try peer.certificates("svid-a.pem")
        let fromB = try peer.certificates("svid-b.pem")
        let manager = TrustBundleManager(retention: .seconds(3))
        var policy = RotationPolicy()
        policy.backoff = BackoffPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400))
        manager.addSource(try Self.spiffeSource(peer), policy: policy)
        let verifier = manager.makeX509SVIDVerifier()
        let running = Task { try await manager.run() }
        defer { running.cancel() }
        func accepts(_ chain: [Certificate]) -> Bool { (try? verifier.verify(chain, authorizer: .any)) != nil }
        func sequence() -> UInt64? { manager.bundles[Self.remote]?.sequenceNumber }

        #expect(try await Self.eventually { accepts(fromA) })
        #expect(!accepts(fromB))
        try peer.set(stage: "ab")
        #expect(try await Self.eventually { accepts(fromB) })
        #expect(accepts(fromA))
        // The endpoint now presents an SVID from B, which only the bundle of stage two lets the source verify.
        try peer.set(stage: "ab-b")
        let before = try peer.requestTimes("spiffe").count
        #expect(try await Self.eventually { try! peer.requestTimes("spiffe").count >= before + 2 })
        #expect(
            manager.status(of: Self.remote)?.name != "degraded",
            "\(String(describing: manager.status(of: Self.remote)))"
        )
        #expect(accepts(fromA) && accepts(fromB))
        try peer.set(stage: "b")
        #expect(try await Self.eventually { sequence() == 3 })
        // A is retained for three seconds after the endpoint dropped it, then refused.
        #expect(accepts(fromA))
        #expect(try await Self.eventually(10) { !accepts(fromA) })
        #expect(accepts(fromB))
    }
}
