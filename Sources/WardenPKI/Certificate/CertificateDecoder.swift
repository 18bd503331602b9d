public import X509
import SwiftASN1

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
        let bytes = Array(bytes)
        if PEM.looksLikePEM(bytes) {
            let blocks = try PEM.decode(bytes)
            let certificates = try blocks.lazy.filter { $0.kind == .certificate }.map { block in
                Decoded(certificate: try Self.parse(block.derBytes, context: "\(block)"), derBytes: block.derBytes)
            }
            guard !certificates.isEmpty else {
                throw PKIError(.noObjectFound, "no CERTIFICATE block found (\(blocks.isEmpty ? "no PEM blocks" : "blocks: " + blocks.map(\.label).joined(separator: ", ")))")
            }
            return certificates
        }
        guard bytes.first == 0x30 else {
            throw PKIError(.unrecognizedFormat, bytes.isEmpty ? "the input is empty" : "the input is neither PEM (no BEGIN line) nor DER (does not start with a SEQUENCE)")
        }
        return [Decoded(certificate: try Self.parse(bytes, context: "the DER input"), derBytes: bytes)]
    }

    /// The certificates of ``decodeAll(_:)`` without their bytes.
    public static func certificates(from bytes: some Collection<UInt8>) throws -> [Certificate] {
        try Self.decodeAll(bytes).map(\.certificate)
    }

    /// Parses one DER certificate.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedCertificate`` or ``PKIError/Code/inputTooLarge``.
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
