public import WardenCore
import WardenCredentials

/// An error from WardenVault: a Vault (or OpenBao) response that is not a success, or a request that could not be
/// made.
///
/// The message carries Vault's own `errors` text and the request's method and path, never a token or secret.
public struct VaultError: WardenError {
    /// The opaque code of a ``VaultError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case permissionDenied, notFound, sealed, standby, rateLimited, unavailable, invalidRequest
            case unexpectedStatus, transport, timeout, redirectRefused, malformedResponse, invalidConfiguration
            case notAuthenticated, unsupported
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// A stable camel-case name.
        public var description: String { self.backing.rawValue }

        /// 403: the token lacks a policy for the path, or is invalid, expired or revoked.
        public static let permissionDenied = Code(.permissionDenied)
        /// 404: nothing at the path (or a KV v2 secret that is deleted or destroyed).
        public static let notFound = Code(.notFound)
        /// 503 with "Vault is sealed"; retried with backoff before surfacing, as every 5xx but 501 is.
        public static let sealed = Code(.sealed)
        /// 5xx from a standby node that cannot serve the request because it has no active node to forward it to
        /// (`local node not active but active cluster node not found`); retried with backoff before surfacing, since
        /// an election may end it. `sys/health` reports a standby as a result, not as this error.
        public static let standby = Code(.standby)
        /// 429: rate limited; retried with the server's `Retry-After` before surfacing.
        public static let rateLimited = Code(.rateLimited)
        /// 5xx (except 501), or 412: the server cannot serve now; retried with backoff before surfacing.
        public static let unavailable = Code(.unavailable)
        /// 400: the request is malformed or its parameters are wrong.
        public static let invalidRequest = Code(.invalidRequest)
        /// Any other non-success status (for example 501 or 405).
        public static let unexpectedStatus = Code(.unexpectedStatus)
        /// The connection failed (refused, reset, TLS handshake); retried with backoff before surfacing.
        public static let transport = Code(.transport)
        /// The request did not complete within the client timeout.
        public static let timeout = Code(.timeout)
        /// A redirect the client will not follow: a second one, or one from https to http.
        public static let redirectRefused = Code(.redirectRefused)
        /// The response body is not the JSON Vault sends.
        public static let malformedResponse = Code(.malformedResponse)
        /// The configuration is invalid (an address that is not a URL, an unreadable CA file, …).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// No token: the client has not logged in.
        public static let notAuthenticated = Code(.notAuthenticated)
        /// The server or engine does not support the operation (for example a non-renewable lease).
        public static let unsupported = Code(.unsupported)
    }

    /// The rule or condition that failed.
    public let code: Code
    /// What happened: the request, the status, and Vault's messages.
    public let message: String
    /// The HTTP status, when there was a response.
    public let status: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Whether `error` says only that Vault could not answer now (unreachable, timed out, sealed, without an active
    /// node, rate limited, a 412 or a 5xx other than 500 and 501), not that it refused; the engine's own timeout of a
    /// call counts too. What Vault's renewable sources answer to ``CredentialSource/isUnavailability(_:)``.
    static func isUnavailability(_ error: any Error) -> Bool {
        if let error = error as? VaultError {
            // A plain 500 can be the credential's own failure (a database plugin that cannot renew a role someone
            // dropped): not a sign that Vault is away. Elections and sealed nodes have codes of their own.
            if error.code == .unavailable, error.status == 500 { return false }
            return error.isRetryable || error.code == .timeout
        }
        if let error = error as? CredentialsError { return error.code == .timeout }
        return false
    }

    /// Whether the client retries a request that failed this way.
    var isRetryable: Bool {
        self.code == .unavailable || self.code == .sealed || self.code == .standby || self.code == .rateLimited
            || self.code == .transport
    }
}
