import SwiftASN1
import X509

/// Decodes the key usage extension for inspection, tolerating what swift-certificates (rightly, for verification)
/// refuses: non-zero padding bits in the BIT STRING. Real CA roots in common trust stores carry them, and OpenSSL
/// and pyca/cryptography display them; so does Warden, with the anomaly reported.
enum KeyUsageBits {
    static let names = [
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
        "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
    ]

    /// The names of the bits set, and a description of the DER violation tolerated, if any.
    static func decode(_ extensions: Certificate.Extensions) throws -> (names: [String], anomaly: String?)? {
        guard let ext = extensions[oid: .X509ExtensionID.keyUsage] else { return nil }
        if let usage = try? KeyUsage(ext) {
            return (ObjectIdentifierNames.keyUsageNames(usage), nil)
        }
        let node = try DER.parse(ext.value)
        guard node.identifier == .bitString, case .primitive(let content) = node.content,
            let unusedBits = content.first, unusedBits < 8, content.count > 1 || unusedBits == 0
        else {
            throw ASN1Error.invalidASN1Object(reason: "keyUsage is not a BIT STRING")
        }
        let bytes = Array(content.dropFirst())
        var names: [String] = []
        for (index, name) in Self.names.enumerated() {
            let byte = index / 8
            guard byte < bytes.count else { break }
            // Bits beyond the declared length are padding; OpenSSL ignores them, so do we.
            let bitPosition = index % 8
            if byte == bytes.count - 1 && bitPosition >= 8 - Int(unusedBits) { continue }
            if bytes[byte] & (0x80 >> UInt8(bitPosition)) != 0 { names.append(name) }
        }
        return (names, "keyUsage has non-zero padding bits (a DER violation; the padding was ignored)")
    }
}
