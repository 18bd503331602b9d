import Foundation
public import Logging
import WardenCore
public import WardenCredentials
import WardenSPIFFE

// X509-SVIDs are `CertificateAndKey` values: WardenCredentials' cache of those keeps them.

extension PersistentCredentialCache where Value == WorkloadJWTSVID {
    /// A cache of JWT-SVIDs from `WorkloadJWTSVIDSource`: the token, its SPIFFE ID, audience, expiry and hint. A
    /// restarted process serves the token until its `exp`, never after.
    public init(
        directory: String,
        key: CredentialCacheKey,
        logger: Logger = Logger(label: "warden.credentials.cache")
    ) throws(CredentialsError) {
        try self.init(
            directory: directory,
            key: key,
            logger: logger,
            encode: { svid in
                Array(
                    try JSONEncoder().encode(
                        CachedJWTSVID(
                            id: svid.id.description,
                            token: svid.token.reveal(),
                            audience: svid.audience,
                            expiry: svid.expiry.timeIntervalSince1970,
                            hint: svid.hint
                        )
                    )
                )
            },
            decode: { bytes in
                guard let record = try? JSONDecoder().decode(CachedJWTSVID.self, from: Data(bytes)),
                    let id = try? SPIFFEID(record.id)
                else {
                    throw CredentialsError(.cacheRejected, "the cached JWT-SVID is not a record")
                }
                return WorkloadJWTSVID(
                    id: id,
                    token: Secret(record.token),
                    audience: record.audience,
                    expiry: Date(timeIntervalSince1970: record.expiry),
                    hint: record.hint
                )
            }
        )
    }
}

/// How a ``WorkloadJWTSVID`` is written in a cache entry.
private struct CachedJWTSVID: Codable {
    var id: String
    var token: String
    var audience: [String]
    var expiry: Double
    var hint: String
}
