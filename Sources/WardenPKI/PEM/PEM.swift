import WardenCore

/// The PEM codec (RFC 7468): reads any number of blocks from text, and writes them back.
///
/// Reading is lenient where real files are sloppy and strict where sloppiness would lose data:
/// text before, between and after blocks is ignored, CRLF and trailing white space are accepted, RFC 1421 headers
/// are skipped; but a block without its END line, an END label that differs from the BEGIN label, or a body that is
/// not base64 is a ``PKIError`` naming the block, never a silently shorter list.
public enum PEM {
    /// Whether the bytes look like PEM text: they contain a `-----BEGIN ` line.
    package static func looksLikePEM(_ bytes: some Collection<UInt8>) -> Bool {
        let marker = Array("-----BEGIN ".utf8)
        var matched = 0
        for byte in bytes {
            if byte == marker[matched] {
                matched += 1
                if matched == marker.count { return true }
            } else {
                matched = byte == marker[0] ? 1 : 0
            }
        }
        return false
    }

    /// Decodes every PEM block in `bytes`, in order.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/inputTooLarge``, ``PKIError/Code/pemTruncatedBlock``,
    ///   ``PKIError/Code/pemLabelMismatch``, ``PKIError/Code/pemInvalidBase64`` or ``PKIError/Code/pemEncrypted``.
    ///   Text with no block at all gives an empty array.
    public static func decode(_ bytes: some Collection<UInt8>) throws -> [PEMBlock] {
        guard bytes.count <= PKILimits.maximumInputSize else {
            throw PKIError(
                .inputTooLarge,
                "the input has \(bytes.count) bytes, more than the limit of \(PKILimits.maximumInputSize)"
            )
        }
        let text = Array(bytes)
        var blocks: [PEMBlock] = []
        var open: (label: String, line: Int, body: [UInt8], inHeaders: Bool)?
        var lineNumber = 0
        var lineStart = 0
        while lineStart < text.count {
            lineNumber += 1
            var lineEnd = lineStart
            while lineEnd < text.count && text[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let nextStart = lineEnd + 1
            // Trim white space, which takes care of CR in CRLF files too.
            var first = lineStart
            var last = lineEnd
            while first < last && Self.isWhitespace(text[first]) { first += 1 }
            while last > first && Self.isWhitespace(text[last - 1]) { last -= 1 }
            let line = text[first..<last]
            lineStart = nextStart

            if let label = Self.boundaryLabel(line, keyword: "BEGIN") {
                if let current = open {
                    throw Self.truncated(
                        ordinal: blocks.count + 1,
                        label: current.label,
                        line: current.line,
                        found: "another BEGIN line at line \(lineNumber)"
                    )
                }
                open = (label, lineNumber, [], true)
                continue
            }
            guard var current = open else { continue }
            // Leave `current` the only owner of the body, or every append below copies it: quadratic in the block.
            open = nil
            if let label = Self.boundaryLabel(line, keyword: "END") {
                let ordinal = blocks.count + 1
                guard label == current.label else {
                    throw PKIError(
                        .pemLabelMismatch,
                        "PEM block \(ordinal) begins with label '\(current.label)' at line \(current.line) but ends with label '\(label)' at line \(lineNumber)"
                    )
                }
                if current.label == "ENCRYPTED PRIVATE KEY" {
                    throw PKIError(
                        .pemEncrypted,
                        "PEM block \(ordinal) (ENCRYPTED PRIVATE KEY, line \(current.line)) is encrypted; decrypt it first (for example with `openssl pkcs8`)"
                    )
                }
                guard let der = Base64.decode(current.body) else {
                    throw PKIError(
                        .pemInvalidBase64,
                        "PEM block \(ordinal) (\(current.label), line \(current.line)) has a body that is not valid base64"
                    )
                }
                blocks.append(PEMBlock(label: current.label, derBytes: der, ordinal: ordinal, line: current.line))
                open = nil
                continue
            }
            if current.inHeaders, let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                // An RFC 1421 header such as `Proc-Type: 4,ENCRYPTED`.
                let name = String(decoding: line[..<colon], as: UTF8.self)
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
                if name == "Proc-Type" && value.contains("ENCRYPTED") {
                    throw PKIError(
                        .pemEncrypted,
                        "PEM block \(blocks.count + 1) (\(current.label), line \(current.line)) is encrypted (Proc-Type: ENCRYPTED); decrypt it first"
                    )
                }
                open = current
                continue
            }
            if !line.isEmpty { current.inHeaders = false }
            current.body.append(contentsOf: line)
            open = current
        }
        if let current = open {
            throw Self.truncated(
                ordinal: blocks.count + 1,
                label: current.label,
                line: current.line,
                found: "the end of the input"
            )
        }
        return blocks
    }

    /// Encodes DER bytes as one PEM block with the given label, in lines of 64 characters, ending with a newline.
    public static func encode(label: String, derBytes: some Collection<UInt8>) -> String {
        let body = Base64.encode(derBytes)
        var result = "-----BEGIN \(label)-----\n"
        result.reserveCapacity(body.count + body.count / 64 + 2 * label.count + 40)
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            result += body[index..<end]
            result += "\n"
            index = end
        }
        result += "-----END \(label)-----\n"
        return result
    }

    private static func truncated(ordinal: Int, label: String, line: Int, found: String) -> PKIError {
        PKIError(
            .pemTruncatedBlock,
            "PEM block \(ordinal) (\(label), line \(line)) has no END line: found \(found) first"
        )
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// The label of a `-----BEGIN label-----` (or END) line, if the line is one.
    private static func boundaryLabel(_ line: ArraySlice<UInt8>, keyword: String) -> String? {
        let prefix = Array("-----\(keyword) ".utf8)
        let suffix = Array("-----".utf8)
        guard line.count >= prefix.count + suffix.count,
            line.starts(with: prefix),
            line.suffix(suffix.count).elementsEqual(suffix)
        else { return nil }
        let label = line.dropFirst(prefix.count).dropLast(suffix.count)
        return String(decoding: label, as: UTF8.self)
    }
}
