public import X509
import SwiftASN1

/// Reads PKCS#10 certificate signing requests from DER or PEM.
public enum CSRDecoder {
    /// The first certificate signing request in `bytes` (a `CERTIFICATE REQUEST` PEM block, or DER).
    ///
    /// - Throws: ``PKIError``: a PEM error naming the block, ``PKIError/Code/noObjectFound``,
    ///   ``PKIError/Code/unrecognizedFormat`` or ``PKIError/Code/malformedCertificateSigningRequest``.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> CertificateSigningRequest {
        let bytes = Array(bytes)
        guard bytes.count <= PKILimits.maximumInputSize else {
            throw PKIError(.inputTooLarge, "the input has \(bytes.count) bytes, more than the limit")
        }
        if PEM.looksLikePEM(bytes) {
            let blocks = try PEM.decode(bytes)
            guard let block = blocks.first(where: { $0.kind == .certificateSigningRequest }) else {
                throw PKIError(.noObjectFound, "no CERTIFICATE REQUEST block found (\(blocks.isEmpty ? "no PEM blocks" : "blocks: " + blocks.map(\.label).joined(separator: ", ")))")
            }
            return try Self.parse(block.derBytes, context: "\(block)")
        }
        guard bytes.first == 0x30 else {
            throw PKIError(.unrecognizedFormat, bytes.isEmpty ? "the input is empty" : "the input is neither PEM nor DER")
        }
        return try Self.parse(bytes, context: "the DER input")
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
            throw PKIError(.malformedCertificateSigningRequest, "\(context) is not a well-formed PKCS#10 request: \(error)")
        }
    }
}
