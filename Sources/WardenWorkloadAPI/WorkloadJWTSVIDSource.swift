import Foundation
public import WardenCredentials
public import WardenSPIFFE

/// JWT-SVIDs for one audience set from the SPIFFE Workload API, as a source for the rotation engine: each is fetched
/// from the agent (`FetchJWTSVID`) and refreshed ahead of its expiry, between 50% and 67% of its lifetime by default.
public struct WorkloadJWTSVIDSource: CredentialSource {
    public typealias Value = WorkloadJWTSVID

    /// The client the calls go through.
    public let client: WorkloadAPIClient
    /// The audience each JWT-SVID is for.
    public let audience: [String]
    /// The SPIFFE ID asked for; the agent's default identity when `nil`.
    public let id: SPIFFEID?
    /// How long one call may wait for the agent.
    public let timeout: Duration

    /// A source of JWT-SVIDs for `audience` (at least one).
    public init(client: WorkloadAPIClient, audience: [String], id: SPIFFEID? = nil, timeout: Duration = .seconds(10)) {
        self.client = client
        self.audience = audience
        self.id = id
        self.timeout = timeout
    }

    public var name: String {
        "workload-api:\(self.client.address) jwt-svid \(self.id?.description ?? "default") for \(self.audience.joined(separator: ","))"
    }

    public func fetch() async throws -> Credential<WorkloadJWTSVID> {
        let svid = try await self.client.fetchJWTSVID(audience: self.audience, id: self.id, timeout: self.timeout)
        return Credential(
            value: svid,
            issuedAt: Date(),
            expiresAt: svid.expiry,
            metadata: CredentialMetadata(sourceName: self.name, kind: "jwt-svid")
        )
    }
}
