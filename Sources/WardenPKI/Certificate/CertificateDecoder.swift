import SwiftASN1
public import X509

/// Reads certificates from DER or PEM, detecting which automatically.
public enum CertificateDecoder {
    /// One certificate and the exact bytes it was decoded from.
    public struct Decoded: Sendable, Hashable {
        /// The parsed certificate.
        public let certificate: Certificate
        /// The DER bytes it was parsed from, for fingerprints and re-export.
        public let derBytes: [UInt8]

        /// Pairs a certificate with its DER bytes.
        public init(certificate: Certificate, derBytes: [UInt8]) {
            self.certificate = certificate
            self.derBytes = derBytes
        }
    }

    /// Every certificate in `bytes`: all `CERTIFICATE` blocks of PEM text, in order, or one DER certificate.
    ///
    /// Blocks of other kinds in a PEM file (a key beside the chain) are skipped.
    ///
    /// - Throws: ``PKIError``: ``PKIError/Code/unrecognizedFormat`` for bytes that are neither PEM nor DER,
    ///   ``PKIError/Code/noObjectFound`` for PEM text without a certificate, a PEM error naming the block, or
    ///   ``PKIError/Code/malformedCertificate`` naming the block that does not parse.
    public static func decodeAll(_ bytes: some Collection<UInt8>) throws -> [Decoded] {
        try PKIInput.objects(in: Array(bytes), kind: .certificate, label: "CERTIFICATE").map { object in
            Decoded(certificate: try Self.parse(object.der, context: object.context), derBytes: object.der)
        }
    }

    /// The certificates of ``decodeAll(_:)`` without their bytes.
    public static func certificates(from bytes: some Collection<UInt8>) throws -> [Certificate] {
        try Self.decodeAll(bytes).map(\.certificate)
    }

    /// Parses one DER certificate.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedCertificate`` or ``PKIError/Code/inputTooLarge``.
    /// The DER encoding of `certificate`. A certificate that was parsed or built always serializes.
    public static func derBytes(of certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try! serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    public static func certificate(derEncoded bytes: [UInt8]) throws -> Certificate {
        try Self.parse(bytes, context: "the DER input")
    }

    /// Reads every certificate in a PEM or DER file.
    public static func load(from path: String) throws -> [Decoded] {
        try Self.decodeAll(PKIFile.read(path))
    }

    static func parse(_ der: [UInt8], context: String) throws -> Certificate {
        guard der.count <= PKILimits.maximumInputSize else {
            throw PKIError(.inputTooLarge, "\(context) has \(der.count) bytes, more than the limit")
        }
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw PKIError(.malformedCertificate, "\(context) is not a well-formed X.509 certificate: \(error)")
        }
    }
}
