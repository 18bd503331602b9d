public import X509

/// What a certificate signing request asks for, and whether its self-signature is valid.
public struct CSRInfo: Hashable, Sendable, Codable {
    /// The subject as an RFC 4514 string.
    public var subject: String
    /// The public key's algorithm, curve and size.
    public var publicKey: PublicKeyInfo
    /// The signature algorithm, by its OpenSSL name.
    public var signatureAlgorithm: String
    /// Whether the request's signature verifies with its own public key (proof of possession of the private key).
    public var signatureValid: Bool
    /// The requested subject alternative names.
    public var subjectAlternativeNames: SubjectAlternativeNameList
    /// The requested key usage bits; `nil` when not requested.
    public var keyUsage: [String]?
    /// The requested extended key usages; `nil` when not requested.
    public var extendedKeyUsage: [String]?
    /// Every requested extension, with OID and criticality.
    public var requestedExtensions: [CertificateInfo.ExtensionInfo]

    /// Inspects a request and checks its signature.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedCertificateSigningRequest`` when the extension request
    ///   or a requested extension does not decode.
    public init(_ request: CertificateSigningRequest) throws {
        self.subject = DistinguishedNameFormatter.string(from: request.subject)
        self.publicKey = PublicKeyInfo(request.publicKey)
        self.signatureAlgorithm = ObjectIdentifierNames.signatureAlgorithmName(request.signatureAlgorithm)
        self.signatureValid = request.publicKey.isValidSignature(request.signature, for: request)
        do {
            let extensions = try request.attributes.extensionRequest?.extensions ?? Certificate.Extensions()
            self.subjectAlternativeNames =
                try extensions.subjectAlternativeNames.map(SubjectAlternativeNameList.init)
                ?? SubjectAlternativeNameList()
            self.keyUsage = try KeyUsageBits.decode(extensions)?.names
            self.extendedKeyUsage = try extensions.extendedKeyUsage.map {
                $0.map(ObjectIdentifierNames.extendedKeyUsageName)
            }
            self.requestedExtensions = extensions.map {
                CertificateInfo.ExtensionInfo(
                    oid: $0.oid.description,
                    name: ObjectIdentifierNames.extensionName($0.oid),
                    critical: $0.critical
                )
            }
        } catch {
            throw PKIError(.malformedCertificateSigningRequest, "the CSR's extension request is malformed: \(error)")
        }
    }
}
