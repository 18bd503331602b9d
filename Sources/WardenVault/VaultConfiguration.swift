public import Foundation
public import NIOCertificateReloading
public import WardenCore

/// How to reach Vault (or OpenBao): the address, the token, the namespace, TLS, timeouts and retries.
///
/// Build one in code, or read Vault's own environment variables with ``fromEnvironment(_:)``, as the Go client and the
/// `vault` command do.
public struct VaultConfiguration: Sendable {
    /// The addresses of a cluster's nodes, in order of preference, such as `https://vault-1.internal:8200`; one
    /// address (a single server, or a load balancer) is the usual case.
    ///
    /// With several, the client finds the active node (asked with `sys/health`) before its first request, sends every
    /// request there and stays on it, and moves to the next active node when the one in use fails with a connection
    /// error, a 5xx, sealed or an election under way. Requests go only to a node known to be active, so that they see
    /// the writes before them (a standby answers from a lagging copy); while none is, they wait for one. List every
    /// node. A standby's redirect is followed with the token only to a node of this list. See "High availability" in
    /// `UsingVault.md`.
    public var addresses: [String]

    /// The first of ``addresses``; setting it replaces the list with this one address.
    public var address: String {
        get { self.addresses.first ?? "" }
        set { self.addresses = [newValue] }
    }
    /// A token to start with (token auth). Other auth methods log in and set it.
    public var token: Secret<String>?
    /// The namespace sent as `X-Vault-Namespace` on every request (Vault Enterprise and OpenBao namespaces).
    public var namespace: String?
    /// A PEM file of CA certificates that verify the server (`VAULT_CACERT`).
    public var caCertificateFile: String?
    /// A directory of PEM CA certificates that verify the server (`VAULT_CAPATH`).
    public var caDirectory: String?
    /// The client certificate for TLS client authentication, PEM (`VAULT_CLIENT_CERT`).
    public var clientCertificateFile: String?
    /// The client certificate's private key, PEM (`VAULT_CLIENT_KEY`).
    public var clientKeyFile: String?
    /// A client certificate that rotates without a new client: each new connection presents the reloader's current
    /// certificate and key, as swift-nio-extras' `CertificateReloader` defines (WardenNIOSSL's
    /// `RotatingCertificateReloader` serves an X509-SVID or a Vault PKI certificate this way). Established connections
    /// keep the certificate they were opened with until they close, at the latest after ``connectionIdleTimeout``
    /// without a request; cert auth checks the certificate of the connection a login is sent on. Not together with
    /// ``clientCertificateFile``.
    public var clientCertificateReloader: (any CertificateReloader)?
    /// How long an idle pooled connection is kept open (60 s by default). It also bounds how long a rotated
    /// ``clientCertificateReloader`` certificate waits to be presented by a client that is never idle for longer.
    public var connectionIdleTimeout: Duration
    /// The name the server's certificate is checked against and sent as SNI, when it differs from the address's host
    /// (`VAULT_TLS_SERVER_NAME`), for example a server reached by IP address whose certificate names it
    /// `vault.internal`. The connection still goes to the address. Requests then carry this name as their `Host`.
    /// Applies to clients that own their `HTTPClient`, and only over https. swift-nio-ssl also accepts a certificate
    /// that names the IP address connected to.
    public var tlsServerName: String?
    /// Turns off verification of the server's certificate (`VAULT_SKIP_VERIFY`). Insecure: the client logs a warning
    /// whenever it is set.
    public var insecureSkipTLSVerify: Bool
    /// The time a request may take, retries included (`VAULT_CLIENT_TIMEOUT`; 60 s by default, as Vault's).
    public var timeout: Duration
    /// How many times a request is retried after a connection error, 412, 429 or 5xx other than 501
    /// (`VAULT_MAX_RETRIES`; 2 by default, as Vault's).
    public var maximumRetries: Int
    /// The delays between retries: full jitter between 1 and 1.5 s by default, as Vault's client. A `Retry-After` of
    /// N seconds from the server takes precedence and is waited as N + 1, because Vault and OpenBao truncate it; a
    /// wait that would outlast ``timeout`` is not started, and the request fails with the server's answer.
    public var retryBackoff: BackoffPolicy

    /// Creates a configuration.
    public init(
        address: String,
        token: Secret<String>? = nil,
        namespace: String? = nil,
        caCertificateFile: String? = nil,
        caDirectory: String? = nil,
        clientCertificateFile: String? = nil,
        clientKeyFile: String? = nil,
        clientCertificateReloader: (any CertificateReloader)? = nil,
        tlsServerName: String? = nil,
        insecureSkipTLSVerify: Bool = false,
        timeout: Duration = .seconds(60),
        connectionIdleTimeout: Duration = .seconds(60),
        maximumRetries: Int = 2,
        retryBackoff: BackoffPolicy = BackoffPolicy(
            initialDelay: .milliseconds(1000),
            multiplier: 1.5,
            maximumDelay: .milliseconds(1500),
            minimumDelay: .milliseconds(1000),
            jitter: .full
        )
    ) {
        self.addresses = [address]
        self.token = token
        self.namespace = namespace
        self.caCertificateFile = caCertificateFile
        self.caDirectory = caDirectory
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.clientCertificateReloader = clientCertificateReloader
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.timeout = timeout
        self.connectionIdleTimeout = connectionIdleTimeout
        self.maximumRetries = maximumRetries
        self.retryBackoff = retryBackoff
    }

    /// Reads `VAULT_ADDR` (default `https://127.0.0.1:8200`; as Warden's extension, a comma-separated list of a
    /// cluster's nodes sets ``addresses``), `VAULT_TOKEN`, `VAULT_NAMESPACE`, `VAULT_CACERT`,
    /// `VAULT_CAPATH`, `VAULT_CLIENT_CERT`, `VAULT_CLIENT_KEY`, `VAULT_TLS_SERVER_NAME`, `VAULT_SKIP_VERIFY`,
    /// `VAULT_CLIENT_TIMEOUT` (seconds, or a duration such as `30s`, `2m`) and `VAULT_MAX_RETRIES`.
    ///
    /// - Throws: ``VaultError/Code/invalidConfiguration`` naming the variable whose value is invalid.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(VaultError) -> VaultConfiguration {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        var configuration = VaultConfiguration(address: "https://127.0.0.1:8200")
        if let addresses = value("VAULT_ADDR") {
            let list = addresses.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) else {
                throw VaultError(.invalidConfiguration, "VAULT_ADDR is '\(addresses)', which has an empty address")
            }
            configuration.addresses = list
        }
        configuration.token = value("VAULT_TOKEN").map(Secret.init)
        configuration.namespace = value("VAULT_NAMESPACE")
        configuration.caCertificateFile = value("VAULT_CACERT")
        configuration.caDirectory = value("VAULT_CAPATH")
        configuration.clientCertificateFile = value("VAULT_CLIENT_CERT")
        configuration.clientKeyFile = value("VAULT_CLIENT_KEY")
        configuration.tlsServerName = value("VAULT_TLS_SERVER_NAME")
        if let skip = value("VAULT_SKIP_VERIFY") {
            switch skip.lowercased() {
            case "1", "t", "true": configuration.insecureSkipTLSVerify = true
            case "0", "f", "false": configuration.insecureSkipTLSVerify = false
            default: throw VaultError(.invalidConfiguration, "VAULT_SKIP_VERIFY is '\(skip)', not a boolean")
            }
        }
        if let timeout = value("VAULT_CLIENT_TIMEOUT") {
            guard let duration = Duration.parsing(timeout), duration > .zero else {
                throw VaultError(
                    .invalidConfiguration,
                    "VAULT_CLIENT_TIMEOUT is '\(timeout)', not a duration such as 60 or 30s"
                )
            }
            configuration.timeout = duration
        }
        if let retries = value("VAULT_MAX_RETRIES") {
            guard let count = Int(retries), count >= 0 else {
                throw VaultError(.invalidConfiguration, "VAULT_MAX_RETRIES is '\(retries)', not a non-negative integer")
            }
            configuration.maximumRetries = count
        }
        return configuration
    }
}
