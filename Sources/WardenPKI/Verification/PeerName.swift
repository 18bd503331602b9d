/// The name a peer's leaf certificate must be valid for, as the peer was addressed.
///
/// Matched against the leaf's subject alternative names only (RFC 6125 §6.4.4: no fallback to the subject's common
/// name): a DNS name against dNSName entries, with a wildcard only as the whole leftmost label of a name of three or
/// more labels; an IP address against iPAddress entries, byte for byte; an email address against rfc822Name entries,
/// the domain part case-insensitively.
public enum PeerName: Sendable, Hashable, CustomStringConvertible {
    case dns(String)
    /// An IPv4 or IPv6 address in text form (`192.0.2.1`, `2001:db8::1`).
    case ipAddress(String)
    case email(String)

    public var description: String {
        switch self {
        case .dns(let name): "DNS name '\(name)'"
        case .ipAddress(let address): "IP address \(address)"
        case .email(let address): "email address '\(address)'"
        }
    }
}
