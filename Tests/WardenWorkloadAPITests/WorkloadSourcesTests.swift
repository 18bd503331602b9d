import Foundation
import Logging
import MetricsTestKit
import Testing
import WardenCore
import WardenCredentials
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import WardenTrust
import WardenWorkloadAPI

/// The Workload API's sources in the rotation engine, against the Python server that stands in for the SPIRE agent.
// Serialized: each test starts a Python gRPC server, and six at once are a burst a 2-core machine feels.
@Suite(
    .serialized,
    .enabled(if: ExternalTool.pythonSPIFFE.shouldRun, "py-spiffe is missing (Scripts/test.sh installs it)")
)
struct WorkloadSourcesTests {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func serial(_ value: CertificateAndKey?) -> String? {
        guard let value else { return nil }
        let hex = value.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        return String(hex.drop { $0 == "0" })
    }

    static func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) async throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }

    /// Runs a client and an X509-SVID provider on it for the body.
    static func withProvider<T: Sendable>(
        _ address: WorkloadAPIAddress,
        initialWait: Duration = .seconds(10),
        _ body: (RotatingCredentialProvider<WorkloadX509SVIDSource>) async throws -> T
    ) async throws -> T {
        let client = try WorkloadAPIClient(address: address, logger: Self.quiet)
        let provider = RotatingCredentialProvider(workloadAPI: client, initialWait: initialWait, logger: Self.quiet)
        let runningClient = Task { try await client.run() }
        let runningProvider = Task { try await provider.run() }
        defer {
            runningProvider.cancel()
            client.shutdown()
            runningClient.cancel()
        }
        return try await body(provider)
    }

    @Test func aRotationPushedByTheAgentReachesCurrentAtOnce() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withProvider(agent.socket) { provider in
            let first = try await provider.current()
            #expect(Self.serial(first) == (try agent.state.serial))
            let updates = provider.updates
            try await agent.command("rotate")
            let pushedAt = Date()
            // The SVID lives an hour: the schedule alone would refresh it in half an hour at the earliest.
            #expect(
                try await Self.eventually(5) { Self.serial(provider.currentIfAvailable()) == (try agent.state.serial) },
                "the rotated SVID did not reach current()"
            )
            let latency = Date().timeIntervalSince(pushedAt)
            #expect(latency < 5, "\(latency) s from the push to current()")
            var events = updates.makeAsyncIterator()
            let event = await events.next()
            #expect(event?.kind == .rotated)
            #expect(provider.status == .fresh)
        }
    }

    @Test func aWithdrawnIdentityIsReportedAndTheLastSVIDServedWhileValid() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withProvider(agent.socket) { provider in
            let first = try await provider.current()
            try await agent.command("withdraw")
            #expect(try await Self.eventually { provider.status.name == "degraded" }, "\(provider.status)")
            if case .degraded(let failure) = provider.status {
                #expect(failure.lastError.contains("permissionDenied"), "\(failure.lastError)")
                #expect(failure.lastError.contains("no identity issued"), "\(failure.lastError)")
            }
            guard case .denied = provider.source.health else {
                Issue.record("the source's health is \(provider.source.health), not denied")
                return
            }
            #expect(Self.serial(try await provider.current()) == Self.serial(first), "the last SVID is still served")

            try await agent.command("restore")
            #expect(try await Self.eventually { provider.status == .fresh }, "\(provider.status)")
        }
    }

    @Test func aDroppedStreamIsReopenedAndTheSVIDServedMeanwhile() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withProvider(agent.socket) { provider in
            let first = try await provider.current()
            try await agent.command("drop")
            #expect(Self.serial(try await provider.current()) == Self.serial(first))
            // The stream is open again: a rotation still arrives.
            try await Task.sleep(for: .milliseconds(300))
            try await agent.command("rotate")
            #expect(
                try await Self.eventually { Self.serial(provider.currentIfAvailable()) == (try agent.state.serial) },
                "no rotation arrived after the stream was dropped"
            )
        }
    }

    /// The stream's metrics count what happened: updates, a reconnect after a drop, the error by its code.
    @Test func theStreamsMetricsCountUpdatesReconnectsAndErrors() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let metrics = TestMetrics()
        let client = try WorkloadAPIClient(address: agent.socket, logger: Self.quiet)
        let source = WorkloadX509SVIDSource(client: client, logger: Self.quiet, metricsFactory: metrics)
        let provider = RotatingCredentialProvider(source: source, logger: Self.quiet)
        let runningClient = Task { try await client.run() }
        defer {
            client.shutdown()
            runningClient.cancel()
        }
        let stream = [("stream", "x509_svid")]
        _ = try await provider.current()
        try await agent.command("drop")
        try await Task.sleep(for: .milliseconds(200))
        try await agent.command("rotate")
        #expect(
            try await Self.eventually {
                (try? metrics.expectCounter("warden_workload_api_updates_total", stream).totalValue) ?? 0 >= 2
            },
            "the first message and the rotation after the reconnect"
        )
        #expect(try metrics.expectCounter("warden_workload_api_reconnects_total", stream).totalValue >= 1)
        #expect(
            try metrics.expectCounter("warden_workload_api_errors_total", stream + [("code", "unavailable")]).totalValue
                >= 1
        )
    }

    /// The agent restarts: its socket goes away and comes back, with a new SVID. The held SVID is served meanwhile,
    /// the status says why, and the source reconnects within its backoff (10 s at most).
    @Test func anAgentRestartIsLivedThrough() async throws {
        let first = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(first) {} }
        try await Self.withProvider(first.socket) { provider in
            let held = try await provider.current()
            first.stop()
            #expect(
                try await Self.eventually { provider.status.name == "degraded" },
                "the provider did not report the agent gone: \(provider.status)"
            )
            #expect(Self.serial(try await provider.current()) == Self.serial(held), "the held SVID is served")
            guard case .stale(let age, let error) = provider.source.health else {
                Issue.record("the source's health is \(provider.source.health), not stale")
                return
            }
            #expect(age >= .zero && age < .seconds(30))
            #expect(error.code == .unavailable, "\(error)")

            let second = try await PythonWorkloadAPI(directory: first.directory)
            defer { withExtendedLifetime(second) {} }
            #expect(
                // The backoff's ceiling is 10 s; a loaded machine may add a few to the reconnect itself.
                try await Self.eventually(25) {
                    Self.serial(provider.currentIfAvailable()) == (try second.state.serial)
                },
                "no SVID from the restarted agent"
            )
            #expect(try await Self.eventually { provider.status == .fresh }, "\(provider.status)")
        }
    }

    @Test func withNoAgentTheFirstFetchFailsWithinTheInitialWait() async throws {
        let directory = try TemporaryDirectory()
        let absent = WorkloadAPIAddress(.unix(path: directory.file("agent.sock")))
        try await Self.withProvider(absent, initialWait: .seconds(1)) { provider in
            let start = Date()
            let error = await #expect(throws: (any Error).self) { try await provider.current() }
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed < 5, "\(elapsed) s")
            #expect("\(String(describing: error))".contains("agent.sock"), "\(String(describing: error))")
        }
    }

    /// The manager fed by the agent's bundles: the local and a federated trust domain, X.509 and JWT, a federated one
    /// that leaves retained and then gone, and the workload's own SVID verified against what the manager holds.
    @Test func theAgentsBundlesFeedTheTrustManager() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let client = try WorkloadAPIClient(address: agent.socket, logger: Self.quiet)
        let runningClient = Task { try await client.run() }
        let manager = TrustBundleManager(retention: .seconds(1), logger: Self.quiet)
        manager.addSource(WorkloadBundleSource(client: client, logger: Self.quiet))
        let runningManager = Task { try await manager.run() }
        defer {
            runningManager.cancel()
            client.shutdown()
            runningClient.cancel()
        }
        let local = try TrustDomain("example.org")
        let remote = try TrustDomain("remote.org")
        #expect(try await Self.eventually { manager.bundles[local] != nil }, "the local bundle")
        #expect(manager.bundles[local]?.x509Authorities.count == 1)
        #expect(manager.bundles[local]?.jwtAuthorities.count == 1)
        // The bundle is applied before the attempt that brought it ends: the status follows a moment later.
        #expect(try await Self.eventually { manager.status(of: local) == .fresh }, "\(manager.status(of: local))")

        // The workload's own SVID verifies against the manager's bundles.
        let context = try await client.fetchX509Context()
        let verifier = manager.makeX509SVIDVerifier()
        #expect(
            try verifier.verify(context.defaultSVID.svid.certificates, authorizer: .memberOf(local)).id
                == context.defaultSVID.id
        )

        try await agent.command("federate")
        #expect(
            try await Self.eventually(5) { manager.bundles[remote]?.x509Authorities.count == 1 },
            "remote.org added"
        )
        try await agent.command("unfederate")
        // Dropped by the agent: retained for the manager's retention (1 s), then gone.
        #expect(
            try await Self.eventually(10) { (manager.bundles[remote]?.x509Authorities.count ?? 0) == 0 },
            "remote.org still trusted after its retention"
        )
        #expect(manager.bundles[local]?.x509Authorities.count == 1, "the local bundle stays")
    }

    @Test func aJWTSVIDSourceGivesATokenForItsAudience() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let client = try WorkloadAPIClient(address: agent.socket, logger: Self.quiet)
        let running = Task { try await client.run() }
        defer {
            client.shutdown()
            running.cancel()
        }
        let provider = RotatingCredentialProvider(
            source: WorkloadJWTSVIDSource(client: client, audience: ["billing"]),
            logger: Self.quiet
        )
        let svid = try await provider.current()
        #expect(svid.id.description == "spiffe://example.org/workload")
        #expect(svid.audience == ["billing"])
        let validated = try await client.validateJWTSVID(svid.token.reveal(), audience: "billing")
        #expect(validated.id == svid.id)
    }
}
