/// Decodes certificate revocation lists from PEM (`X509 CRL` blocks) or DER.
public enum CRLDecoder {
    /// Every CRL in `bytes`: each `X509 CRL` block of PEM text, or the bytes themselves when they are DER.
    ///
    /// - Throws: ``PKIError``: ``PKIError/Code/inputTooLarge`` beyond `limits` (PEM text may be 4/3 of it), a PEM
    ///   error, ``PKIError/Code/noObjectFound``, ``PKIError/Code/malformedCRL``.
    public static func crls(
        from bytes: some Collection<UInt8>,
        limits: CRLLimits = .default
    ) throws(PKIError)
        -> [CertificateRevocationList]
    {
        do {
            let objects = try PKIInput.objects(
                in: Array(bytes),
                kind: .certificateRevocationList,
                label: "X509 CRL",
                maximumSize: limits.maximumSize / 3 * 4 + 4096
            )
            var lists: [CertificateRevocationList] = []
            for object in objects {
                do {
                    lists.append(try CertificateRevocationList(derEncoded: object.der, limits: limits))
                } catch {
                    throw PKIError(error.code, "\(object.context): \(error.message)")
                }
            }
            return lists
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedCRL, "the input is not a CRL: \(error)")
        }
    }

    /// The one CRL in `bytes`.
    ///
    /// - Throws: ``PKIError`` as ``crls(from:limits:)``, and ``PKIError/Code/unexpectedObject`` when there are several.
    public static func crl(
        from bytes: some Collection<UInt8>,
        limits: CRLLimits = .default
    ) throws(PKIError)
        -> CertificateRevocationList
    {
        let all = try Self.crls(from: bytes, limits: limits)
        guard all.count == 1 else {
            throw PKIError(.unexpectedObject, "expected one CRL, found \(all.count)")
        }
        return all[0]
    }

    /// Reads and decodes the CRLs in the file at `path`.
    public static func load(
        from path: String,
        limits: CRLLimits = .default
    ) throws(PKIError)
        -> [CertificateRevocationList]
    {
        try Self.crls(from: PKIFile.read(path, maximumSize: limits.maximumSize / 3 * 4 + 4096), limits: limits)
    }
}
