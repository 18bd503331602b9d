public import WardenPKI
public import X509

/// An X509-SVID: a workload's SPIFFE ID in a certificate chain, with the private key of the leaf.
///
/// Creating one checks every rule of `X509-SVID.md` that a holder can check without a trust bundle:
/// the leaf has exactly one URI SAN, a SPIFFE ID with a path; the leaf is not a CA; its key usage is present,
/// critical, has digitalSignature and has neither keyCertSign nor cRLSign; every certificate after the leaf is a CA
/// with keyCertSign; and the private key belongs to the leaf. Checks run in go-spiffe's order: certificates first,
/// then the key.
///
/// The description names the SPIFFE ID and chain length, never the key.
public struct X509SVID: Sendable, CustomStringConvertible {
    /// The SPIFFE ID of the leaf.
    public let id: SPIFFEID
    /// The chain, leaf first, then any intermediates.
    public let certificates: [Certificate]
    /// The private key of the leaf.
    public let privateKey: PrivateKey

    /// The leaf certificate.
    public var leaf: Certificate { self.certificates[0] }

    /// Checks the chain and key and makes an X509-SVID.
    ///
    /// - Throws: ``SPIFFEError`` naming the rule that failed.
    public init(certificates: [Certificate], privateKey: PrivateKey?) throws {
        guard let leaf = certificates.first else {
            throw SPIFFEError(.noCertificates, "the X509-SVID has no certificate")
        }
        self.id = try Self.validateLeaf(leaf)
        for certificate in certificates.dropFirst() {
            try Self.validateSigningCertificate(certificate)
        }
        guard let privateKey else {
            throw SPIFFEError(.noPrivateKey, "the X509-SVID has no private key")
        }
        guard privateKey.matches(leaf.publicKey) else {
            throw SPIFFEError(
                .privateKeyMismatch,
                "the private key does not belong to the leaf certificate of \(self.id)"
            )
        }
        self.certificates = certificates
        self.privateKey = privateKey
    }

    /// Parses the chain and the key from PEM (or DER) bytes. Both may be the same file; blocks of other kinds are
    /// skipped, and the key is the first private key block.
    public static func parse(certificates certificateBytes: [UInt8], privateKey keyBytes: [UInt8]) throws -> X509SVID {
        let certificates: [Certificate]
        do {
            certificates = try CertificateDecoder.certificates(from: certificateBytes)
        } catch let error as PKIError where error.code == .noObjectFound {
            throw SPIFFEError(.noCertificates, "no certificate found: \(error.message)")
        } catch let error as PKIError {
            throw SPIFFEError(.malformedInput, "cannot parse the certificates: \(error.message)")
        }
        // Certificate rules come before the key, as in go-spiffe, so a bad chain is reported even with a bad key.
        _ = try certificates.first.map(Self.validateLeaf)
        let privateKey: PrivateKey?
        do {
            privateKey = try PrivateKey(bytes: keyBytes)
        } catch let error as PKIError where error.code == .noObjectFound {
            privateKey = nil
        } catch let error as PKIError {
            throw SPIFFEError(.malformedInput, "cannot parse the private key: \(error.message)")
        }
        return try X509SVID(certificates: certificates, privateKey: privateKey)
    }

    /// Reads the chain and the key from files (they may be one file).
    public static func load(certificateFile: String, keyFile: String) throws -> X509SVID {
        do {
            return try Self.parse(certificates: PKIFile.read(certificateFile), privateKey: PKIFile.read(keyFile))
        } catch let error as PKIError {
            throw SPIFFEError(.malformedInput, error.message)
        }
    }

    /// Checks the X509-SVID rules of a leaf certificate and returns its SPIFFE ID.
    public static func validateLeaf(_ leaf: Certificate) throws(SPIFFEError) -> SPIFFEID {
        let extensions = leaf.extensions
        let names: SubjectAlternativeNames?
        let constraints: BasicConstraints?
        do {
            names = try extensions.subjectAlternativeNames
            constraints = try extensions.basicConstraints
        } catch {
            throw SPIFFEError(.malformedInput, "the leaf has a malformed extension: \(error)")
        }
        let uris =
            names.map {
                $0.compactMap { name -> String? in
                    if case .uniformResourceIdentifier(let uri) = name { return uri }
                    return nil
                }
            } ?? []
        guard let uri = uris.first else {
            throw SPIFFEError(.leafMissingSPIFFEID, "the leaf has no URI SAN, so no SPIFFE ID")
        }
        guard uris.count == 1 else {
            throw SPIFFEError(
                .leafHasMultipleURISANs,
                "the leaf has \(uris.count) URI SANs; an X509-SVID has exactly one"
            )
        }
        let id = try SPIFFEID(uri)
        guard !id.isTrustDomainID else {
            throw SPIFFEError(
                .leafSPIFFEIDHasRootPath,
                "the leaf's SPIFFE ID \(id) has no path; a workload's must have one"
            )
        }
        if case .isCertificateAuthority = constraints {
            throw SPIFFEError(.leafIsCA, "the leaf of \(id) is a CA (basic constraints cA=true)")
        }
        guard let keyUsageExtension = extensions[oid: .X509ExtensionID.keyUsage] else {
            throw SPIFFEError(.leafMissingKeyUsage, "the leaf of \(id) has no key usage extension")
        }
        let keyUsage: KeyUsage
        do {
            keyUsage = try KeyUsage(keyUsageExtension)
        } catch {
            throw SPIFFEError(.malformedInput, "the leaf of \(id) has a malformed key usage extension: \(error)")
        }
        guard keyUsage.digitalSignature else {
            throw SPIFFEError(.leafMissingDigitalSignature, "the leaf of \(id) lacks digitalSignature in its key usage")
        }
        guard !keyUsage.keyCertSign else {
            throw SPIFFEError(.leafHasKeyCertSign, "the leaf of \(id) has keyCertSign in its key usage")
        }
        guard !keyUsage.cRLSign else {
            throw SPIFFEError(.leafHasCRLSign, "the leaf of \(id) has cRLSign in its key usage")
        }
        guard keyUsageExtension.critical else {
            throw SPIFFEError(
                .leafKeyUsageNotCritical,
                "the leaf of \(id) has a key usage extension that is not critical"
            )
        }
        return id
    }

    /// Checks the X509-SVID rules of a certificate that signs others: a CA with keyCertSign.
    public static func validateSigningCertificate(_ certificate: Certificate) throws {
        _ = try Self.signingCertificatePathLength(certificate)
    }

    /// Checks the signing-certificate rules and returns the pathLenConstraint, `nil` when unbounded.
    static func signingCertificatePathLength(_ certificate: Certificate) throws(SPIFFEError) -> Int? {
        do {
            return try SigningCertificateRule.check(certificate, requireKeyUsage: true)
        } catch {
            let subject = Self.subject(of: certificate)
            switch error {
            case .malformedExtension(let detail):
                throw SPIFFEError(
                    .malformedInput,
                    "signing certificate '\(subject)' has a malformed extension: \(detail)"
                )
            case .notCA:
                throw SPIFFEError(.issuerNotCA, "signing certificate '\(subject)' is not a CA")
            case .missingKeyCertSign:
                throw SPIFFEError(
                    .issuerMissingKeyCertSign,
                    "signing certificate '\(subject)' lacks keyCertSign in its key usage"
                )
            }
        }
    }

    static func subject(of certificate: Certificate) -> String {
        DistinguishedNameFormatter.string(from: certificate.subject)
    }

    /// `X509SVID(spiffe://…, chain: n, key: p256)`.
    public var description: String {
        "X509SVID(\(self.id), chain: \(self.certificates.count), key: \(self.privateKey.type))"
    }
}
