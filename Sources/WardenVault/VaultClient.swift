public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
public import NIOHTTP1
import NIOSSL
public import ServiceLifecycle
import Synchronization
public import WardenCore
public import WardenCredentials

/// A client of the Vault HTTP API, for HashiCorp Vault and OpenBao.
///
/// ```swift
/// let vault = try VaultClient(configuration: .fromEnvironment())
/// let secret = try await vault.kv2(mount: "secret").read("payments/api-key")
/// ```
///
/// On the wire it behaves as Vault's Go client: every request carries `X-Vault-Request: true`, the token as
/// `X-Vault-Token` and the namespace as `X-Vault-Namespace`; connection errors, 412, 429 and 5xx other than 501 are
/// retried with jittered backoff, honouring `Retry-After`; redirects are followed by the client itself, at most one,
/// never from https to http, and without the token when the redirect leaves the origin; error envelopes
/// (`{"errors": [...]}`) become a ``VaultError`` whose code names the condition and whose message carries Vault's text.
///
/// The transport is AsyncHTTPClient, with its connection pool and keep-alive. The client is a swift-service-lifecycle
/// `Service`: requests work as soon as it is made, and ``run()`` ties its life to a `ServiceGroup`, shutting its own
/// `HTTPClient` down at graceful shutdown, as postgres-nio's `PostgresClient` does.
///
/// ```swift
/// let vault = try VaultClient(configuration: .fromEnvironment())
/// let tokens = RotatingCredentialProvider(source: VaultTokenSource(client: vault, method: appRole))
/// vault.setTokenProvider(tokens)
/// // Shut down in reverse order: the app, then the token (revoked while the client still works), then the client.
/// let group = ServiceGroup(services: [vault, tokens, app], logger: logger)
/// try await group.run()
/// ```
public final class VaultClient: Service, Sendable {
    /// Where the token for a request comes from.
    enum TokenSource: Sendable {
        case none
        case fixed(Secret<String>)
        /// A rotating provider: its current token, and how to report one refused.
        case rotating(
            current: @Sendable () async throws -> Secret<String>,
            invalidate: @Sendable (Secret<String>) -> Void
        )
    }

    /// The configuration.
    public let configuration: VaultConfiguration
    let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    private let isShutDown = Atomic<Bool>(false)
    /// The nodes of ``VaultConfiguration/addresses``, in order.
    let nodes: [Node]
    let failoverCount = Atomic<Int>(0)
    let electionCount = Atomic<Int>(0)
    /// The node requests go to, whether it is known to be active, and the search for the one that is.
    let cluster: Mutex<ClusterState>
    private let tokenSource: Mutex<TokenSource>
    /// Called when the token provider replaces the token (see ``onTokenReplaced(_:)``), and what watches for it.
    private let tokenReplaced = Mutex<(observers: [@Sendable () -> Void], watcher: Task<Void, Never>?)>(([], nil))
    let logger: Logger
    let clock: any WardenClock

    /// The largest response body the client reads (Vault's responses are small; a PKI bundle is a few KiB).
    public static let maximumResponseSize = 4 << 20

    /// Creates a client with an `HTTPClient` of its own, configured for the address's TLS settings.
    ///
    /// - Throws: ``VaultError/Code/invalidConfiguration`` for an invalid address or unreadable TLS files.
    public convenience init(
        configuration: VaultConfiguration,
        logger: Logger = Logger(label: "warden.vault"),
        clock: any WardenClock = SystemClock()
    ) throws(VaultError) {
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .nanoseconds(Int64(configuration.connectionIdleTimeout.timeInterval * 1e9))
        )
        // A refused connection fails the attempt at once, so that the client's own retry schedule (the one Vault's
        // Go client has) decides, rather than AsyncHTTPClient retrying until the connect timeout.
        pool.retryConnectionEstablishment = false
        var httpConfiguration = HTTPClient.Configuration(
            tlsConfiguration: try Self.tlsConfiguration(configuration, logger: logger),
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)),
            connectionPool: pool,
            decompression: .disabled
        )
        httpConfiguration.httpVersion = .http1Only
        if let serverName = configuration.tlsServerName, let address = URLComponents(string: configuration.address),
            address.scheme?.lowercased() == "https", let host = address.host
        {
            // Requests name the server by its certificate's name; AsyncHTTPClient connects to the address instead,
            // and checks the certificate (and sends SNI) for the name.
            httpConfiguration.dnsOverride = [serverName: host]
        }
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        try self.init(
            configuration: configuration,
            httpClient: httpClient,
            ownsHTTPClient: true,
            logger: logger,
            clock: clock
        )
    }

    /// Creates a client on a shared `HTTPClient`, whose TLS settings then apply (the configuration's are not used).
    ///
    /// - Throws: ``VaultError/Code/invalidConfiguration`` for an invalid address, or a ``VaultConfiguration/tlsServerName``,
    ///   which only a client with its own `HTTPClient` can apply.
    public convenience init(
        configuration: VaultConfiguration,
        httpClient: HTTPClient,
        logger: Logger = Logger(label: "warden.vault"),
        clock: any WardenClock = SystemClock()
    ) throws(VaultError) {
        if configuration.tlsServerName != nil {
            throw VaultError(
                .invalidConfiguration,
                "a TLS server name (VAULT_TLS_SERVER_NAME) needs a client with its own HTTPClient"
            )
        }
        try self.init(
            configuration: configuration,
            httpClient: httpClient,
            ownsHTTPClient: false,
            logger: logger,
            clock: clock
        )
    }

    private init(
        configuration: VaultConfiguration,
        httpClient: HTTPClient,
        ownsHTTPClient: Bool,
        logger: Logger,
        clock: any WardenClock
    ) throws(VaultError) {
        var nodes: [Node] = []
        for address in configuration.addresses {
            guard let url = URLComponents(string: address), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else {
                if ownsHTTPClient { try? httpClient.syncShutdown() }
                throw VaultError(.invalidConfiguration, "the Vault address '\(address)' is not an http or https URL")
            }
            let requestHost = scheme == "https" ? configuration.tlsServerName ?? host : host
            nodes.append(
                Node(
                    address: address,
                    scheme: scheme,
                    host: requestHost,
                    port: url.port ?? (scheme == "https" ? 443 : 80),
                    path: url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
                )
            )
        }
        guard !nodes.isEmpty, configuration.tlsServerName == nil || nodes.count == 1 else {
            if ownsHTTPClient { try? httpClient.syncShutdown() }
            throw VaultError(
                .invalidConfiguration,
                nodes.isEmpty
                    ? "the Vault configuration has no address"
                    : "a TLS server name (VAULT_TLS_SERVER_NAME) names one server; it cannot apply to several addresses"
            )
        }
        self.nodes = nodes
        self.cluster = Mutex(ClusterState(nodeCount: nodes.count))
        self.configuration = configuration
        self.httpClient = httpClient
        self.ownsHTTPClient = ownsHTTPClient
        self.tokenSource = Mutex(configuration.token.map(TokenSource.fixed) ?? .none)
        self.logger = logger
        self.clock = clock
        if configuration.insecureSkipTLSVerify {
            logger.warning(
                "TLS verification of the Vault server is OFF (insecureSkipTLSVerify / VAULT_SKIP_VERIFY); anyone on the path can impersonate it",
                metadata: ["address": "\(configuration.address)"]
            )
        }
    }

    /// Runs until graceful shutdown or cancellation, then shuts the client down. Requests do not need it to run: it
    /// only ties the client's life to a `ServiceGroup`, so that no code has to call ``shutdown()`` itself.
    public func run() async throws {
        try? await gracefulShutdown()
        try await self.shutdown()
    }

    /// Shuts the client's own `HTTPClient` down (once; later calls do nothing); does nothing for a shared one.
    public func shutdown() async throws {
        self.tokenReplaced.withLock { $0.watcher?.cancel() }
        guard self.ownsHTTPClient, !self.isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await self.httpClient.shutdown()
    }

    // MARK: tokens

    /// Uses `token` for every request from now on.
    public func setToken(_ token: Secret<String>?) {
        self.tokenSource.withLock { source in
            source = token.map(TokenSource.fixed) ?? .none
            // A provider set before no longer gives the token: its replacements are not this client's.
            self.tokenReplaced.withLock { $0.watcher?.cancel() }
        }
    }

    /// Takes the token for each request from `tokens`, and logs in again when Vault stops accepting it before its
    /// TTL is up (revoked by an operator, or by a revocation of its parent).
    ///
    /// A request answered 403 is not enough to tell: a policy that does not cover the path answers the same. The
    /// client then asks `auth/token/lookup-self` with the same token; only when that is refused too does it
    /// invalidate the token in `tokens`, which fetches a new one (one login however many requests saw the refusal),
    /// and it sends the request once more with the new token. A token whose policies do not include `default`
    /// cannot look itself up, and costs a login at each refused request: keep `default` attached.
    ///
    /// ```swift
    /// let tokens = RotatingCredentialProvider(source: VaultTokenSource(client: vault, method: appRole))
    /// vault.setTokenProvider(tokens)
    /// ```
    ///
    /// Any rotating provider of tokens works: usually one of a ``VaultTokenSource``, or of a source of your own whose
    /// value is the token.
    public func setTokenProvider<Source: CredentialSource>(
        _ tokens: RotatingCredentialProvider<Source>
    ) where Source.Value == Secret<String> {
        // Ends with the provider's updates (its shutdown), when another token or provider takes its place, or at the
        // client's shutdown. A `.rotated` event whose token is the same (a source with no identity that re-read it) is
        // not a replacement.
        let updates = tokens.updates
        let watcher = Task { [weak self] in
            for await event in updates where event.kind == .rotated {
                guard event.old?.value.reveal() != event.new?.value.reveal() else { continue }
                guard let self else { return }
                for observer in self.tokenReplaced.withLock({ $0.observers }) { observer() }
            }
        }
        // One lock order (the token source, then the watcher) for every change of both.
        self.tokenSource.withLock { source in
            source = .rotating(
                current: { try await tokens.current() },
                invalidate: { refused in tokens.invalidate { $0.value.reveal() == refused.reveal() } }
            )
            self.tokenReplaced.withLock {
                $0.watcher?.cancel()
                $0.watcher = watcher
            }
        }
    }

    /// Calls `body` each time the token provider (``setTokenProvider(_:)``) replaces the token with a new one: a new
    /// login at the token's maximum TTL, or after it was revoked. Not for a renewal, which keeps the token.
    ///
    /// Vault ends every lease with the token that created it: database credentials got with the old token stop
    /// working when it expires, however far their own lease goes. ``VaultDatabaseCredentialSource`` uses this to fetch
    /// new credentials with the new token while the old ones still work. `body` is cheap and may be called from any
    /// thread; it is kept for the client's life (a provider's observer holds the provider weakly).
    public func onTokenReplaced(_ body: @escaping @Sendable () -> Void) {
        self.tokenReplaced.withLock { $0.observers.append(body) }
    }

    func currentToken() async throws -> Secret<String>? {
        let source = self.tokenSource.withLock { $0 }
        switch source {
        case .none: return nil
        case .fixed(let token): return token
        case .rotating(let current, _):
            do {
                return try await current()
            } catch let error as VaultError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw VaultError(.notAuthenticated, "no Vault token: \(error)")
            }
        }
    }

    // MARK: raw operations

    /// Reads `path` (`GET /v1/<path>`).
    public func read(_ path: String, query: [String: String] = [:]) async throws -> VaultResponse {
        guard let response = try await self.request(.GET, path, query: query) else {
            throw VaultError(.notFound, "GET /v1/\(path): no content")
        }
        return response
    }

    /// Writes `data` to `path` (`POST /v1/<path>`); `nil` when Vault answers 204 No Content.
    @discardableResult
    public func write(_ path: String, _ data: JSONValue? = nil, wrapTTL: Duration? = nil) async throws -> VaultResponse?
    {
        try await self.request(.POST, path, body: data ?? .object([:]), wrapTTL: wrapTTL)
    }

    /// Lists the keys under `path` (`LIST /v1/<path>`).
    public func list(_ path: String) async throws -> VaultResponse {
        guard let response = try await self.request(.init(rawValue: "LIST"), path) else {
            throw VaultError(.notFound, "LIST /v1/\(path): no content")
        }
        return response
    }

    /// Deletes `path` (`DELETE /v1/<path>`).
    @discardableResult
    public func delete(_ path: String) async throws -> VaultResponse? {
        try await self.request(.DELETE, path)
    }

    /// Sends any request to `/v1/<path>` and returns the envelope, `nil` for 204 No Content.
    ///
    /// - Parameters:
    ///   - authenticated: whether to send the token (login endpoints do not need one).
    ///   - token: a token to use instead of the client's (for example a wrapping token).
    public func request(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue? = nil,
        query: [String: String] = [:],
        wrapTTL: Duration? = nil,
        authenticated: Bool = true,
        token: Secret<String>? = nil
    ) async throws -> VaultResponse? {
        let status: Int
        let bytes: [UInt8]
        if token != nil || !authenticated {
            (status, bytes) = try await self.send(
                method,
                path,
                body: body,
                query: query,
                wrapTTL: wrapTTL,
                token: token
            )
        } else {
            (status, bytes) = try await self.sendWithClientToken(
                method,
                path,
                body: body,
                query: query,
                wrapTTL: wrapTTL
            )
        }
        guard status != 204, !bytes.isEmpty else { return nil }
        do {
            return try VaultResponse.decode(body: Array(bytes), status: status)
        } catch {
            throw VaultError(error.code, "\(method.rawValue) /v1/\(path): \(error.message)", status: status)
        }
    }

    /// Sends a request with the client's token; when the token comes from a rotating provider and Vault no longer
    /// accepts it, logs in again and sends the request once more.
    private func sendWithClientToken(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue?,
        query: [String: String],
        wrapTTL: Duration?
    ) async throws -> (Int, [UInt8]) {
        let token = try await self.currentToken()
        do {
            return try await self.send(method, path, body: body, query: query, wrapTTL: wrapTTL, token: token)
        } catch let error as VaultError where error.code == .permissionDenied {
            guard let token, case .rotating(_, let invalidate) = self.tokenSource.withLock({ $0 }),
                await self.isRefused(token)
            else { throw error }
            invalidate(token)
            self.logger.notice(
                "Vault no longer accepts the client token; logged in again",
                metadata: ["request": "\(method.rawValue) /v1/\(path)"]
            )
            return try await self.send(
                method,
                path,
                body: body,
                query: query,
                wrapTTL: wrapTTL,
                token: try await self.currentToken()
            )
        }
    }

    /// Whether Vault refuses `token` itself, as opposed to refusing a path its policies do not cover.
    private func isRefused(_ token: Secret<String>) async -> Bool {
        do {
            _ = try await self.send(.GET, "auth/token/lookup-self", body: nil, query: [:], wrapTTL: nil, token: token)
            return false
        } catch {
            return (error as? VaultError)?.code == .permissionDenied
        }
    }

    /// Sends a request and returns the whole JSON document, for the few endpoints that answer outside the usual
    /// envelope (`sys/init`, `sys/seal-status`); `nil` for 204 No Content.
    public func requestDocument(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue? = nil,
        authenticated: Bool = true
    ) async throws -> JSONValue? {
        let token = authenticated ? try await self.currentToken() : nil
        let (status, bytes) = try await self.send(method, path, body: body, query: [:], wrapTTL: nil, token: token)
        guard status != 204, !bytes.isEmpty else { return nil }
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw VaultError(
                .malformedResponse,
                "\(method.rawValue) /v1/\(path): the response is not JSON (\(error))",
                status: status
            )
        }
    }

    /// `sys/health` answers with these codes when the server is fine but not active; they are not errors there.
    func sendAllowingStatuses(
        _ method: HTTPMethod,
        _ path: String,
        query: [String: String],
        allowed: Set<Int>
    ) async throws -> (Int, [UInt8]) {
        try await self.send(method, path, body: nil, query: query, wrapTTL: nil, token: nil, allowedStatuses: allowed)
    }
}
