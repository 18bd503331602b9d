package import X509

/// RFC 6125 §6.4: is the leaf valid for the name the peer was addressed by? Subject alternative names only, never the
/// subject's common name; a DNS wildcard only as the whole leftmost label (`*.example.com`), never partial (`f*.`),
/// bare (`*`) or directly over a single label (`*.com`), and matching exactly one label.
package enum PeerNameRule {
    package enum Violation: Error {
        case malformedSubjectAlternativeNames(String)
        case invalidReference
        case noMatch
    }

    package static func check(_ leaf: Certificate, against peer: PeerName) throws(Violation) {
        let names: [GeneralName]
        do { names = try leaf.extensions.subjectAlternativeNames.map(Array.init) ?? [] } catch {
            throw .malformedSubjectAlternativeNames("\(error)")
        }
        switch peer {
        case .dns(let reference):
            guard let reference = Self.normalizedDNSName(reference) else { throw .invalidReference }
            for case .dnsName(let presented) in names where Self.matches(presented: presented, reference) {
                return
            }
        case .ipAddress(let text):
            guard let address = IPAddressText.parse(text) else { throw .invalidReference }
            for case .ipAddress(let octets) in names where Array(octets.bytes) == address { return }
        case .email(let reference):
            guard let at = reference.lastIndex(of: "@") else { throw .invalidReference }
            let (local, domain) = (reference[..<at], reference[reference.index(after: at)...].lowercased())
            for case .rfc822Name(let presented) in names {
                guard let presentedAt = presented.lastIndex(of: "@") else { continue }
                if presented[..<presentedAt] == local
                    && presented[presented.index(after: presentedAt)...].lowercased() == domain
                {
                    return
                }
            }
        }
        throw .noMatch
    }

    /// A reference DNS name in lowercase, without one trailing dot; nil when it is not a hostname.
    static func normalizedDNSName(_ name: String) -> String? {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, !name.contains("*"), IPAddressText.parse(name) == nil else { return nil }
        guard name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty }) else {
            return nil
        }
        return name
    }

    static func matches(presented: String, _ reference: String) -> Bool {
        var presented = presented.lowercased()
        if presented.hasSuffix(".") { presented.removeLast() }
        guard presented.hasPrefix("*.") else { return !presented.contains("*") && presented == reference }
        let base = presented.dropFirst(2)
        // `*.com` would cover a whole top-level domain; the base needs two labels, and no other wildcard.
        guard base.contains("."), !base.contains("*"),
            let dot = reference.firstIndex(of: "."), dot != reference.startIndex
        else { return false }
        return reference[reference.index(after: dot)...] == base
    }
}
