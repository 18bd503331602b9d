import ExampleEventLog
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization
import Warden
import WardenTestServers

/// A gRPC server and client on loopback, each with an X509-SVID that OpenBao's PKI engine issues through Warden
/// (`VaultPKICertificateSource`, the key made in this process) and that rotates every few seconds, and each trusting
/// the other through a `TrustBundleManager` fed by the PKI engine's CA chain.
///
/// Every handshake prints the peer's SPIFFE ID and certificate serial, on both sides, so a reader sees each new
/// certificate presented from the next handshake on, while one connection opened with the first certificates keeps
/// serving requests throughout. It ends by itself after `--rotations N` rotations of each certificate (3 by default)
/// and exits 0 only if no request failed.
///
/// With no `VAULT_ADDR` it starts its own OpenBao and removes it at the end; with one, it needs a token
/// (`VAULT_TOKEN`) that may mount and configure a PKI engine at `--mount` (`warden-mtls-rotation` by default).
/// `--json` prints one JSON object per line:
/// `{"t": seconds, "event": "handshake"|"rotation"|"request", "peerID": "...", "serial": "...", "ok": true|false,
/// "error": "..."}`.
@main
enum MTLSRotation {
    static let trustDomain = try! TrustDomain("example.org")
    static let serverID = try! SPIFFEID("spiffe://example.org/greeter")
    static let clientID = try! SPIFFEID("spiffe://example.org/caller")

    static func main() async {
        // A reader that goes away (`| head`) must not kill the demo before it removes its server.
        signal(SIGPIPE, SIG_IGN)
        let options: Options
        do {
            options = try Options(CommandLine.arguments.dropFirst())
        } catch {
            FileHandle.standardError.write(Data("MTLSRotation: \(error)\n\(Options.usage)\n".utf8))
            exit(2)
        }
        let log = EventLog(json: options.json)
        var local: OpenBaoServer? = nil
        let vault: VaultClient
        do {
            if ProcessInfo.processInfo.environment["VAULT_ADDR"] != nil {
                vault = try VaultClient(configuration: try .fromEnvironment())
            } else {
                let server = try OpenBaoServer()
                local = server
                log.note("starting OpenBao on \(server.address)")
                try await server.start()
                vault = try server.client()
            }
        } catch {
            log.note("MTLSRotation: cannot reach Vault: \(error)")
            Self.remove(local)
            exit(1)
        }
        let signals = Self.shutDownOnSignals(local)
        defer { withExtendedLifetime(signals) {} }
        do {
            try await Self.run(vault, options, log)
        } catch {
            log.note("MTLSRotation: \(error)")
            try? await vault.shutdown()
            Self.remove(local)
            exit(1)
        }
        try? await vault.shutdown()
        Self.remove(local)
        let failed = log.failedRequests
        log.note("\(log.requests) requests, \(failed) failed")
        exit(failed == 0 && log.requests > 0 ? 0 : 1)
    }

    static func run(_ vault: VaultClient, _ options: Options, _ log: EventLog) async throws {
        try await Self.setUpPKI(vault, mount: options.mount)
        var logger = Logger(label: "mtls-rotation") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .notice

        let trust = TrustBundleManager(retention: .seconds(3600), logger: logger)
        trust.addSource(
            VaultPKICAChainSource(client: vault, mount: options.mount, rereadInterval: .seconds(30)),
            trustDomain: Self.trustDomain
        )
        func svid(_ id: SPIFFEID, _ name: String) -> RotatingCredentialProvider<VaultPKICertificateSource> {
            RotatingCredentialProvider(
                source: VaultPKICertificateSource(
                    client: vault,
                    mount: options.mount,
                    role: "svid",
                    commonName: "\(name).example.org",
                    uris: [id.description],
                    ttl: options.ttl
                ),
                logger: logger
            )
        }
        let serverSVID = svid(Self.serverID, "greeter")
        let clientSVID = svid(Self.clientID, "caller")
        let rotations = RotationCount()

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (id, provider) in [(Self.serverID, serverSVID), (Self.clientID, clientSVID)] {
                let updates = provider.updates
                group.addTask {
                    for await event in updates where event.kind == .rotated {
                        guard let leaf = event.new?.value.leaf else { continue }
                        rotations.add(id)
                        log.emit("rotation", peerID: id.description, serial: EventLog.serial(of: leaf))
                    }
                }
                group.addTask { try await provider.run() }
            }
            group.addTask { try await trust.run() }
            for provider in [serverSVID, clientSVID] {
                let first = try await provider.current().leaf
                log.note("\(try X509SVID.validateLeaf(first)) starts with serial \(EventLog.serial(of: first))")
            }
            for _ in 0..<200 where trust.bundles[Self.trustDomain] == nil {
                try await Task.sleep(for: .milliseconds(50))
            }

            // The server: its certificate from the rotating provider at every handshake, clients verified by the
            // SPIFFE rules against the manager's current bundle, only the caller's SPIFFE ID allowed.
            let clients = SPIFFEPeerVerifier(manager: trust, authorizer: .id(Self.clientID), logger: logger)
            let serverTransport = HTTP2ServerTransport.Posix(
                address: .ipv4(host: "127.0.0.1", port: 0),
                transportSecurity: try .mTLS(
                    certificateReloader: RotatingCertificateReloader(provider: serverSVID, logger: logger)
                ) { tls in
                    tls.clientCertificateVerification = .noHostnameVerification
                    tls.customVerificationCallback = clients.callback(observing: log.handshake)
                }
            )
            let server = GRPCServer(transport: serverTransport, services: [GreeterService()])
            group.addTask { try await server.serve() }
            guard let port = try await serverTransport.listeningAddress.ipv4?.port else {
                throw RPCError(code: .unavailable, message: "the server did not bind a port")
            }
            log.note("the greeter listens on 127.0.0.1:\(port)")

            // The client: its certificate from its own provider, the server verified the same way (by SPIFFE ID,
            // not host name).
            let servers = SPIFFEPeerVerifier(manager: trust, authorizer: .id(Self.serverID), logger: logger)
            let clientSecurity = try HTTP2ClientTransport.Posix.TransportSecurity.mTLS(
                certificateReloader: RotatingCertificateReloader(provider: clientSVID, logger: logger)
            ) { tls in
                tls.serverCertificateVerification = .noHostnameVerification
                tls.customVerificationCallback = servers.callback(observing: log.handshake)
            }
            func connection() throws -> HTTP2ClientTransport.Posix {
                try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: clientSecurity)
            }

            // One connection opened now and kept across every rotation, and a new one per round, which
            // handshakes with the certificates current at that moment.
            try await withGRPCClient(transport: try connection()) { kept in
                var round = 0
                while true {
                    let wasLast = rotations.reached(options.rotations, of: [Self.serverID, Self.clientID])
                    round += 1
                    await Self.hello(kept, "round \(round) on the kept connection", log)
                    try await withGRPCClient(transport: try connection()) { fresh in
                        await Self.hello(fresh, "round \(round) on a new connection", log)
                    }
                    if wasLast { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            server.beginGracefulShutdown()
            group.cancelAll()
        }
    }

    static func hello(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ text: String, _ log: EventLog) async {
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        do {
            _ = try await client.unary(
                request: ClientRequest(message: text),
                descriptor: GreeterService.hello,
                serializer: UTF8Coder(),
                deserializer: UTF8Coder(),
                options: options
            ) { try $0.message }
            log.emit("request", peerID: Self.serverID.description)
        } catch {
            log.emit("request", peerID: Self.serverID.description, ok: false, error: "\(error)")
        }
    }

    /// A PKI engine with a root CA, and a role that issues X509-SVIDs of example.org. Re-running against the same
    /// Vault reuses the engine and its CA.
    static func setUpPKI(_ vault: VaultClient, mount: String) async throws {
        if (try? await vault.read("sys/mounts/\(mount)")) == nil {
            try await vault.write("sys/mounts/\(mount)", ["type": "pki", "config": ["max_lease_ttl": "87600h"]])
            try await vault.write(
                "\(mount)/root/generate/internal",
                ["common_name": "Warden MTLSRotation CA", "ttl": "8760h"]
            )
        }
        try await vault.write(
            "\(mount)/roles/svid",
            [
                "allowed_domains": "example.org", "allow_subdomains": true,
                "allowed_uri_sans": "spiffe://example.org/*", "key_type": "any", "max_ttl": "1h",
                // Vault backdates a certificate by 30 s by default, which would make a lifetime of a few seconds
                // mostly past; the rotation engine refreshes at half the lifetime counted from notBefore.
                "not_before_duration": "1s",
            ]
        )
    }

    /// Stops the demo's own OpenBao and removes its files now: `exit` runs no deinitializer.
    static func remove(_ server: OpenBaoServer?) {
        guard let server else { return }
        server.shutDown()
        try? FileManager.default.removeItem(atPath: server.directory.path)
    }

    static func shutDownOnSignals(_ server: OpenBaoServer?) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Self.remove(server)
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// How many times each certificate rotated.
final class RotationCount: Sendable {
    private let counts = Mutex<[SPIFFEID: Int]>([:])

    func add(_ id: SPIFFEID) { self.counts.withLock { $0[id, default: 0] += 1 } }

    func reached(_ target: Int, of ids: [SPIFFEID]) -> Bool {
        self.counts.withLock { counts in ids.allSatisfy { counts[$0, default: 0] >= target } }
    }
}

struct Options {
    static let usage = "usage: MTLSRotation [--json] [--rotations N] [--ttl SECONDS] [--mount PATH]"

    var json = false
    var rotations = 3
    /// The certificates' lifetime; the rotation engine renews each at 50%–67% of it.
    var ttl: Duration = .seconds(6)
    var mount = "warden-mtls-rotation"

    init(_ arguments: some Sequence<String>) throws {
        var arguments = arguments.makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--json": self.json = true
            case "--rotations":
                guard let value = arguments.next().flatMap({ Int($0) }), value >= 1 else {
                    throw UsageError("--rotations takes a whole number of at least 1")
                }
                self.rotations = value
            case "--ttl":
                guard let value = arguments.next().flatMap({ Int($0) }), (2...3600).contains(value) else {
                    throw UsageError("--ttl takes a number of seconds from 2 to 3600")
                }
                self.ttl = .seconds(value)
            case "--mount":
                guard let value = arguments.next(), !value.isEmpty else { throw UsageError("--mount takes a path") }
                self.mount = value
            case "-h", "--help":
                print(Self.usage)
                exit(0)
            default: throw UsageError("unknown argument '\(argument)'")
            }
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
