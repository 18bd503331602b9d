import SwiftASN1
public import X509

/// A certificate's or CSR's subject alternative names, grouped by kind, as strings.
public struct SubjectAlternativeNameList: Hashable, Sendable, Codable {
    /// `dNSName` entries.
    public var dns: [String] = []
    /// `iPAddress` entries, as dotted IPv4 or RFC 5952 IPv6 text.
    public var ip: [String] = []
    /// `uniformResourceIdentifier` entries, SPIFFE IDs among them.
    public var uri: [String] = []
    /// `rfc822Name` (email) entries.
    public var email: [String] = []
    /// Entries of any other kind (`otherName`, `directoryName`, `registeredID`, …), described as text.
    public var other: [String] = []

    /// An empty list.
    public init() {}

    /// Groups swift-certificates' names by kind.
    public init(_ names: SubjectAlternativeNames) {
        for name in names {
            switch name {
            case .dnsName(let value): self.dns.append(value)
            case .uniformResourceIdentifier(let value): self.uri.append(value)
            case .rfc822Name(let value): self.email.append(value)
            case .ipAddress(let octets): self.ip.append(IPAddressText.format(octets.bytes))
            case .directoryName(let name): self.other.append("dirName:" + DistinguishedNameFormatter.string(from: name))
            case .registeredID(let oid): self.other.append("registeredID:\(oid)")
            case .otherName(let otherName): self.other.append("otherName:\(otherName.typeID)")
            default: self.other.append("\(name)")
            }
        }
    }

    /// Whether there is no name at all.
    public var isEmpty: Bool {
        self.dns.isEmpty && self.ip.isEmpty && self.uri.isEmpty && self.email.isEmpty && self.other.isEmpty
    }

    /// The total number of names.
    public var count: Int {
        self.dns.count + self.ip.count + self.uri.count + self.email.count + self.other.count
    }
}
