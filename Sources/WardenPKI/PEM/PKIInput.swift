/// Finds the DER objects of one kind in bytes that may be PEM text or DER, for the decoders.
enum PKIInput {
    /// One DER object, with a description of where it came from for error messages.
    struct Object {
        let der: [UInt8]
        let context: String
    }

    /// Every `kind` block of PEM text, or the bytes themselves when they are DER.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/inputTooLarge``, a PEM error, ``PKIError/Code/noObjectFound``
    ///   (PEM text without a `label` block), or ``PKIError/Code/unrecognizedFormat`` (neither PEM nor DER).
    static func objects(
        in bytes: [UInt8],
        kind: PEMBlock.Kind,
        label: String,
        maximumSize: Int = PKILimits.maximumInputSize
    ) throws -> [Object] {
        guard bytes.count <= maximumSize else {
            throw PKIError(
                .inputTooLarge,
                "the input has \(bytes.count) bytes, more than the limit of \(maximumSize)"
            )
        }
        if PEM.looksLikePEM(bytes) {
            let blocks = try PEM.decode(bytes)
            let matching = blocks.filter { $0.kind == kind }.map { Object(der: $0.derBytes, context: "\($0)") }
            guard !matching.isEmpty else {
                let found = blocks.isEmpty ? "no PEM blocks" : "blocks: " + blocks.map(\.label).joined(separator: ", ")
                throw PKIError(.noObjectFound, "no \(label) block found (\(found))")
            }
            return matching
        }
        guard bytes.first == 0x30 else {
            throw PKIError(
                .unrecognizedFormat,
                bytes.isEmpty
                    ? "the input is empty"
                    : "the input is neither PEM (no BEGIN line) nor DER (does not start with a SEQUENCE)"
            )
        }
        return [Object(der: bytes, context: "the DER input")]
    }
}
