import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOSSL
import WardenCore
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport

/// `Peers/kubernetes_api.py`: the token issuer and the TokenReview endpoint of a Kubernetes API server, over HTTPS.
///
/// A stand-in, because this machine cannot run Kubernetes; OpenBao's kubernetes auth calls it exactly as it calls a
/// real API server, and the reviews check signatures, expiry and deletion as the API server does.
final class KubernetesTestAPI: @unchecked Sendable {
    let port: Int
    let caFile: String
    private let process: Process
    private let http: HTTPClient

    var address: String { "https://127.0.0.1:\(self.port)" }

    init(directory: TemporaryDirectory) async throws {
        self.port = try LoopbackPort.free()
        self.caFile = directory.file("kubernetes-ca.pem")
        let script = ExternalTool.repositoryRoot.appendingPathComponent(
            "Tests/WardenVaultTests/Peers/kubernetes_api.py"
        ).path
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: try ExternalTool.python.require())
        self.process.arguments = [script, String(self.port), self.caFile]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: self.caFile) {
            try await Task.sleep(for: .milliseconds(50))
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(self.caFile))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    deinit {
        try? self.http.syncShutdown()
        // SIGKILL: the child may inherit a blocked SIGTERM from the test process's threads.
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    var caPEM: String {
        get throws { try String(contentsOfFile: self.caFile, encoding: .utf8) }
    }

    /// A service-account token, as the API server projects into a pod.
    func token(namespace: String, serviceAccount: String, uid: String) async throws -> String {
        let response = try await self.post(
            "/__token",
            ["namespace": .string(namespace), "name": .string(serviceAccount), "uid": .string(uid)]
        )
        guard let token = response["token"]?.stringValue else { throw KubernetesTestAPIError() }
        return token
    }

    /// Deletes a token: reviews of it fail from now on.
    func delete(token: String) async throws {
        _ = try await self.post("/__delete", ["token": .string(token)])
    }

    /// The TokenReviews made so far, and whether every one carried a bearer token.
    func reviews() async throws -> (count: Int, allWithBearer: Bool) {
        let response = try await self.http.execute(
            HTTPClientRequest(url: self.address + "/__reviews"),
            timeout: .seconds(5)
        )
        let document = try JSONValue(parsing: Array(try await response.body.collect(upTo: 1 << 16).readableBytesView))
        return (Int(document["reviews"]?.int64Value ?? -1), document["bearer"]?.boolValue ?? false)
    }

    private func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: self.address + path)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body.jsonBytes))
        let response = try await self.http.execute(request, timeout: .seconds(5))
        return try JSONValue(parsing: Array(try await response.body.collect(upTo: 1 << 16).readableBytesView))
    }
}

struct KubernetesTestAPIError: Error {}
