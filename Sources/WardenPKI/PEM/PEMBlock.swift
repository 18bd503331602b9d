/// One `-----BEGIN X-----` … `-----END X-----` block of a PEM file, decoded.
///
/// The description shows the label, position and size, never the bytes: a block may hold a private key.
public struct PEMBlock: Sendable, Hashable {
    /// What a PEM label says the block holds.
    public enum Kind: Hashable, Sendable {
        /// `CERTIFICATE` (or the legacy `X509 CERTIFICATE`).
        case certificate
        /// `CERTIFICATE REQUEST` (or the legacy `NEW CERTIFICATE REQUEST`).
        case certificateSigningRequest
        /// `PRIVATE KEY`: a PKCS#8 private key of any algorithm.
        case pkcs8PrivateKey
        /// `EC PRIVATE KEY`: a SEC 1 elliptic-curve private key.
        case sec1PrivateKey
        /// `RSA PRIVATE KEY`: a PKCS#1 RSA private key.
        case pkcs1PrivateKey
        /// `ENCRYPTED PRIVATE KEY`: an encrypted PKCS#8 private key, which Warden does not decrypt.
        case encryptedPrivateKey
        /// `PUBLIC KEY`: a SubjectPublicKeyInfo.
        case publicKey
        /// `X509 CRL`: a certificate revocation list.
        case certificateRevocationList
        /// Any other label.
        case other

        init(label: String) {
            switch label {
            case "CERTIFICATE", "X509 CERTIFICATE": self = .certificate
            case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST": self = .certificateSigningRequest
            case "PRIVATE KEY": self = .pkcs8PrivateKey
            case "EC PRIVATE KEY": self = .sec1PrivateKey
            case "RSA PRIVATE KEY": self = .pkcs1PrivateKey
            case "ENCRYPTED PRIVATE KEY": self = .encryptedPrivateKey
            case "PUBLIC KEY": self = .publicKey
            case "X509 CRL": self = .certificateRevocationList
            default: self = .other
            }
        }

        /// Whether the block holds a private key in any format.
        public var isPrivateKey: Bool {
            switch self {
            case .pkcs8PrivateKey, .sec1PrivateKey, .pkcs1PrivateKey, .encryptedPrivateKey: true
            default: false
            }
        }
    }

    /// The label between `BEGIN ` and the closing dashes, for example `CERTIFICATE`.
    public let label: String
    /// The decoded DER bytes.
    public let derBytes: [UInt8]
    /// The block's position in its file, counting from 1.
    public let ordinal: Int
    /// The line of the file on which the block's BEGIN line stands, counting from 1.
    public let line: Int

    /// What the label says the block holds.
    public var kind: Kind { Kind(label: self.label) }

    /// Creates a block.
    public init(label: String, derBytes: [UInt8], ordinal: Int = 1, line: Int = 1) {
        self.label = label
        self.derBytes = derBytes
        self.ordinal = ordinal
        self.line = line
    }

    /// The block in PEM text: BEGIN line, base64 in lines of 64 characters, END line, each ended by a newline.
    public var pemString: String {
        PEM.encode(label: self.label, derBytes: self.derBytes)
    }
}

extension PEMBlock: CustomStringConvertible {
    /// `PEM block 2 (CERTIFICATE, line 31, 512 bytes)`; never the bytes themselves.
    public var description: String {
        "PEM block \(self.ordinal) (\(self.label), line \(self.line), \(self.derBytes.count) bytes)"
    }
}

extension PEMBlock: CustomReflectable {
    /// A mirror without the bytes, so that `dump` cannot print a key.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["label": self.label, "ordinal": self.ordinal, "line": self.line],
            displayStyle: .struct
        )
    }
}
