import Crypto
import Foundation
import WardenCore
public import WardenPKI
public import X509
import _CryptoExtras

/// A public key that verifies JWT signatures, read from a JSON Web Key (RFC 7517) or made from a ``PrivateKey``.
///
/// EC keys are P-256, P-384 or P-521; RSA keys at least 2048 bits; OKP keys Ed25519. Each key verifies only the
/// algorithms of its type and, for EC, its curve: an RS256 token never verifies against an EC key, nor ES384 against
/// P-256.
public struct JWTPublicKey: Sendable, Hashable, CustomStringConvertible {
    enum Backing: @unchecked Sendable {
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let backing: Backing
    /// The JWK members that define the key (`kty`, `crv`, `x`, `y`, `n`, `e`), for serialization and equality.
    let keyMembers: [String: JSONValue]

    /// Reads the key of a JWK object.
    ///
    /// - Throws: ``SPIFFEError/Code/unsupportedKey`` for a `kty` or `crv` Warden does not verify with (callers reading a
    ///   bundle skip such entries), ``SPIFFEError/Code/malformedBundle`` for a member that is missing or malformed.
    init(jwk: [String: JSONValue], entry: String) throws(SPIFFEError) {
        func member(_ name: String) throws(SPIFFEError) -> [UInt8] {
            guard let text = jwk[name]?.stringValue else {
                throw SPIFFEError(.malformedBundle, "\(entry): member \"\(name)\" is missing or not a string")
            }
            guard let bytes = Base64.URL.decode(text) else {
                throw SPIFFEError(.malformedBundle, "\(entry): member \"\(name)\" is not base64url without padding")
            }
            return bytes
        }
        guard let kty = jwk["kty"]?.stringValue else {
            throw SPIFFEError(.malformedBundle, "\(entry): member \"kty\" is missing or not a string")
        }
        switch kty {
        case "EC":
            let crv = jwk["crv"]?.stringValue ?? ""
            let size: Int
            switch crv {
            case "P-256": size = 32
            case "P-384": size = 48
            case "P-521": size = 66
            default: throw SPIFFEError(.unsupportedKey, "\(entry): EC curve \"\(crv)\" is not supported")
            }
            let x = try member("x")
            let y = try member("y")
            guard x.count == size, y.count == size else {
                throw SPIFFEError(
                    .malformedBundle,
                    "\(entry): \(crv) coordinates must be \(size) bytes, found \(x.count) and \(y.count)"
                )
            }
            let point = [0x04] + x + y
            do {
                switch size {
                case 32: self.backing = .p256(try P256.Signing.PublicKey(x963Representation: point))
                case 48: self.backing = .p384(try P384.Signing.PublicKey(x963Representation: point))
                default: self.backing = .p521(try P521.Signing.PublicKey(x963Representation: point))
                }
            } catch {
                throw SPIFFEError(.malformedBundle, "\(entry): the \(crv) point is not on the curve")
            }
            self.keyMembers = [
                "kty": .string("EC"), "crv": .string(crv), "x": .string(Base64.URL.encode(x)),
                "y": .string(Base64.URL.encode(y)),
            ]
        case "RSA":
            let n = try member("n")
            let e = try member("e")
            let key: _RSA.Signing.PublicKey
            do {
                key = try _RSA.Signing.PublicKey(n: n, e: e)
            } catch {
                throw SPIFFEError(
                    .unsupportedKey,
                    "\(entry): RSA key of \(Self.bitLength(n)) bits is not accepted (at least 2048)"
                )
            }
            self.backing = .rsa(key)
            self.keyMembers = [
                "kty": .string("RSA"), "n": .string(Base64.URL.encode(n)), "e": .string(Base64.URL.encode(e)),
            ]
        case "OKP":
            let crv = jwk["crv"]?.stringValue ?? ""
            guard crv == "Ed25519" else {
                throw SPIFFEError(.unsupportedKey, "\(entry): OKP curve \"\(crv)\" is not supported")
            }
            let x = try member("x")
            do {
                self.backing = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            } catch {
                throw SPIFFEError(.malformedBundle, "\(entry): the Ed25519 key must be 32 bytes, found \(x.count)")
            }
            self.keyMembers = ["kty": .string("OKP"), "crv": .string(crv), "x": .string(Base64.URL.encode(x))]
        default:
            throw SPIFFEError(.unsupportedKey, "\(entry): key type \"\(kty)\" is not supported")
        }
    }

    /// The public half of `privateKey`.
    public init(_ privateKey: PrivateKey) throws {
        switch privateKey.backing {
        case .p256(let key): self.backing = .p256(key.publicKey)
        case .p384(let key): self.backing = .p384(key.publicKey)
        case .ed25519(let key): self.backing = .ed25519(key.publicKey)
        case .rsa(let key, _): self.backing = .rsa(key.publicKey)
        }
        self.keyMembers = try Self.members(of: self.backing)
    }

    /// The key of a certificate, or `nil` for a key type JWTs cannot be verified with.
    public init?(_ certificateKey: Certificate.PublicKey) {
        if let key = P256.Signing.PublicKey(certificateKey) {
            self.backing = .p256(key)
        } else if let key = P384.Signing.PublicKey(certificateKey) {
            self.backing = .p384(key)
        } else if let key = P521.Signing.PublicKey(certificateKey) {
            self.backing = .p521(key)
        } else if let key = Curve25519.Signing.PublicKey(certificateKey) {
            self.backing = .ed25519(key)
        } else if let key = _RSA.Signing.PublicKey(certificateKey) {
            self.backing = .rsa(key)
        } else {
            return nil
        }
        guard let members = try? Self.members(of: self.backing) else { return nil }
        self.keyMembers = members
    }

    private static func members(of backing: Backing) throws -> [String: JSONValue] {
        func ec(_ crv: String, _ point: Data) -> [String: JSONValue] {
            let coordinates = point.dropFirst()
            let half = coordinates.count / 2
            return [
                "kty": .string("EC"), "crv": .string(crv), "x": .string(Base64.URL.encode(coordinates.prefix(half))),
                "y": .string(Base64.URL.encode(coordinates.suffix(half))),
            ]
        }
        switch backing {
        case .p256(let key): return ec("P-256", key.x963Representation)
        case .p384(let key): return ec("P-384", key.x963Representation)
        case .p521(let key): return ec("P-521", key.x963Representation)
        case .ed25519(let key):
            return [
                "kty": .string("OKP"), "crv": .string("Ed25519"),
                "x": .string(Base64.URL.encode(key.rawRepresentation)),
            ]
        case .rsa(let key):
            let primitives = try key.getKeyPrimitives()
            return [
                "kty": .string("RSA"), "n": .string(Base64.URL.encode(primitives.modulus)),
                "e": .string(Base64.URL.encode(primitives.publicExponent)),
            ]
        }
    }

    private static func bitLength(_ magnitude: [UInt8]) -> Int {
        guard let first = magnitude.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (magnitude.count - first) * 8 - magnitude[first].leadingZeroBitCount
    }

    /// The JWK key type: `EC`, `RSA` or `OKP`.
    public var keyType: String { self.keyMembers["kty"]?.stringValue ?? "" }

    /// Whether this key verifies signatures of `algorithm`.
    public func supports(_ algorithm: JWTAlgorithm) -> Bool {
        switch (self.backing, algorithm.family) {
        case (.p256, .ecdsa): return algorithm == .es256
        case (.p384, .ecdsa): return algorithm == .es384
        case (.p521, .ecdsa): return algorithm == .es512
        case (.rsa, .rsaPKCS1), (.rsa, .rsaPSS): return true
        case (.ed25519, .eddsa): return true
        default: return false
        }
    }

    /// Checks `signature` over `message`. ECDSA signatures must be raw R||S of the curve's size (RFC 7518 §3.4), never
    /// DER. The caller has checked ``supports(_:)``.
    func isValidSignature(
        _ signature: [UInt8],
        for signingInput: UnsafeBufferPointer<UInt8>,
        algorithm: JWTAlgorithm
    ) -> Bool {
        let message = UnsafeRawBufferPointer(signingInput)
        switch self.backing {
        case .p256(let key):
            guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(ecdsa, for: SHA256.hash(data: message))
        case .p384(let key):
            guard signature.count == 96, let ecdsa = try? P384.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(ecdsa, for: SHA384.hash(data: message))
        case .p521(let key):
            guard signature.count == 132, let ecdsa = try? P521.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(ecdsa, for: SHA512.hash(data: message))
        case .ed25519(let key):
            return key.isValidSignature(signature, for: message)
        case .rsa(let key):
            let padding: _RSA.Signing.Padding = algorithm.family == .rsaPSS ? .PSS : .insecurePKCS1v1_5
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm.digestBits {
            case 256: return key.isValidSignature(rsaSignature, for: SHA256.hash(data: message), padding: padding)
            case 384: return key.isValidSignature(rsaSignature, for: SHA384.hash(data: message), padding: padding)
            default: return key.isValidSignature(rsaSignature, for: SHA512.hash(data: message), padding: padding)
            }
        }
    }

    /// `EC P-256`, `RSA 2048`, `OKP Ed25519`.
    public var description: String {
        switch self.backing {
        case .p256: "EC P-256"
        case .p384: "EC P-384"
        case .p521: "EC P-521"
        case .ed25519: "OKP Ed25519"
        case .rsa(let key): "RSA \(key.keySizeInBits)"
        }
    }

    public static func == (lhs: JWTPublicKey, rhs: JWTPublicKey) -> Bool { lhs.keyMembers == rhs.keyMembers }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.keyMembers) }
}
