import ArgumentParser
import Foundation
import Logging
import WardenCore
import WardenPKI
import WardenSPIFFE
import WardenWorkloadAPI
import X509

/// `warden workload`: what the SPIFFE Workload API gives this workload.
struct WorkloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Fetch or watch what the SPIFFE Workload API gives this workload.",
        subcommands: [WorkloadFetch.self, WorkloadWatch.self]
    )
}

/// The options both subcommands take.
struct WorkloadAPIOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The Workload API's address, unix:///path or tcp://IP:port (default: $SPIFFE_ENDPOINT_SOCKET).",
            valueName: "address"
        )
    )
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "How long to wait for the agent's answer: 10s, 500ms, 2m (default 10s).",
            valueName: "duration"
        )
    )
    var timeout: DurationArgument = DurationArgument(.seconds(10))

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func client() throws -> WorkloadAPIClient {
        let address: WorkloadAPIAddress
        do {
            if let socket = self.socket {
                address = try WorkloadAPIAddress(socket)
            } else if let fromEnvironment = try WorkloadAPIAddress.fromEnvironment() {
                address = fromEnvironment
            } else {
                throw ValidationError("no Workload API address: give --socket or set SPIFFE_ENDPOINT_SOCKET")
            }
        } catch let error as WorkloadAPIError {
            throw ValidationError(error.message)
        }
        do {
            return try WorkloadAPIClient(
                address: address,
                logger: Logger(label: "warden") { _ in SwiftLogNoOpLogHandler() }
            )
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Runs `body` with a connected client; a Workload API failure is reported and exits 1.
    func withClient<T: Sendable>(_ body: (WorkloadAPIClient) async throws(WorkloadAPIError) -> T) async throws -> T {
        let client = try self.client()
        let running = Task { try await client.run() }
        defer {
            client.shutdown()
            running.cancel()
        }
        do {
            return try await body(client)
        } catch {
            Output.error("warden: \(error.code): \(error.message)")
            throw ExitCode(ExitStatus.rejected)
        }
    }
}

/// `90`, `90s`, `1500ms`, `2m`: a duration on the command line.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        guard let duration = Duration.parsing(argument), duration > .zero, duration <= .seconds(86_400) else {
            return nil
        }
        self.duration = duration
    }
}

/// `warden workload fetch`: one answer from the agent.
struct WorkloadFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch this workload's X509-SVIDs, a JWT-SVID or the bundles from the SPIFFE Workload API.",
        discussion: """
            --x509 (the default) fetches the X509-SVIDs and the X.509 bundles; --jwt fetches a JWT-SVID for \
            --audience; --bundles fetches the X.509 and JWT bundles. With --out DIR the result is written as \
            spiffe-helper writes it: svid.pem, svid_key.pem (mode 0600) and svid_bundle.pem (the SVID's own trust \
            domain) for --x509; jwt_svid.token (mode 0600) for --jwt; bundle.<trust domain>.pem for each trust \
            domain, kept apart, and jwt_bundle.json for --bundles. Files are \
            written atomically. A private key or a token is never printed, only written to --out.

            Exit status: 0 fetched; 1 the agent refused or gave nothing in time (the message names the gRPC \
            status); 2 bad usage.
            """
    )

    @OptionGroup var options: WorkloadAPIOptions

    @Flag(help: "Fetch the X509-SVIDs (the default).")
    var x509 = false

    @Flag(help: "Fetch a JWT-SVID for --audience.")
    var jwt = false

    @Flag(help: "Fetch the X.509 and JWT bundles.")
    var bundles = false

    @Option(help: ArgumentHelp("The JWT-SVID's audience (repeatable).", valueName: "aud"))
    var audience: [String] = []

    @Option(
        help: ArgumentHelp(
            "With --jwt, the SPIFFE ID to ask for (default: the agent's default).",
            valueName: "spiffe-id"
        )
    )
    var spiffeID: String?

    @Option(help: ArgumentHelp("Write the result into this directory, as spiffe-helper does.", valueName: "dir"))
    var out: String?

    func validate() throws {
        guard [self.x509, self.jwt, self.bundles].filter({ $0 }).count <= 1 else {
            throw ValidationError("give one of --x509, --jwt and --bundles")
        }
        if self.jwt, self.audience.isEmpty { throw ValidationError("--jwt needs --audience") }
        if !self.jwt, !self.audience.isEmpty || self.spiffeID != nil {
            throw ValidationError("--audience and --spiffe-id belong to --jwt")
        }
    }

    func run() async throws {
        let timeout = self.options.timeout.duration
        if self.jwt {
            let id: SPIFFEID?
            do {
                id = try self.spiffeID.map { try SPIFFEID($0) }
            } catch let error as SPIFFEError {
                throw ValidationError("--spiffe-id: \(error.message)")
            }
            let svid = try await self.options.withClient { client throws(WorkloadAPIError) in
                try await client.fetchJWTSVID(audience: self.audience, id: id, timeout: timeout)
            }
            try self.write(["jwt_svid.token": (svid.token.reveal() + "\n", 0o600)])
            if self.options.json {
                try Output.json(JWTSVIDReport(svid))
            } else {
                TextReport.field("SPIFFE ID", svid.id.description)
                TextReport.field("Audience", svid.audience.joined(separator: ", "))
                TextReport.field("Expires", svid.expiry.rfc3339)
                if !svid.hint.isEmpty { TextReport.field("Hint", svid.hint) }
                TextReport.field(
                    "Token",
                    self.out.map { "written to \($0)/jwt_svid.token" } ?? "(not printed; use --out)"
                )
            }
        } else if self.bundles {
            let (x509, jwt) = try await self.options.withClient { client throws(WorkloadAPIError) in
                (
                    try await client.fetchX509Bundles(timeout: timeout),
                    try await client.fetchJWTBundles(timeout: timeout)
                )
            }
            // One file per trust domain: a CA file that mixed them would let a federated CA vouch for local IDs.
            var files: [String: (String, Int)] = ["jwt_bundle.json": (Self.jwtBundlesJSON(jwt), 0o644)]
            for bundle in x509.values {
                files["bundle.\(bundle.trustDomain.name).pem"] = (Self.pem(bundle.authorities), 0o644)
            }
            try self.write(files)
            if self.options.json {
                try Output.json(BundlesReport(x509: x509, jwt: jwt))
            } else {
                for bundle in x509.values.sorted(by: { $0.trustDomain < $1.trustDomain }) {
                    TextReport.field("X.509 bundle", "\(bundle.trustDomain): \(bundle.authorities.count) authorities")
                }
                for bundle in jwt.values.sorted(by: { $0.trustDomain < $1.trustDomain }) {
                    TextReport.field("JWT bundle", "\(bundle.trustDomain): \(bundle.authorities.count) keys")
                }
            }
        } else {
            let context = try await self.options.withClient { client throws(WorkloadAPIError) in
                try await client.fetchX509Context(timeout: timeout)
            }
            let svid = context.defaultSVID
            try self.write([
                "svid.pem": (Self.pem(svid.svid.certificates), 0o644),
                "svid_key.pem": (svid.svid.privateKey.pkcs8PEMRepresentation.reveal(), 0o600),
                "svid_bundle.pem": (Self.pem(svid.bundle.authorities), 0o644),
            ])
            if self.options.json {
                try Output.json(X509ContextReport(context))
            } else {
                WorkloadWatch.printText(context)
            }
        }
        if let out = self.out, !self.options.json { TextReport.field("Written to", out) }
    }

    /// Writes each file into --out, atomically, with its mode.
    private func write(_ files: [String: (String, Int)]) throws {
        guard let out = self.out else { return }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for (name, (contents, mode)) in files.sorted(by: { $0.key < $1.key }) {
                try AtomicFile.write(Array(contents.utf8), to: "\(out)/\(name)", permissions: UInt16(mode))
            }
        } catch {
            Output.error("warden: \(out): \(error)")
            throw ExitCode(ExitStatus.badInput)
        }
    }

    static func pem(_ certificates: [Certificate]) -> String {
        certificates.map { PEM.encode(label: "CERTIFICATE", derBytes: CertificateDecoder.derBytes(of: $0)) }.joined()
    }

    static func jwtBundlesJSON(_ bundles: [TrustDomain: JWTBundle]) -> String {
        let members = bundles.keys.sorted().map { "\"\($0.name)\": \(bundles[$0]!.jwksEncoded())" }
        return "{" + members.joined(separator: ", ") + "}\n"
    }
}

/// `warden workload watch`: every answer of the X.509 stream, as it comes.
struct WorkloadWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch this workload's X509-SVIDs and bundles from the SPIFFE Workload API, one update at a time.",
        discussion: """
            Prints each answer of the agent's X.509 stream as it arrives (with --json, one JSON object per line) until \
            interrupted. --timeout bounds the wait for the first answer only.

            Exit status: 1 when the stream fails or the agent gives nothing in time (the message names the gRPC \
            status); 2 bad usage.
            """
    )

    @OptionGroup var options: WorkloadAPIOptions

    func run() async throws {
        let timeout = self.options.timeout.duration
        let json = self.options.json
        try await self.options.withClient { client throws(WorkloadAPIError) in
            // The first answer within --timeout, then the stream for as long as it lasts.
            let first = try await client.fetchX509Context(timeout: timeout)
            Self.print(first, json: json)
            do {
                var seenFirst = false
                for try await context in client.watchX509Context() {
                    // The stream starts with the current answer, already printed unless it changed meanwhile.
                    if !seenFirst, context.defaultSVID.svid.leaf == first.defaultSVID.svid.leaf {
                        seenFirst = true
                        continue
                    }
                    seenFirst = true
                    Self.print(context, json: json)
                }
                throw WorkloadAPIError(.unavailable, "the agent ended the X.509 stream")
            } catch let error as WorkloadAPIError {
                throw error
            } catch {
                throw WorkloadAPIError(.unavailable, "\(error)")
            }
        }
    }

    static func print(_ context: X509Context, json: Bool) {
        if json {
            try? Output.json(X509ContextReport(context))
        } else {
            Self.printText(context)
            Output.line()
        }
    }

    static func printText(_ context: X509Context) {
        for svid in context.svids {
            TextReport.field("SPIFFE ID", svid.id.description)
            TextReport.field("Serial", "\(svid.svid.leaf.serialNumber)")
            TextReport.field("Not after", svid.svid.leaf.notValidAfter.rfc3339)
            if !svid.hint.isEmpty { TextReport.field("Hint", svid.hint) }
        }
        for bundle in context.bundles.values.sorted(by: { $0.trustDomain < $1.trustDomain }) {
            TextReport.field("Bundle", "\(bundle.trustDomain): \(bundle.authorities.count) authorities")
        }
    }
}

private struct X509ContextReport: Encodable {
    struct SVID: Encodable {
        let spiffeID: String
        let serial: String
        let notAfter: String
        let hint: String
    }

    let svids: [SVID]
    let bundles: [String: Int]

    init(_ context: X509Context) {
        self.svids = context.svids.map {
            SVID(
                spiffeID: $0.id.description,
                serial: "\($0.svid.leaf.serialNumber)",
                notAfter: $0.svid.leaf.notValidAfter.rfc3339,
                hint: $0.hint
            )
        }
        self.bundles = Dictionary(
            uniqueKeysWithValues: context.bundles.map { ($0.key.name, $0.value.authorities.count) }
        )
    }
}

private struct JWTSVIDReport: Encodable {
    let spiffeID: String
    let audience: [String]
    let expiry: String
    let hint: String

    init(_ svid: WorkloadJWTSVID) {
        self.spiffeID = svid.id.description
        self.audience = svid.audience
        self.expiry = svid.expiry.rfc3339
        self.hint = svid.hint
    }
}

private struct BundlesReport: Encodable {
    let x509: [String: Int]
    let jwt: [String: Int]

    init(x509: [TrustDomain: X509Bundle], jwt: [TrustDomain: JWTBundle]) {
        self.x509 = Dictionary(uniqueKeysWithValues: x509.map { ($0.key.name, $0.value.authorities.count) })
        self.jwt = Dictionary(uniqueKeysWithValues: jwt.map { ($0.key.name, $0.value.authorities.count) })
    }
}
