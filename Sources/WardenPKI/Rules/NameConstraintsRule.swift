import SwiftASN1
package import X509

/// Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)–(c)), all of them Warden's own: swift-certificates supports
/// neither email nor directory-name subtrees, constrains self-issued intermediates, and lets a wildcard DNS name
/// through an excluded subtree it covers (x509-limbo `cve-2025-61727`).
///
/// The extension must be critical, name at least one subtree, and hold well-formed subtrees (a DNS subtree is a
/// hostname, an IP subtree an address and a contiguous mask). Every name of every certificate below the CA is then
/// checked, but a self-issued intermediate's: the subject (as a directory name) and each subject alternative name.
/// A name inside an excluded subtree of its type is refused; so is one outside every permitted subtree of its type,
/// when there are any. A name of a type Warden cannot compare (x400Address, ediPartyName, registeredID, an otherName
/// of the constrained type) is refused when a subtree of that type applies: fail closed.
package enum NameConstraintsRule {
    /// Checks the constraints of `chain[index]` against every certificate below it.
    package static func check(_ chain: [Certificate], at index: Int) throws(PKIError) {
        let ca = chain[index]
        guard let raw = ca.extensions[oid: .X509ExtensionID.nameConstraints] else { return }
        let caName = CertificateNaming.name(ca, at: index)
        guard raw.critical else {
            throw PKIError(
                .invalidNameConstraints,
                "\(caName) has name constraints not marked critical (RFC 5280 §4.2.1.10)"
            )
        }
        guard let constraints = try? NameConstraints(raw) else {
            throw PKIError(.invalidNameConstraints, "\(caName) has name constraints that do not decode")
        }
        let permitted = constraints.permittedSubtrees
        let excluded = constraints.excludedSubtrees
        if permitted.isEmpty && excluded.isEmpty {
            throw PKIError(
                .invalidNameConstraints,
                "\(caName) has name constraints with no subtree (RFC 5280 §4.2.1.10 forbids an empty sequence)"
            )
        }
        for subtree in permitted + excluded {
            if let problem = Self.malformation(of: subtree) {
                throw PKIError(.invalidNameConstraints, "\(caName) has \(problem)")
            }
        }
        for below in chain[..<index].indices {
            let certificate = chain[below]
            // §6.1.3 (b): a self-issued certificate that is not the leaf is not subject to the constraints.
            if below > 0 && certificate.subject == certificate.issuer { continue }
            var names = (try? certificate.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
            if !certificate.subject.isEmpty { names.append(.directoryName(certificate.subject)) }
            names += Self.subjectEmailAddresses(certificate)
            for name in names {
                if let outcome = Self.excluded(name, by: excluded.filter { Self.kind(of: $0) == Self.kind(of: name) }) {
                    throw PKIError(
                        .nameConstraintsViolated,
                        "\(CertificateNaming.name(certificate, at: below)) has \(Self.describe(name)), \(outcome) of \(caName)"
                    )
                }
                let sameKind = permitted.filter { Self.kind(of: $0) == Self.kind(of: name) }
                if !sameKind.isEmpty, let outcome = Self.notPermitted(name, by: sameKind) {
                    throw PKIError(
                        .nameConstraintsViolated,
                        "\(CertificateNaming.name(certificate, at: below)) has \(Self.describe(name)), \(outcome) of \(caName)"
                    )
                }
            }
        }
    }

    /// The number of name-to-subtree comparisons checking `chain[index]`'s constraints takes, for the budget.
    static func comparisons(_ chain: [Certificate], at index: Int) -> Int {
        guard let constraints = try? chain[index].extensions.nameConstraints else { return 0 }
        let subtrees = constraints.permittedSubtrees.count + constraints.excludedSubtrees.count
        var names = 0
        for certificate in chain[..<index] {
            names += 1 + ((try? certificate.extensions.subjectAlternativeNames)??.count ?? 0)
            names += Self.subjectEmailAddresses(certificate).count
        }
        return names * subtrees
    }

    /// §4.2.1.10: emailAddress attributes of the subject are constrained as rfc822Name subtrees constrain mailboxes.
    static func subjectEmailAddresses(_ certificate: Certificate) -> [GeneralName] {
        let emailAddress: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 1]
        return certificate.subject.flatMap { $0 }.filter { $0.type == emailAddress }.map {
            .rfc822Name(String(describing: $0.value))
        }
    }

    // MARK: - Matching

    private enum Kind: Equatable {
        case dns, ip, email, uri, directory
        case otherName(String)
        case uncomparable(Int)
    }

    private static func kind(of name: GeneralName) -> Kind {
        switch name {
        case .dnsName: .dns
        case .ipAddress: .ip
        case .rfc822Name: .email
        case .uniformResourceIdentifier: .uri
        case .directoryName: .directory
        case .otherName(let other): .otherName("\(other.typeID)")
        case .x400Address: .uncomparable(3)
        case .ediPartyName: .uncomparable(5)
        case .registeredID: .uncomparable(8)
        }
    }

    /// Why `name` is refused by an excluded subtree of its own kind, if it is.
    private static func excluded(_ name: GeneralName, by subtrees: [GeneralName]) -> String? {
        for subtree in subtrees {
            switch (name, subtree) {
            case (.dnsName(let dnsName), .dnsName(let domain)):
                let dnsName = dnsName.lowercased()
                let domain = domain.lowercased()
                if dnsName.hasPrefix("*.") {
                    if Self.wildcard(String(dnsName.dropFirst(2)), overlaps: domain) {
                        return "which covers names in the excluded subtree '\(domain)'"
                    }
                } else if Self.domain(dnsName, isWithin: domain) {
                    return "inside the excluded subtree '\(domain)'"
                }
            case (.ipAddress(let address), .ipAddress(let range)):
                if Self.address(Array(address.bytes), isWithin: Array(range.bytes)) {
                    return "inside an excluded IP range"
                }
            case (.rfc822Name(let mailbox), .rfc822Name(let constraint)):
                if Self.mailbox(mailbox, isWithin: constraint) {
                    return "inside the excluded email subtree '\(constraint)'"
                }
            case (.uniformResourceIdentifier(let uri), .uniformResourceIdentifier(let constraint)):
                guard let host = Self.host(ofURI: uri) else { return "which has no host to compare with URI subtrees" }
                if Self.uriHost(host, isWithin: constraint) {
                    return "inside the excluded URI subtree '\(constraint)'"
                }
            case (.directoryName(let directoryName), .directoryName(let constraint)):
                if Self.name(directoryName, isWithin: constraint) {
                    return "inside the excluded subtree '\(DistinguishedNameFormatter.string(from: constraint))'"
                }
            default:
                // A type Warden cannot compare, under a subtree of that type: fail closed.
                return "which cannot be compared with the excluded subtrees of its type"
            }
        }
        return nil
    }

    /// Why `name` is outside every permitted subtree of its own kind, if it is.
    private static func notPermitted(_ name: GeneralName, by subtrees: [GeneralName]) -> String? {
        for subtree in subtrees {
            switch (name, subtree) {
            case (.dnsName(let dnsName), .dnsName(let domain)):
                let dnsName = dnsName.lowercased()
                let base = dnsName.hasPrefix("*.") ? String(dnsName.dropFirst(2)) : dnsName
                if Self.domain(base, isWithin: domain.lowercased()) { return nil }
            case (.ipAddress(let address), .ipAddress(let range)):
                if Self.address(Array(address.bytes), isWithin: Array(range.bytes)) { return nil }
            case (.rfc822Name(let mailbox), .rfc822Name(let constraint)):
                if Self.mailbox(mailbox, isWithin: constraint) { return nil }
            case (.uniformResourceIdentifier(let uri), .uniformResourceIdentifier(let constraint)):
                if let host = Self.host(ofURI: uri), Self.uriHost(host, isWithin: constraint) { return nil }
            case (.directoryName(let directoryName), .directoryName(let constraint)):
                if Self.name(directoryName, isWithin: constraint) { return nil }
            default:
                return "which cannot be compared with the permitted subtrees of its type"
            }
        }
        return "outside every permitted subtree of its type"
    }

    /// Whether `domain` is `subtree` or below it (an empty subtree holds every name).
    static func domain(_ domain: String, isWithin subtree: String) -> Bool {
        subtree.isEmpty || domain == subtree || domain.hasSuffix("." + subtree)
    }

    /// Whether `*.base`, which matches exactly one label more than `base`, names anything inside `subtree`.
    static func wildcard(_ base: String, overlaps subtree: String) -> Bool {
        if Self.domain(base, isWithin: subtree) { return true }
        guard let dot = subtree.firstIndex(of: ".") else { return false }
        return subtree[subtree.index(after: dot)...] == base
    }

    /// RFC 5280 §4.2.1.10: `user@host` is one mailbox, `host` every mailbox at that host, `.example.com` every
    /// mailbox at a host below example.com. Hosts compare case-insensitively, local parts exactly.
    static func mailbox(_ mailbox: String, isWithin constraint: String) -> Bool {
        guard let at = mailbox.lastIndex(of: "@") else { return false }
        let local = mailbox[..<at]
        let host = mailbox[mailbox.index(after: at)...].lowercased()
        if let constraintAt = constraint.lastIndex(of: "@") {
            return local == constraint[..<constraintAt]
                && host == constraint[constraint.index(after: constraintAt)...].lowercased()
        }
        let constraint = constraint.lowercased()
        if constraint.hasPrefix(".") { return host.hasSuffix(constraint) }
        return host == constraint
    }

    /// A URI subtree is a host (that host only) or `.domain` (hosts below it).
    static func uriHost(_ host: String, isWithin constraint: String) -> Bool {
        let host = host.lowercased()
        let constraint = constraint.lowercased()
        if constraint.hasPrefix(".") { return host.hasSuffix(constraint) }
        return host == constraint
    }

    /// The host of `scheme://[userinfo@]host[:port][/...]`.
    static func host(ofURI uri: String) -> String? {
        guard let schemeEnd = uri.range(of: "://") else { return nil }
        var authority = uri[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") { return nil }  // an IP literal is not a host name
        let host = authority.prefix { $0 != ":" }
        return host.isEmpty ? nil : String(host)
    }

    /// Whether the RDNs of `subtree` begin `name`'s.
    static func name(_ name: DistinguishedName, isWithin subtree: DistinguishedName) -> Bool {
        guard subtree.count <= name.count else { return false }
        return zip(subtree, name).allSatisfy { $0 == $1 }
    }

    /// Whether an address of 4 or 16 octets is inside `range`, an address and mask of the same family.
    static func address(_ address: [UInt8], isWithin range: [UInt8]) -> Bool {
        guard range.count == 2 * address.count else { return false }
        let half = address.count
        return (0..<half).allSatisfy { address[$0] & range[half + $0] == range[$0] & range[half + $0] }
    }

    // MARK: - Well-formed subtrees

    private static func malformation(of subtree: GeneralName) -> String? {
        switch subtree {
        case .dnsName(let domain):
            guard domain.isEmpty || EndEntityRule.isHostname(domain, wildcardAllowed: false) else {
                return "DNS name constraint '\(domain)', which is not a hostname"
            }
        case .ipAddress(let range):
            let bytes = Array(range.bytes)
            guard bytes.count == 8 || bytes.count == 32, Self.isContiguousMask(bytes[(bytes.count / 2)...]) else {
                return "an IP address constraint that is not an address and a contiguous mask"
            }
        default:
            break
        }
        return nil
    }

    private static func isContiguousMask(_ mask: ArraySlice<UInt8>) -> Bool {
        var seenZero = false
        for byte in mask {
            for bit in (0..<8).reversed() {
                let set = byte & (1 << bit) != 0
                if set && seenZero { return false }
                if !set { seenZero = true }
            }
        }
        return true
    }

    private static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let value): "DNS name '\(value)'"
        case .ipAddress(let octets): "IP address \(IPAddressText.format(octets.bytes))"
        case .rfc822Name(let value): "email address '\(value)'"
        case .uniformResourceIdentifier(let value): "URI '\(value)'"
        case .directoryName(let value): "directory name '\(DistinguishedNameFormatter.string(from: value))'"
        case .otherName(let other): "an otherName of type \(other.typeID)"
        default: "a name of a type Warden cannot compare"
        }
    }
}
