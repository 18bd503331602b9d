import Foundation
public import Logging
public import WardenCore
public import WardenCredentials

extension PersistentCredentialCache where Value == VaultDatabaseCredentials {
    /// A cache of dynamic database credentials from `VaultDatabaseCredentialSource`: the username, password and lease.
    /// A restarted process serves them until the lease's end, and renews the lease when Vault answers again.
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { credentials in
                Array(
                    try JSONEncoder().encode(
                        CachedDatabaseCredentials(
                            username: credentials.username,
                            password: credentials.password.reveal(),
                            leaseID: credentials.leaseID,
                            leaseSeconds: credentials.leaseDuration.components.seconds,
                            renewable: credentials.renewable
                        )
                    )
                )
            },
            decode: { bytes in
                guard let record = try? JSONDecoder().decode(CachedDatabaseCredentials.self, from: Data(bytes)),
                    !record.username.isEmpty, !record.leaseID.isEmpty, record.leaseSeconds >= 0
                else {
                    throw CredentialsError(.cacheRejected, "the cached database credentials are not a record")
                }
                return VaultDatabaseCredentials(
                    username: record.username,
                    password: Secret(record.password),
                    leaseID: record.leaseID,
                    leaseDuration: .seconds(record.leaseSeconds),
                    renewable: record.renewable
                )
            }
        )
    }
}

extension PersistentCredentialCache where Value == Secret<[String: JSONValue]> {
    /// A cache of KV secrets from `VaultKVSecretSource`, kept as the JSON object Vault returned (numbers as written).
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { secret in JSONValue.object(secret.reveal()).jsonBytes },
            decode: { bytes in
                guard let object = (try? JSONValue(parsing: bytes))?.objectValue else {
                    throw CredentialsError(.cacheRejected, "the cached KV secret is not a JSON object")
                }
                return Secret(object)
            }
        )
    }
}

/// How ``VaultDatabaseCredentials`` are written in a cache entry.
private struct CachedDatabaseCredentials: Codable {
    var username: String
    var password: String
    var leaseID: String
    var leaseSeconds: Int64
    var renewable: Bool
}
