import Foundation

/// A TLS endpoint `warden scan` connects to: `host:port`, `[v6]:port` or `https://host[:port]`.
struct TLSEndpoint: Hashable, Sendable {
    /// The protocols whose plaintext upgrade to TLS the scan speaks before its handshake.
    enum StartTLS: String, Sendable, CaseIterable {
        /// PostgreSQL's SSLRequest (protocol 3, §55.2.10), answered `S`.
        case postgres
        /// SMTP's `EHLO` then `STARTTLS` (RFC 3207), answered 220.
        case smtp
    }

    let host: String
    let port: Int
    /// The name sent as SNI and checked against the certificate: `--servername`, or the host when it is a name.
    let serverName: String?
    let startTLS: StartTLS?

    /// How the endpoint is named in findings: the target as given, so that a finding can be traced back to it.
    let location: String

    /// Why a target that looks like an endpoint was refused.
    enum Refusal: Error {
        /// `user:password@` in the target: refused, and never printed, since it is usually a credential.
        case userInfo
    }

    /// Reads `host:port`, `[v6]:port` or `https://host[:port]`; nil when the text is none of those.
    init?(_ text: String, serverName: String? = nil, startTLS: StartTLS? = nil) throws(Refusal) {
        var rest = Substring(text)
        var defaultPort: Int?
        if rest.lowercased().hasPrefix("https://") {
            rest = rest.dropFirst("https://".count)
            if let slash = rest.firstIndex(where: { "/?#".contains($0) }) { rest = rest[..<slash] }
            defaultPort = 443
        }
        if rest.contains("@") { throw .userInfo }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            if host.contains(":") { return nil }
        } else {
            host = rest
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:".contains($0)) })
        else {
            return nil
        }
        let port: Int
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
                let parsed = Int(portText), (1...65535).contains(parsed)
            else { return nil }
            port = parsed
        } else if let defaultPort {
            port = defaultPort
        } else {
            return nil
        }
        self.host = String(host)
        self.port = port
        let hostIsAddress = Self.IPv4Address(host) || host.contains(":")
        self.serverName = serverName ?? (hostIsAddress ? nil : String(host))
        self.startTLS = startTLS
        self.location = text
    }

    /// Whether `name` can be sent as SNI: an ASCII DNS name of 1 to 253 characters, not an IP address.
    static func isHostName(_ name: String) -> Bool {
        (1...253).contains(name.utf8.count) && !name.contains(":") && !Self.IPv4Address(Substring(name))
            && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                (1...63).contains(label.count)
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    private static func IPv4Address(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
