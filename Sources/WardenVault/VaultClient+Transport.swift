import AsyncHTTPClient
import Foundation
import Logging
import NIOCertificateReloading
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import WardenCore

// MARK: the transport

extension VaultClient {
    func url(for path: String, query: [String: String], node: Node) -> String {
        var components = URLComponents()
        components.scheme = node.scheme
        components.host = node.host
        components.port = node.port
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        components.percentEncodedPath = node.path + "/v1/" + trimmed
        if !query.isEmpty {
            components.queryItems = query.keys.sorted().map { URLQueryItem(name: $0, value: query[$0]) }
        }
        return components.string ?? ""
    }

    /// Sends one logical request: attempts, retries with backoff or `Retry-After`, at most one redirect.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue?,
        query: [String: String],
        wrapTTL: Duration?,
        token: Secret<String>?,
        allowedStatuses: Set<Int> = [],
        maximumResponseSize: Int = VaultClient.maximumResponseSize
    ) async throws -> (Int, [UInt8]) {
        let label = "\(method.rawValue) /v1/\(path)"
        let deadline = NIODeadline.now() + .nanoseconds(Int64(self.configuration.timeout.timeInterval * 1e9))
        var backoff = Backoff(policy: self.configuration.retryBackoff)
        var attempt = 0
        let requiresActiveNode = self.requiresActiveNode(path)
        var node = self.nodeInUse
        // A standby's redirect to another configured node: the node the request left, and the one it went to.
        var redirect: (from: Int, to: Int)?
        var url = self.url(for: path, query: query, node: self.nodes[node])
        var sendToken = true
        var redirected = false
        // The nodes this request saw fail: a standby that has not noticed its active node's death redirects to it.
        var failedNodes = Set<Int>()
        while true {
            // A request waits for a node known to be active rather than take a standby's copy, which may lack the
            // writes before it; a redirect is followed as it is (that is how a standby names the active node).
            var unsent = false
            // Whether a failure below is the node's (it failed, or says an election is under way): only then does the
            // client fail over and count an election.
            var blamesNode = true
            if requiresActiveNode, !redirected {
                if self.activeNodeInUse == nil {
                    await self.findActiveNodeIfDue(deadline: deadline)
                    // A caller cancelled while waiting sees cancellation, and one whose time ran out a timeout.
                    try Task.checkCancellation()
                    if NIODeadline.now() >= deadline {
                        throw VaultError(.timeout, "\(label): no response within \(self.configuration.timeout)")
                    }
                }
                if let active = self.activeNodeInUse {
                    node = active
                } else {
                    node = self.nodeInUse
                    unsent = true
                }
                url = self.url(for: path, query: query, node: self.nodes[node])
            }
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "X-Vault-Request", value: "true")
            if sendToken, let token { request.headers.add(name: "X-Vault-Token", value: token.reveal()) }
            // A standby then answers a write with a redirect to the active node instead of forwarding it: the client
            // learns where the active node is (after an election, or a step-down that failed nothing) and moves there
            // with the write, so that the reads after it go there too.
            if self.nodes.count > 1 { request.headers.add(name: "X-Vault-No-Request-Forwarding", value: "true") }
            if let namespace = self.configuration.namespace {
                request.headers.add(name: "X-Vault-Namespace", value: namespace)
            }
            if let wrapTTL { request.headers.add(name: "X-Vault-Wrap-TTL", value: "\(wrapTTL.components.seconds)s") }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body.jsonBytes))
            }
            let outcome: Result<(Int, [UInt8], HTTPHeaders), VaultError>
            if unsent {
                outcome = .failure(
                    VaultError(
                        .standby,
                        "\(label): no active node to send it to (a standby's copy may lack recent writes)"
                    )
                )
            } else {
                do {
                    let response = try await self.httpClient.execute(request, deadline: deadline, logger: nil)
                    let buffer = try await response.body.collect(upTo: maximumResponseSize)
                    outcome = .success((Int(response.status.code), Array(buffer.readableBytesView), response.headers))
                } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                    if Task.isCancelled { throw CancellationError() }
                    throw VaultError(.timeout, "\(label): no response within \(self.configuration.timeout)")
                } catch {
                    // A cancelled caller sees cancellation, not a transport error: graceful shutdown depends on it.
                    if Task.isCancelled || error is CancellationError { throw CancellationError() }
                    if NIODeadline.now() >= deadline {
                        throw VaultError(.timeout, "\(label): no response within \(self.configuration.timeout)")
                    }
                    outcome = .failure(
                        VaultError(.transport, "\(label): cannot reach \(self.nodes[node].address): \(error)")
                    )
                }
            }
            var retryAfter: Duration?
            let failure: VaultError
            switch outcome {
            case .success(let (status, bytes, headers)):
                if (200..<300).contains(status) || allowedStatuses.contains(status) {
                    // A standby's redirect to another configured node that answered: that node is the active one, and
                    // the client stays there, so that reads go where writes went.
                    // A move by another request since this one left its node stands.
                    if let redirect {
                        _ = self.move(from: redirect.from, to: redirect.to, reason: "redirected", toStandby: false)
                        self.confirmActive(redirect.to)
                    }
                    return (status, bytes)
                }
                if [301, 302, 303, 307, 308].contains(status), let location = headers.first(name: "Location") {
                    let (next, sameOrigin) = try self.redirectTarget(location, from: url, label: label, status: status)
                    let target = URL(string: next)
                    let index = target.flatMap { target in self.nodes.firstIndex { $0.isOrigin(of: target) } }
                    if redirected && (self.nodes.count == 1 || index == nil) {
                        throw VaultError(
                            .redirectRefused,
                            "\(label): a second redirect, to \(location)",
                            status: status
                        )
                    }
                    if redirected || (index.map { failedNodes.contains($0) } ?? false) {
                        // A standby still points at the node that failed, or nodes redirect each other: an election is
                        // under way.
                        failure = VaultError(
                            .standby,
                            "\(label): \(status) to \(location) while the cluster has no active node",
                            status: status
                        )
                    } else if self.nodes.count > 1, index == nil, !sameOrigin {
                        // A standby names the active node by an address that is not configured (its `api_addr` spelled
                        // otherwise): the token does not go there; the client asks its own addresses which is active.
                        self.forgetActive(node)
                        blamesNode = false
                        failure = VaultError(
                            .standby,
                            "\(label): \(status) to \(location), which is not a configured address",
                            status: status
                        )
                    } else {
                        redirected = true
                        url = next
                        // The token goes only where it went, or to another configured node (a standby's redirect
                        // to the active one). The client's node stays: a standby may point at a node that is gone.
                        if let index, !sameOrigin {
                            redirect = (node, index)
                            node = index
                        } else {
                            sendToken = sendToken && sameOrigin
                        }
                        continue
                    }
                } else {
                    failure = Self.error(status: status, body: bytes, label: label)
                }
                // Vault and OpenBao truncate the time left in a quota interval (2.9 s reads `Retry-After: 2`, the last
                // second reads 0), so waiting exactly that long only earns another 429: the client waits a second more.
                if let value = headers.first(name: "Retry-After"), let seconds = Int(value), seconds >= 0 {
                    retryAfter = .seconds(seconds + 1)
                }
            case .failure(let error):
                failure = error
            }
            // A wait that would outlast the timeout surfaces the server's answer now rather than a timeout later.
            guard failure.isRetryable, attempt < self.configuration.maximumRetries,
                let delay = retryAfter ?? backoff.nextDelay(),
                NIODeadline.now() + .nanoseconds(Int64(delay.timeInterval * 1e9)) < deadline
            else {
                throw failure
            }
            attempt += 1
            if unsent { blamesNode = false }
            if failure.code == .standby, blamesNode { self.noteElection() }
            // A request held back from a standby is not the standby's failure: the search for the active node goes on.
            if self.nodes.count > 1, Self.isNodeFailure(failure), blamesNode {
                // A standby answering "no active node" is alive; only a node that itself failed is marked.
                if failure.code != .standby { failedNodes.insert(node) }
                node = await self.failOver(from: node, reason: failure, deadline: deadline)
                url = self.url(for: path, query: query, node: self.nodes[node])
                redirected = false
                redirect = nil
                sendToken = true
                // The health probes took time of their own: a wait that would now outlast the timeout is not started.
                guard NIODeadline.now() + .nanoseconds(Int64(delay.timeInterval * 1e9)) < deadline else {
                    throw failure
                }
            }
            self.logger.debug(
                "retrying Vault request",
                metadata: [
                    "request": "\(label)", "attempt": "\(attempt)", "delay": "\(delay)", "reason": "\(failure.code)",
                ]
            )
            try await self.clock.sleep(for: delay)  // throws CancellationError when the caller is cancelled
        }
    }

    private func redirectTarget(
        _ location: String,
        from current: String,
        label: String,
        status: Int
    ) throws(VaultError) -> (String, Bool) {
        guard let base = URL(string: current), let target = URL(string: location, relativeTo: base)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), let host = target.host
        else {
            throw VaultError(
                .redirectRefused,
                "\(label): a redirect to '\(location)', which is not a URL",
                status: status
            )
        }
        if base.scheme?.lowercased() == "https" && scheme != "https" {
            throw VaultError(
                .redirectRefused,
                "\(label): a redirect from https to \(scheme), which would expose the request",
                status: status
            )
        }
        let sameOrigin = scheme == base.scheme?.lowercased() && host == base.host && target.port == base.port
        return (target.absoluteString, sameOrigin)
    }

    /// Maps a failed response to a typed error, carrying Vault's own `errors` text.
    static func error(status: Int, body: [UInt8], label: String) -> VaultError {
        let messages = (try? JSONValue(parsing: body))?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let text = messages.isEmpty ? "" : ": " + messages.joined(separator: "; ")
        let message = "\(label): \(status)\(text)"
        switch status {
        case 400: return VaultError(.invalidRequest, message, status: status)
        case 401, 403: return VaultError(.permissionDenied, message, status: status)
        case 404: return VaultError(.notFound, message, status: status)
        case 429: return VaultError(.rateLimited, message, status: status)
        case 503 where messages.contains(where: { $0.lowercased().contains("sealed") }):
            return VaultError(.sealed, message, status: status)
        case 500...599 where status != 501 && messages.contains(where: Self.isStandbyMessage):
            return VaultError(.standby, message, status: status)
        case 501: return VaultError(.unexpectedStatus, message, status: status)
        case 412, 500...599: return VaultError(.unavailable, message, status: status)
        default: return VaultError(.unexpectedStatus, message, status: status)
        }
    }

    /// Whether a 5xx message says the node is a standby with no active node to hand the request to: a standby that
    /// restarted while the active node is down answers writes `local node not active but active cluster node not found`
    /// (500), and Vault's `ErrStandby` reads `Vault is in standby mode`.
    private static func isStandbyMessage(_ message: String) -> Bool {
        let lowercased = message.lowercased()
        return lowercased.contains("node not active") || lowercased.contains("standby mode")
    }

    static func tlsConfiguration(
        _ configuration: VaultConfiguration,
        logger: Logger
    ) throws(VaultError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            var roots: [NIOSSLCertificate] = []
            if let file = configuration.caCertificateFile { roots += try NIOSSLCertificate.fromPEMFile(file) }
            if let directory = configuration.caDirectory {
                for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
                where name.hasSuffix(".pem") || name.hasSuffix(".crt") {
                    roots += try NIOSSLCertificate.fromPEMFile(directory + "/" + name)
                }
            }
            if !roots.isEmpty { tls.trustRoots = .certificates(roots) }
            if configuration.clientCertificateReloader != nil,
                configuration.clientCertificateFile != nil || configuration.clientKeyFile != nil
            {
                throw VaultError(
                    .invalidConfiguration,
                    "a client certificate comes from files (VAULT_CLIENT_CERT, VAULT_CLIENT_KEY) or a reloader, not both"
                )
            }
            switch (configuration.clientCertificateFile, configuration.clientKeyFile) {
            case (let certificate?, let key?):
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            case (nil, nil):
                if let reloader = configuration.clientCertificateReloader {
                    // The callback runs at every new connection; pooled connections keep theirs.
                    tls.setCertificateReloader(reloader)
                }
            default:
                throw VaultError(
                    .invalidConfiguration,
                    "a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY"
                )
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(.invalidConfiguration, "cannot load the TLS files of the Vault configuration: \(error)")
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        return tls
    }
}
