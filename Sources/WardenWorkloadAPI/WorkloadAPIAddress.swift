public import Foundation

/// Where the SPIFFE Workload API listens: a Unix domain socket or a TCP address, parsed from a URI as the SPIFFE
/// Workload Endpoint standard and go-spiffe parse `SPIFFE_ENDPOINT_SOCKET`.
///
/// - `unix:///run/spire/agent.sock`: a Unix domain socket. go-spiffe also accepts an authority (`unix://agent.sock`,
///   which the standard forbids); Warden accepts what go-spiffe accepts and joins the authority and path into the
///   socket path, so that a deployment that works with go-spiffe works here.
/// - `tcp://127.0.0.1:8081`, `tcp://[::1]:8081`: an IP address and a port; no host name.
///
/// Neither may carry user information, a query or a fragment, and neither may be opaque (`unix:agent.sock`); a TCP
/// address has no path. Each refusal is a ``WorkloadAPIError/Code/invalidEndpoint`` naming the rule, in go-spiffe's
/// words.
public struct WorkloadAPIAddress: Sendable, Hashable, CustomStringConvertible {
    /// The transport and where it goes.
    public enum Kind: Sendable, Hashable {
        /// A Unix domain socket at `path`.
        case unix(path: String)
        /// An IP address (v4 or v6, without brackets) and a port.
        case tcp(host: String, port: Int)
    }

    /// The environment variable that names the endpoint, as the standard defines it.
    public static let environmentVariable = "SPIFFE_ENDPOINT_SOCKET"

    /// The longest address accepted: a Unix socket path is at most 108 bytes on Linux, and a URI longer than this is
    /// not an address.
    public static let maximumLength = 4096

    public let kind: Kind

    /// Parses a `unix` or `tcp` URI.
    ///
    /// - Throws: ``WorkloadAPIError/Code/invalidEndpoint`` naming the rule the URI breaks.
    public init(_ uri: String) throws(WorkloadAPIError) {
        guard uri.utf8.count <= Self.maximumLength else {
            throw WorkloadAPIError(
                .invalidEndpoint,
                "the workload endpoint socket URI is \(uri.utf8.count) bytes, over the limit of \(Self.maximumLength)"
            )
        }
        let parts = try URIParts(uri)
        switch parts.scheme {
        case "unix":
            let rule: String? =
                if parts.opaque != nil { "must not be opaque" } else if parts.userInfo != nil {
                    "must not include user info"
                } else if parts.host.isEmpty && parts.path.isEmpty { "must include a path" } else if parts.query != nil
                { "must not include query values" } else if parts.fragment != nil { "must not include a fragment" } else
                { nil }
            if let rule { throw WorkloadAPIError(.invalidEndpoint, "workload endpoint unix socket URI \(rule)") }
            self.kind = .unix(path: parts.host + parts.path)
        case "tcp":
            let rule: String? =
                if parts.opaque != nil { "must not be opaque" } else if parts.userInfo != nil {
                    "must not include user info"
                } else if parts.host.isEmpty { "must include a host" } else if !parts.path.isEmpty {
                    "must not include a path"
                } else if parts.query != nil { "must not include query values" } else if parts.fragment != nil {
                    "must not include a fragment"
                } else { nil }
            if let rule { throw WorkloadAPIError(.invalidEndpoint, "workload endpoint tcp socket URI \(rule)") }
            let (hostname, port) = try Self.splitHostPort(parts.host)
            guard let address = Self.normalizedIPAddress(hostname) else {
                throw WorkloadAPIError(
                    .invalidEndpoint,
                    "workload endpoint tcp socket URI host component must be an IP:port"
                )
            }
            guard let port else {
                throw WorkloadAPIError(
                    .invalidEndpoint,
                    "workload endpoint tcp socket URI host component must include a port"
                )
            }
            self.kind = .tcp(host: address, port: port)
        default:
            throw WorkloadAPIError(
                .invalidEndpoint,
                "workload endpoint socket URI must have a \"tcp\" or \"unix\" scheme"
            )
        }
    }

    /// An address from its parts: `unix(path:)` for a socket file, `tcp(host:port:)` for an IP address.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The address named by `SPIFFE_ENDPOINT_SOCKET`, or `nil` when it is unset or empty.
    ///
    /// - Throws: ``WorkloadAPIError/Code/invalidEndpoint`` when it is set to an address that cannot be used.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(WorkloadAPIError) -> WorkloadAPIAddress? {
        guard let value = environment[Self.environmentVariable], !value.isEmpty else { return nil }
        return try WorkloadAPIAddress(value)
    }

    /// The address as a URI: `unix:///path` or `tcp://host:port`.
    public var description: String {
        switch self.kind {
        case .unix(let path): path.hasPrefix("/") ? "unix://\(path)" : "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }

    /// `host:port` as Go's `url.URL.Hostname` and `Port` read it: brackets off an IPv6 literal, the port after the
    /// last colon, digits only.
    private static func splitHostPort(_ host: String) throws(WorkloadAPIError) -> (String, Int?) {
        var hostname = Substring(host)
        var portText: Substring?
        if hostname.hasPrefix("[") {
            guard let close = hostname.firstIndex(of: "]") else {
                throw WorkloadAPIError(.invalidEndpoint, "the workload endpoint's IPv6 address has no closing bracket")
            }
            let rest = hostname[hostname.index(after: close)...]
            hostname = hostname[hostname.index(after: hostname.startIndex)..<close]
            if rest.hasPrefix(":") {
                portText = rest.dropFirst()
            } else if !rest.isEmpty {
                throw WorkloadAPIError(.invalidEndpoint, "the workload endpoint's address has text after its IPv6 part")
            }
        } else if let colon = hostname.lastIndex(of: ":") {
            portText = hostname[hostname.index(after: colon)...]
            hostname = hostname[..<colon]
        }
        guard let portText, !portText.isEmpty else { return (String(hostname), nil) }
        guard portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let port = Int(portText), port <= 65535 else {
            throw WorkloadAPIError(.invalidEndpoint, "the workload endpoint's port '\(portText)' is not a port number")
        }
        return (String(hostname), port)
    }

    /// The address in its canonical text, or `nil` when `text` is not an IPv4 or IPv6 address.
    private static func normalizedIPAddress(_ text: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if inet_pton(AF_INET, text, &v4) == 1 {
            return inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
        return nil
    }
}

/// A URI cut as Go's `net/url.Parse` cuts it, for the parts an endpoint address may have: enough to give go-spiffe's
/// verdict on every address, not a general URI parser.
private struct URIParts {
    var scheme = ""
    var opaque: String?
    var userInfo: String?
    var host = ""
    var path = ""
    var query: String?
    var fragment: String?

    init(_ uri: String) throws(WorkloadAPIError) {
        if uri.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw WorkloadAPIError(.invalidEndpoint, "the workload endpoint socket URI holds a control character")
        }
        var rest = Substring(uri)
        // As Go, an empty query, fragment or opaque part counts as none.
        if let hash = rest.firstIndex(of: "#") {
            let fragment = rest[rest.index(after: hash)...]
            self.fragment = fragment.isEmpty ? nil : String(fragment)
            rest = rest[..<hash]
        }
        // A scheme: a letter, then letters, digits, `+`, `-` or `.`, up to the first colon.
        if let colon = rest.firstIndex(of: ":"), let first = rest.first, first.isASCII, first.isLetter {
            let candidate = rest[..<colon]
            if candidate.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) {
                self.scheme = candidate.lowercased()
                rest = rest[rest.index(after: colon)...]
            }
        }
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            self.query = query.isEmpty ? nil : String(query)
            rest = rest[..<question]
        }
        if !self.scheme.isEmpty && !rest.hasPrefix("/") {
            self.opaque = rest.isEmpty ? nil : String(rest)
            return
        }
        if rest.hasPrefix("//") {
            let authorityAndPath = rest.dropFirst(2)
            let slash = authorityAndPath.firstIndex(of: "/") ?? authorityAndPath.endIndex
            var authority = authorityAndPath[..<slash]
            if let at = authority.lastIndex(of: "@") {
                self.userInfo = String(authority[..<at])
                authority = authority[authority.index(after: at)...]
            }
            self.host = String(authority)
            self.path = String(authorityAndPath[slash...])
        } else {
            self.path = String(rest)
        }
    }
}
