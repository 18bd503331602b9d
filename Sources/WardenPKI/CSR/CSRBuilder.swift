import SwiftASN1
public import X509

/// Builds PKCS#10 certificate signing requests: subject, subject alternative names, key usage and extended key usage
/// requests, signed by any ``PrivateKey``.
///
/// ```swift
/// let key = try PrivateKey.generate(.p256)
/// var builder = CSRBuilder()
/// builder.uris = ["spiffe://example.org/payments"]
/// builder.dnsNames = ["payments.internal"]
/// let pem = try builder.pemEncoded(signingWith: key)
/// ```
///
/// A SPIFFE ID goes in as a URI SAN. When the subject is empty the SAN extension is marked critical, as RFC 5280
/// §4.2.1.6 requires.
public struct CSRBuilder: Sendable {
    /// The subject distinguished name; empty by default.
    public var subject: DistinguishedName
    /// DNS names for the subject alternative name extension.
    public var dnsNames: [String] = []
    /// IP addresses (IPv4 dotted quad or IPv6 text) for the subject alternative name extension.
    public var ipAddresses: [String] = []
    /// URIs (SPIFFE IDs among them) for the subject alternative name extension.
    public var uris: [String] = []
    /// Email addresses for the subject alternative name extension.
    public var emails: [String] = []
    /// The key usage to request, or `nil` to request none.
    public var keyUsage: KeyUsage?
    /// The extended key usages to request; none when empty.
    public var extendedKeyUsage: [ExtendedKeyUsage.Usage] = []

    /// A builder with the given subject.
    public init(subject: DistinguishedName = DistinguishedName()) {
        self.subject = subject
    }

    /// A builder whose subject is parsed from an RFC 4514 string such as `CN=payments,O=Example`.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/invalidDistinguishedName``.
    public init(subject: String) throws {
        self.init(subject: try DistinguishedNameFormatter.parse(subject))
    }

    /// The extensions the request asks for.
    public func requestedExtensions() throws -> Certificate.Extensions {
        var extensions = Certificate.Extensions()
        var names: [GeneralName] = []
        names += self.dnsNames.map { .dnsName($0) }
        for address in self.ipAddresses {
            guard let bytes = IPAddressText.parse(address) else {
                throw PKIError(
                    .invalidSubjectAlternativeName,
                    "IP address SAN '\(address)' is neither IPv4 nor IPv6 text"
                )
            }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        for uri in self.uris {
            guard uri.contains(":"), !uri.contains(where: \.isWhitespace) else {
                throw PKIError(.invalidSubjectAlternativeName, "URI SAN '\(uri)' is not an absolute URI")
            }
            names.append(.uniformResourceIdentifier(uri))
        }
        for email in self.emails {
            guard email.contains("@"), !email.contains(where: \.isWhitespace) else {
                throw PKIError(.invalidSubjectAlternativeName, "email SAN '\(email)' is not an email address")
            }
            names.append(.rfc822Name(email))
        }
        do {
            if !names.isEmpty {
                let critical = self.subject.isEmpty
                try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: critical))
            }
            if let keyUsage = self.keyUsage {
                try extensions.append(Certificate.Extension(keyUsage, critical: true))
            }
            if !self.extendedKeyUsage.isEmpty {
                try extensions.append(
                    Certificate.Extension(ExtendedKeyUsage(self.extendedKeyUsage), critical: false)
                )
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.invalidSubjectAlternativeName, "the requested extensions cannot be encoded: \(error)")
        }
        return extensions
    }

    /// Builds the request and signs it with `key`, using the key's ``PrivateKey/signatureAlgorithm``.
    public func build(signingWith key: PrivateKey) throws -> CertificateSigningRequest {
        let extensions = try self.requestedExtensions()
        var attributes = CertificateSigningRequest.Attributes()
        if !extensions.isEmpty {
            do {
                attributes.insert(try .init(ExtensionRequest(extensions: extensions)))
            } catch {
                throw PKIError(.signingFailed, "the extension request cannot be encoded: \(error)")
            }
        }
        do {
            return try CertificateSigningRequest(
                version: .v1,
                subject: self.subject,
                privateKey: key.certificatePrivateKey,
                attributes: attributes,
                signatureAlgorithm: key.signatureAlgorithm
            )
        } catch {
            throw PKIError(.signingFailed, "signing the CSR with the \(key.type) key failed: \(error)")
        }
    }

    /// Builds, signs and DER-encodes the request.
    public func derEncoded(signingWith key: PrivateKey) throws -> [UInt8] {
        try CSRDecoder.derBytes(of: self.build(signingWith: key))
    }

    /// Builds, signs and PEM-encodes the request (`-----BEGIN CERTIFICATE REQUEST-----`).
    public func pemEncoded(signingWith key: PrivateKey) throws -> String {
        PEM.encode(label: "CERTIFICATE REQUEST", derBytes: try self.derEncoded(signingWith: key))
    }
}
