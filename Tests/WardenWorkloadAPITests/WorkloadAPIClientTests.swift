import Foundation
import Logging
import Testing
import WardenCore
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import WardenWorkloadAPI

/// The client against a real gRPC server that stands in for the SPIRE agent (`PythonWorkloadAPI`), and against
/// py-spiffe's own client on the same server.
// Serialized: each test starts a Python gRPC server, and six at once are a burst a 2-core machine feels.
@Suite(
    .serialized,
    .enabled(if: ExternalTool.pythonSPIFFE.shouldRun, "py-spiffe is missing (Scripts/test.sh installs it)")
)
struct WorkloadAPIClientTests {
    static let workload = try! SPIFFEID("spiffe://example.org/workload")

    /// Runs a client of `address` for the body.
    static func withClient<T: Sendable>(
        _ address: WorkloadAPIAddress,
        _ body: (WorkloadAPIClient) async throws -> T
    ) async throws -> T {
        let client = try WorkloadAPIClient(
            address: address,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let running = Task { try await client.run() }
        defer {
            client.shutdown()
            running.cancel()
        }
        return try await body(client)
    }

    @Test(arguments: ["unix", "tcp"])
    func theFirstFetchGivesTheSVIDTheAgentIssued(over transport: String) async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        let context = try await Self.withClient(transport == "unix" ? agent.socket : agent.tcp) {
            try await $0.fetchX509Context()
        }
        #expect(context.svids.count == 1)
        #expect(context.defaultSVID.id == Self.workload)
        #expect(context.defaultSVID.hint == "internal")
        #expect(context.defaultSVID.serialHex == (try agent.state.serial))
        #expect(context.defaultSVID.bundle.trustDomain.name == "example.org")
        #expect(context.defaultSVID.bundle.authorities.count == 1)
        #expect(Array(context.bundles.keys.map(\.name)) == ["example.org"])
        // The SVID is ready for the reloader: the key matches the leaf (checked when it was made).
        #expect(context.defaultSVID.certificateAndKey.leaf == context.defaultSVID.svid.leaf)
    }

    /// py-spiffe's client and Warden's see the same SVID and bundles from the same server.
    @Test func pySpiffeSeesWhatWardenSees() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await agent.command("federate")
        let context = try await Self.withClient(agent.socket) { try await $0.fetchX509Context() }
        let script = """
            import sys
            from spiffe import WorkloadApiClient
            client = WorkloadApiClient(sys.argv[1])
            svid = client.fetch_x509_svid()
            print(svid.spiffe_id)
            print(format(svid.leaf.serial_number, "x"))
            bundles = client.fetch_x509_bundles()
            print(",".join(sorted(str(b.trust_domain) for b in bundles.bundles)))
            """
        let result = try Subprocess.run(
            try ExternalTool.pythonSPIFFE.require(),
            ["-c", script, agent.socket.description]
        )
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                context.defaultSVID.id.description, context.defaultSVID.serialHex,
                context.bundles.keys.map(\.name).sorted().joined(separator: ","),
            ]
        )
    }

    @Test func aRotationPushedByTheAgentArrivesOnTheWatch() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withClient(agent.socket) { client in
            var updates = client.watchX509Context().makeAsyncIterator()
            let first = try #require(try await updates.next())
            #expect(first.defaultSVID.serialHex == (try agent.state.serial))
            try await agent.command("rotate")
            let rotated = try #require(try await updates.next())
            #expect(rotated.defaultSVID.serialHex == (try agent.state.serial))
            #expect(rotated.defaultSVID.serialHex != first.defaultSVID.serialHex)
            // A federated bundle added and removed reaches the bundle stream.
            var bundles = client.watchX509Bundles().makeAsyncIterator()
            #expect(try await bundles.next()?.keys.map(\.name).sorted() == ["example.org"])
            try await agent.command("federate")
            #expect(try await bundles.next()?.keys.map(\.name).sorted() == ["example.org", "remote.org"])
            try await agent.command("unfederate")
            #expect(try await bundles.next()?.keys.map(\.name).sorted() == ["example.org"])
        }
    }

    @Test func theAgentsRefusalsAreTypedErrors() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withClient(agent.socket) { client in
            try await agent.command("withdraw")
            let denied = await #expect(throws: WorkloadAPIError.self) { try await client.fetchX509Context() }
            #expect(denied?.code == .permissionDenied)
            #expect(denied?.message.contains("no identity issued") == true, "\(String(describing: denied))")
            try await agent.command("restore")
            _ = try await client.fetchX509Context()

            // A key that does not belong to the certificate, and a message with no SVID.
            try await agent.command("mismatch")
            let mismatch = await #expect(throws: WorkloadAPIError.self) { try await client.fetchX509Context() }
            #expect(mismatch?.code == .malformedResponse)
            #expect(mismatch?.message.contains("privateKeyMismatch") == true, "\(String(describing: mismatch))")
            try await agent.command("empty")
            let empty = await #expect(throws: WorkloadAPIError.self) { try await client.fetchX509Context() }
            #expect(empty?.code == .malformedResponse)
            #expect(empty?.message.contains("no X509-SVID") == true, "\(String(describing: empty))")
            try await agent.command("restore")
            _ = try await client.fetchX509Context()
        }
        // Nobody listening: unavailable, naming the socket.
        let gone = WorkloadAPIAddress(.unix(path: agent.directory.file("absent.sock")))
        try await Self.withClient(gone) { client in
            let error = await #expect(throws: WorkloadAPIError.self) {
                try await client.fetchX509Context(timeout: .seconds(2))
            }
            #expect(error?.code == .unavailable || error?.code == .timeout, "\(String(describing: error))")
            #expect(error?.message.contains("absent.sock") == true, "\(String(describing: error))")
        }
    }

    /// What the agent may send is bounded: a message over the size limit, and more bundles than allowed, are refused
    /// with `responseTooLarge` before any certificate is parsed.
    @Test func theLimitsAreEnforced() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        var small = WorkloadAPILimits()
        small.maximumMessageSize = 64
        let tooBig = try WorkloadAPIClient(
            address: agent.socket,
            limits: small,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let running = Task { try await tooBig.run() }
        defer {
            tooBig.shutdown()
            running.cancel()
        }
        let size = await #expect(throws: WorkloadAPIError.self) { try await tooBig.fetchX509Context() }
        #expect(size?.code == .responseTooLarge, "\(String(describing: size))")

        var few = WorkloadAPILimits()
        few.maximumBundles = 1
        try await agent.command("federate")
        let client = try WorkloadAPIClient(
            address: agent.socket,
            limits: few,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let runningClient = Task { try await client.run() }
        defer {
            client.shutdown()
            runningClient.cancel()
        }
        let count = await #expect(throws: WorkloadAPIError.self) { try await client.fetchX509Bundles() }
        #expect(count?.code == .responseTooLarge, "\(String(describing: count))")
        #expect(count?.message.contains("2 bundles") == true, "\(String(describing: count))")
    }

    @Test func aStreamTheAgentDropsEndsWithATypedError() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withClient(agent.socket) { client in
            var updates = client.watchX509Context().makeAsyncIterator()
            _ = try await updates.next()
            try await agent.command("drop")
            do {
                _ = try await updates.next()
                Issue.record("the stream went on after the agent dropped it")
            } catch let error as WorkloadAPIError {
                #expect(error.code == .unavailable, "\(error)")
            }
            // The next call works.
            _ = try await client.fetchX509Context()
        }
    }

    @Test func aJWTSVIDIsFetchedAndValidatedLocallyAndByTheAgent() async throws {
        let agent = try await PythonWorkloadAPI()
        defer { withExtendedLifetime(agent) {} }
        try await Self.withClient(agent.socket) { client in
            let jwt = try await client.fetchJWTSVID(audience: ["billing"])
            #expect(jwt.id == Self.workload)
            #expect(jwt.audience == ["billing"])
            #expect(jwt.expiry > Date())
            #expect(!"\(jwt)".contains(jwt.token.reveal()), "the description never shows the token")

            let bundles = try await client.fetchJWTBundles()
            let local = try JWTSVIDVerifier(
                bundles: SPIFFEBundleSet(
                    bundles.values.map { SPIFFEBundle(trustDomain: $0.trustDomain, jwtAuthorities: $0.authorities) }
                ),
                audiences: ["billing"]
            )
            #expect(try local.verify(jwt.token.reveal(), authorizer: .id(Self.workload)).id == Self.workload)

            let validated = try await client.validateJWTSVID(jwt.token.reveal(), audience: "billing")
            #expect(validated.id == Self.workload)
            #expect(validated.claims["sub"]?.stringValue == Self.workload.description)
            let refused = await #expect(throws: WorkloadAPIError.self) {
                try await client.validateJWTSVID(jwt.token.reveal(), audience: "another")
            }
            #expect(refused?.code == .invalidRequest)
            await #expect(throws: WorkloadAPIError(.invalidRequest, "")) {
                try await client.fetchJWTSVID(audience: [])
            }
        }
    }
}
