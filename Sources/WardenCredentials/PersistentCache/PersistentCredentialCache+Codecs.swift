import Foundation
public import Logging
public import WardenCore
import WardenPKI
import X509

// The built-in encodings of the values Warden's sources give. Each is read back only from an entry that authenticated,
// but is still checked as a parser of its own: an entry that does not decode is refused with `cacheRejected`, never
// served.

extension PersistentCredentialCache where Value == Secret<String> {
    /// A cache of tokens, passwords and other secret strings (a Vault token from `VaultTokenSource`).
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { Array($0.reveal().utf8) },
            decode: { bytes in
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw CredentialsError(.cacheRejected, "the cached secret is not UTF-8")
                }
                return Secret(text)
            }
        )
    }
}

extension PersistentCredentialCache {
    /// A cache of secrets whose value is `Codable`, kept as JSON (a KV secret decoded into your type by
    /// `VaultKVDecodedSecretSource`).
    public init<Wrapped: Codable & Sendable>(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) where Value == Secret<Wrapped> {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { secret in Array(try JSONEncoder().encode(secret.reveal())) },
            decode: { bytes in
                do {
                    return Secret(try JSONDecoder().decode(Wrapped.self, from: Data(bytes)))
                } catch {
                    throw CredentialsError(
                        .cacheRejected,
                        "the cached secret does not decode as \(String(reflecting: Wrapped.self))"
                    )
                }
            }
        )
    }
}

extension PersistentCredentialCache where Value == CertificateAndKey {
    /// A cache of certificates and their private keys: a PKI certificate from `VaultPKICertificateSource`, an X509-SVID
    /// from the Workload API, a certificate read from files. The chain and bundle are kept as DER, the key as PKCS#8;
    /// an entry whose key does not match its leaf is refused.
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { value in
                Array(
                    try JSONEncoder().encode(
                        CachedCertificateAndKey(
                            chain: value.chain.map { Data(CertificateDecoder.derBytes(of: $0)) },
                            privateKey: Data(value.privateKey.pkcs8DERRepresentation.reveal()),
                            bundle: value.bundle.map { Data(CertificateDecoder.derBytes(of: $0)) }
                        )
                    )
                )
            },
            decode: { bytes in try CachedCertificateAndKey.decode(bytes) }
        )
    }
}

/// How a ``CertificateAndKey`` is written in a cache entry.
struct CachedCertificateAndKey: Codable {
    var chain: [Data]
    var privateKey: Data
    var bundle: [Data]

    static func decode(_ bytes: [UInt8]) throws(CredentialsError) -> CertificateAndKey {
        let record: Self
        do {
            record = try JSONDecoder().decode(Self.self, from: Data(bytes))
        } catch {
            throw CredentialsError(.cacheRejected, "the cached certificate and key are not a record")
        }
        guard !record.chain.isEmpty else {
            throw CredentialsError(.cacheRejected, "the cached certificate chain is empty")
        }
        do {
            let chain = try record.chain.map { try CertificateDecoder.certificate(derEncoded: Array($0)) }
            let bundle = try record.bundle.map { try CertificateDecoder.certificate(derEncoded: Array($0)) }
            let privateKey = try PrivateKey(bytes: Array(record.privateKey))
            guard privateKey.matches(chain[0].publicKey) else {
                throw CredentialsError(.cacheRejected, "the cached private key does not match the cached certificate")
            }
            return CertificateAndKey(chain: chain, privateKey: privateKey, bundle: bundle)
        } catch let error as CredentialsError {
            throw error
        } catch {
            throw CredentialsError(.cacheRejected, "the cached certificate or key does not parse")
        }
    }
}
