/// The kinds of private key Warden generates, imports and signs with.
public enum KeyType: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// ECDSA on NIST P-256 (secp256r1), signing with SHA-256.
    case p256
    /// ECDSA on NIST P-384 (secp384r1), signing with SHA-384.
    case p384
    /// Ed25519 (RFC 8032).
    case ed25519
    /// RSA with a 2048-bit modulus, signing with PKCS#1 v1.5 and SHA-256.
    case rsa2048
    /// RSA with a 3072-bit modulus, signing with PKCS#1 v1.5 and SHA-256.
    case rsa3072
    /// RSA with a 4096-bit modulus, signing with PKCS#1 v1.5 and SHA-256.
    case rsa4096

    /// The name used on the command line and in JSON: `p256`, `p384`, `ed25519`, `rsa2048`, `rsa3072`, `rsa4096`.
    public var description: String { self.rawValue }
}
