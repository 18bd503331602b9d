public import Crypto
import SwiftASN1
public import WardenCore
public import X509
public import _CryptoExtras

/// A private key for signing: P-256, P-384, Ed25519 or RSA 2048/3072/4096.
///
/// Generate one, or import PKCS#8 (`PRIVATE KEY`), SEC 1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM.
/// Export is always PKCS#8, and comes wrapped in a `Secret` (WardenCore) so that it cannot be printed by accident; ``write(to:)``
/// writes it atomically with mode 0600. The description names the key type only.
public struct PrivateKey: Sendable {
    package enum Backing: Sendable {
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey, KeyType)
    }

    package let backing: Backing

    init(backing: Backing) {
        self.backing = backing
    }

    /// Generates a new key of the given type from the system's secure random source.
    public static func generate(_ type: KeyType) throws -> PrivateKey {
        switch type {
        case .p256: return PrivateKey(backing: .p256(P256.Signing.PrivateKey()))
        case .p384: return PrivateKey(backing: .p384(P384.Signing.PrivateKey()))
        case .ed25519: return PrivateKey(backing: .ed25519(Curve25519.Signing.PrivateKey()))
        case .rsa2048, .rsa3072, .rsa4096:
            let size: _RSA.Signing.KeySize =
                switch type {
                case .rsa2048: .bits2048
                case .rsa3072: .bits3072
                default: .bits4096
                }
            do {
                return PrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: size), type))
            } catch {
                throw PKIError(.signingFailed, "RSA key generation (\(type)) failed: \(error)")
            }
        }
    }

    /// Wraps a swift-crypto P-256 key.
    public init(_ key: P256.Signing.PrivateKey) { self.backing = .p256(key) }
    /// Wraps a swift-crypto P-384 key.
    public init(_ key: P384.Signing.PrivateKey) { self.backing = .p384(key) }
    /// Wraps a swift-crypto Ed25519 key.
    public init(_ key: Curve25519.Signing.PrivateKey) { self.backing = .ed25519(key) }
    /// Wraps a swift-crypto RSA key of 2048, 3072 or 4096 bits.
    public init(_ key: _RSA.Signing.PrivateKey) throws {
        self.backing = .rsa(key, try Self.rsaType(bits: key.keySizeInBits))
    }

    /// The key's type.
    public var type: KeyType {
        switch self.backing {
        case .p256: .p256
        case .p384: .p384
        case .ed25519: .ed25519
        case .rsa(_, let type): type
        }
    }

    /// The key as swift-certificates uses it, to sign certificates and CSRs.
    public var certificatePrivateKey: Certificate.PrivateKey {
        switch self.backing {
        case .p256(let key): Certificate.PrivateKey(key)
        case .p384(let key): Certificate.PrivateKey(key)
        case .ed25519(let key): Certificate.PrivateKey(key)
        case .rsa(let key, _): Certificate.PrivateKey(key)
        }
    }

    /// The matching public key.
    public var publicKey: Certificate.PublicKey {
        switch self.backing {
        case .p256(let key): Certificate.PublicKey(key.publicKey)
        case .p384(let key): Certificate.PublicKey(key.publicKey)
        case .ed25519(let key): Certificate.PublicKey(key.publicKey)
        case .rsa(let key, _): Certificate.PublicKey(key.publicKey)
        }
    }

    /// The public key as a DER SubjectPublicKeyInfo, the form `openssl pkey -pubout -outform DER` prints and public
    /// key pins hash.
    public var subjectPublicKeyInfoDER: [UInt8] {
        var serializer = DER.Serializer()
        // Serializing a key swift-crypto produced cannot fail.
        try! serializer.serialize(self.publicKey)
        return serializer.serializedBytes
    }

    /// The signature algorithm Warden signs with for this key: ECDSA with SHA-256 (P-256) or SHA-384 (P-384),
    /// Ed25519, or RSA PKCS#1 v1.5 with SHA-256.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self.backing {
        case .p256: .ecdsaWithSHA256
        case .p384: .ecdsaWithSHA384
        case .ed25519: .ed25519
        case .rsa: .sha256WithRSAEncryption
        }
    }

    /// Whether `publicKey` is this key's public key.
    public func matches(_ publicKey: Certificate.PublicKey) -> Bool {
        self.publicKey == publicKey
    }

    /// The key as PKCS#8 DER.
    public var pkcs8DERRepresentation: Secret<[UInt8]> {
        switch self.backing {
        case .p256(let key): Secret(Array(key.derRepresentation))
        case .p384(let key): Secret(Array(key.derRepresentation))
        case .ed25519(let key): Secret(Self.ed25519PKCS8(key))
        case .rsa(let key, _): Secret(Array(key.pkcs8DERRepresentation))
        }
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var pkcs8PEMRepresentation: Secret<String> {
        self.pkcs8DERRepresentation.map { PEM.encode(label: "PRIVATE KEY", derBytes: $0) }
    }

    /// Writes the key as PKCS#8 PEM to `path`, atomically (temporary file and rename) and with mode 0600.
    public func write(to path: String) throws {
        do {
            try AtomicFile.write(Array(self.pkcs8PEMRepresentation.reveal().utf8), to: path, permissions: 0o600)
        } catch let error as AtomicFileError {
            throw PKIError(.fileWriteFailed, "cannot write the private key: \(error)")
        }
    }
}

extension PrivateKey {
    /// Imports the first private key in PEM text: PKCS#8, SEC 1 or PKCS#1.
    ///
    /// - Throws: ``PKIError``: ``PKIError/Code/noObjectFound`` when there is no key block,
    ///   ``PKIError/Code/pemEncrypted`` for an encrypted key, ``PKIError/Code/malformedPrivateKey`` or
    ///   ``PKIError/Code/unsupportedKeyType``.
    public init(pemEncoded pem: String) throws {
        try self.init(bytes: Array(pem.utf8))
    }

    /// Imports a private key from PEM text or DER bytes, whichever `bytes` holds.
    public init(bytes: [UInt8]) throws {
        if PEM.looksLikePEM(bytes) {
            let blocks = try PEM.decode(bytes)
            guard let block = blocks.first(where: { $0.kind.isPrivateKey }) else {
                let labels = blocks.map(\.label)
                throw PKIError(
                    .noObjectFound,
                    "no private key block found (blocks found: \(labels.isEmpty ? "none" : labels.joined(separator: ", ")))"
                )
            }
            try self.init(pemBlock: block)
        } else {
            try self.init(derEncoded: bytes)
        }
    }

    /// Imports the private key held in a PEM block.
    public init(pemBlock block: PEMBlock) throws {
        switch block.kind {
        case .pkcs8PrivateKey: try self.init(pkcs8: block.derBytes, context: "\(block)")
        case .sec1PrivateKey: try self.init(sec1: block.derBytes, context: "\(block)")
        case .pkcs1PrivateKey: try self.init(pkcs1: block.derBytes, context: "\(block)")
        case .encryptedPrivateKey:
            throw PKIError(.pemEncrypted, "\(block) is encrypted; decrypt it first")
        default:
            throw PKIError(.unexpectedObject, "\(block) is not a private key")
        }
    }

    /// Imports DER bytes holding a PKCS#8, SEC 1 or PKCS#1 private key.
    public init(derEncoded der: [UInt8]) throws {
        guard der.count <= PKILimits.maximumInputSize else {
            throw PKIError(.inputTooLarge, "the key has \(der.count) bytes, more than the limit")
        }
        if let key = try? Self(pkcs8: der, context: "DER key") {
            self = key
        } else if let key = try? Self(sec1: der, context: "DER key") {
            self = key
        } else if let key = try? Self(pkcs1: der, context: "DER key") {
            self = key
        } else {
            // Report the PKCS#8 failure, the format the others are tried after.
            try self.init(pkcs8: der, context: "DER key")
        }
    }

    /// Reads a private key from a PEM or DER file.
    public static func load(from path: String) throws -> PrivateKey {
        try PrivateKey(bytes: PKIFile.read(path))
    }

    private init(pkcs8 der: [UInt8], context: String) throws {
        let algorithm: ASN1ObjectIdentifier
        let parameters: ASN1ObjectIdentifier?
        let privateKey: ArraySlice<UInt8>
        do {
            (algorithm, parameters, privateKey) = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                guard let algorithmNode = nodes.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "missing AlgorithmIdentifier")
                }
                let (algorithm, parameters) = try DER.sequence(algorithmNode, identifier: .sequence) { inner in
                    let algorithm = try ASN1ObjectIdentifier(derEncoded: &inner)
                    var parameters: ASN1ObjectIdentifier?
                    if let node = inner.next(), node.identifier == ASN1ObjectIdentifier.defaultIdentifier {
                        parameters = try ASN1ObjectIdentifier(derEncoded: node)
                    }
                    while inner.next() != nil {}
                    return (algorithm, parameters)
                }
                let key = try ASN1OctetString(derEncoded: &nodes)
                while nodes.next() != nil {}
                return (algorithm, parameters, key.bytes)
            }
        } catch {
            throw PKIError(.malformedPrivateKey, "\(context) is not a well-formed PKCS#8 private key: \(error)")
        }
        do {
            switch (algorithm.description, parameters?.description) {
            case ("1.2.840.10045.2.1", "1.2.840.10045.3.1.7"):
                self.init(backing: .p256(try P256.Signing.PrivateKey(derRepresentation: der)))
            case ("1.2.840.10045.2.1", "1.3.132.0.34"):
                self.init(backing: .p384(try P384.Signing.PrivateKey(derRepresentation: der)))
            case ("1.2.840.10045.2.1", let curve):
                throw PKIError(
                    .unsupportedKeyType,
                    "\(context) is an EC key on curve \(curve ?? "(none)"); supported curves are P-256 and P-384"
                )
            case ("1.3.101.112", _):
                let seed = try ASN1OctetString(derEncoded: privateKey)
                self.init(backing: .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: seed.bytes)))
            case ("1.2.840.113549.1.1.1", _):
                let key = try _RSA.Signing.PrivateKey(derRepresentation: der)
                self.init(backing: .rsa(key, try Self.rsaType(bits: key.keySizeInBits)))
            default:
                throw PKIError(
                    .unsupportedKeyType,
                    "\(context) has key algorithm \(algorithm); supported are EC (P-256, P-384), Ed25519 and RSA"
                )
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedPrivateKey, "\(context) holds a malformed \(algorithm) key: \(error)")
        }
    }

    private init(sec1 der: [UInt8], context: String) throws {
        if let key = try? P256.Signing.PrivateKey(derRepresentation: der) {
            self.init(backing: .p256(key))
        } else if let key = try? P384.Signing.PrivateKey(derRepresentation: der) {
            self.init(backing: .p384(key))
        } else if (try? P521.Signing.PrivateKey(derRepresentation: der)) != nil {
            throw PKIError(.unsupportedKeyType, "\(context) is a P-521 key; supported curves are P-256 and P-384")
        } else {
            throw PKIError(
                .malformedPrivateKey,
                "\(context) is not a well-formed SEC 1 EC private key on P-256 or P-384"
            )
        }
    }

    private init(pkcs1 der: [UInt8], context: String) throws {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(derRepresentation: der)
        } catch {
            throw PKIError(.malformedPrivateKey, "\(context) is not a well-formed PKCS#1 RSA private key: \(error)")
        }
        self.init(backing: .rsa(key, try Self.rsaType(bits: key.keySizeInBits)))
    }

    private static func rsaType(bits: Int) throws -> KeyType {
        switch bits {
        case 2048: return .rsa2048
        case 3072: return .rsa3072
        case 4096: return .rsa4096
        default:
            throw PKIError(.unsupportedKeyType, "RSA keys of \(bits) bits are not supported; use 2048, 3072 or 4096")
        }
    }

    /// PKCS#8 for Ed25519 (RFC 8410): version 0, algorithm id-Ed25519, and the seed wrapped in an OCTET STRING.
    private static func ed25519PKCS8(_ key: Curve25519.Signing.PrivateKey) -> [UInt8] {
        let prefix: [UInt8] = [
            0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
        ]
        return prefix + key.rawRepresentation
    }
}

extension PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `PrivateKey(p256)`: the type, never the key.
    public var description: String { "PrivateKey(\(self.type))" }
    /// `PrivateKey(p256)`: the type, never the key.
    public var debugDescription: String { self.description }
    /// A mirror with the type only, so that `dump` cannot print the key.
    public var customMirror: Mirror { Mirror(self, children: ["type": self.type], displayStyle: .struct) }
}
