import SwiftASN1
public import X509

/// Reads PKCS#10 certificate signing requests from DER or PEM.
public enum CSRDecoder {
    /// The first certificate signing request in `bytes` (a `CERTIFICATE REQUEST` PEM block, or DER).
    ///
    /// - Throws: ``PKIError``: a PEM error naming the block, ``PKIError/Code/noObjectFound``,
    ///   ``PKIError/Code/unrecognizedFormat`` or ``PKIError/Code/malformedCertificateSigningRequest``.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> CertificateSigningRequest {
        let object = try PKIInput.objects(
            in: Array(bytes),
            kind: .certificateSigningRequest,
            label: "CERTIFICATE REQUEST"
        )[0]
        return try Self.parse(object.der, context: object.context)
    }

    /// Reads the first certificate signing request in a PEM or DER file.
    public static func load(from path: String) throws -> CertificateSigningRequest {
        try Self.decode(PKIFile.read(path))
    }

    /// The DER encoding of a request.
    public static func derBytes(of request: CertificateSigningRequest) throws -> [UInt8] {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(request)
            return serializer.serializedBytes
        } catch {
            throw PKIError(.malformedCertificateSigningRequest, "the CSR cannot be DER-encoded: \(error)")
        }
    }

    private static func parse(_ der: [UInt8], context: String) throws -> CertificateSigningRequest {
        do {
            return try CertificateSigningRequest(derEncoded: der)
        } catch {
            throw PKIError(
                .malformedCertificateSigningRequest,
                "\(context) is not a well-formed PKCS#10 request: \(error)"
            )
        }
    }
}
