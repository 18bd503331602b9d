import Crypto
public import X509
import _CryptoExtras

/// What a public key is: its algorithm, curve and size.
public struct PublicKeyInfo: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `EC`, `RSA` or `Ed25519`.
    public let algorithm: String
    /// The curve of an EC key: `P-256`, `P-384` or `P-521`; `nil` for other algorithms.
    public let curve: String?
    /// The key size in bits: the modulus size for RSA, the field size for elliptic curves (256 for Ed25519).
    public let bits: Int

    /// Creates a description of a key.
    public init(algorithm: String, curve: String?, bits: Int) {
        self.algorithm = algorithm
        self.curve = curve
        self.bits = bits
    }

    /// Describes a swift-certificates public key.
    public init(_ key: Certificate.PublicKey) {
        if P256.Signing.PublicKey(key) != nil {
            self.init(algorithm: "EC", curve: "P-256", bits: 256)
        } else if P384.Signing.PublicKey(key) != nil {
            self.init(algorithm: "EC", curve: "P-384", bits: 384)
        } else if P521.Signing.PublicKey(key) != nil {
            self.init(algorithm: "EC", curve: "P-521", bits: 521)
        } else if let rsa = _RSA.Signing.PublicKey(key) {
            self.init(algorithm: "RSA", curve: nil, bits: rsa.keySizeInBits)
        } else if Curve25519.Signing.PublicKey(key) != nil {
            self.init(algorithm: "Ed25519", curve: nil, bits: 256)
        } else {
            self.init(algorithm: "unknown", curve: nil, bits: 0)
        }
    }

    /// `EC P-256`, `RSA 2048`, `Ed25519`.
    public var description: String {
        if let curve { return "\(self.algorithm) \(curve)" }
        if self.algorithm == "RSA" { return "RSA \(self.bits)" }
        return self.algorithm
    }
}
