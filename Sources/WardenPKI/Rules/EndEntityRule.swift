package import X509

/// The leaf of a path is an end entity (RFC 5280 §4.2.1.3, §4.2.1.9, §4.2.1.10): not a CA, no keyCertSign, no name
/// constraints; and its names are well formed (§4.2.1.6): a critical SAN when the subject is empty, DNS names that are
/// hostnames (letters, digits and hyphens, with at most a leading `*.`), IP addresses of 4 or 16 octets.
package enum EndEntityRule {
    /// A server's certificate, verified by DNS name or IP address, also meets the CA/Browser Forum's rule for its SAN
    /// extension (BR §7.1.2.7.12): critical exactly when the subject is empty. RFC 5280 only advises against a
    /// critical SAN beside a subject, so a leaf verified without a server name (an X509-SVID, say) may have one.
    package static func checkServer(_ leaf: Certificate) throws(PKIError) {
        let san = leaf.extensions[oid: .X509ExtensionID.subjectAlternativeName]
        if !leaf.subject.isEmpty && san?.critical == true {
            throw PKIError(
                .invalidSubjectAlternativeName,
                "\(CertificateNaming.name(leaf, at: 0)) serves a DNS name or IP address but marks its subject alternative names critical beside a non-empty subject (CA/Browser Forum BR §7.1.2.7.12)"
            )
        }
    }

    package static func check(_ leaf: Certificate) throws(PKIError) {
        let name = CertificateNaming.name(leaf, at: 0)
        let extensions = leaf.extensions
        let basicConstraints: BasicConstraints?
        let keyUsage: KeyUsage?
        let names: SubjectAlternativeNames?
        do {
            basicConstraints = try extensions.basicConstraints
            keyUsage = try extensions.keyUsage
            names = try extensions.subjectAlternativeNames
        } catch {
            throw PKIError(.malformedExtension, "\(name) has an extension that does not decode: \(error)")
        }
        if case .isCertificateAuthority = basicConstraints {
            throw PKIError(.endEntityIsCA, "\(name) is presented as the leaf but is a CA (basic constraints cA=true)")
        }
        if let keyUsage, keyUsage.keyCertSign {
            throw PKIError(.endEntityIsCA, "\(name) is presented as the leaf but its key usage has keyCertSign")
        }
        if extensions[oid: .X509ExtensionID.nameConstraints] != nil {
            throw PKIError(
                .invalidNameConstraints,
                "\(name) is a leaf with name constraints, which only CA certificates may carry (RFC 5280 §4.2.1.10)"
            )
        }
        let san = extensions[oid: .X509ExtensionID.subjectAlternativeName]
        if leaf.subject.isEmpty && san?.critical != true {
            throw PKIError(
                .invalidSubjectAlternativeName,
                "\(name) has an empty subject, so its subject alternative names must be present and critical (RFC 5280 §4.2.1.6)"
            )
        }
        for entry in names.map(Array.init) ?? [] {
            switch entry {
            case .dnsName(let dnsName):
                guard Self.isHostname(dnsName, wildcardAllowed: true) else {
                    throw PKIError(
                        .invalidSubjectAlternativeName,
                        "\(name) has DNS name '\(dnsName)', which is not a hostname (RFC 5280 §4.2.1.6, RFC 1034)"
                    )
                }
            case .rfc822Name(let mailbox):
                let parts = mailbox.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, Self.isHostname(String(parts[1]), wildcardAllowed: false)
                else {
                    throw PKIError(
                        .invalidSubjectAlternativeName,
                        "\(name) has email address '\(mailbox)', which is not a mailbox (RFC 5280 §4.2.1.6)"
                    )
                }
            case .ipAddress(let octets):
                guard octets.bytes.count == 4 || octets.bytes.count == 16 else {
                    throw PKIError(
                        .invalidSubjectAlternativeName,
                        "\(name) has an IP address of \(octets.bytes.count) octets (4 or 16 required)"
                    )
                }
            default:
                continue
            }
        }
    }

    /// A preferred-syntax hostname (RFC 1034 §3.5, RFC 1123 §2.1): labels of 1 to 63 letters, digits and hyphens, not
    /// beginning or ending with a hyphen, not all numeric in the last label; with `wildcardAllowed`, `*` as a whole
    /// first label.
    package static func isHostname(_ name: String, wildcardAllowed: Bool) -> Bool {
        var labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !labels.isEmpty, name.utf8.count <= 253 else { return false }
        if wildcardAllowed, labels.count > 1, labels[0].elementsEqual("*".utf8) { labels.removeFirst() }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
            for byte in label {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                    continue
                default:
                    return false
                }
            }
        }
        // An all-numeric last label makes it an IP address, not a name.
        return !labels.last!.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
