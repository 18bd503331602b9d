public import WardenCore

/// The health of a Vault server (`sys/health`).
public struct VaultHealth: Sendable, Hashable, CustomStringConvertible {
    /// Whether the server is initialized.
    public let initialized: Bool
    /// Whether it is sealed.
    public let sealed: Bool
    /// Whether it is a standby node.
    public let standby: Bool
    /// The server's version (`2.7.2` for OpenBao 2.7.2).
    public let version: String
    /// The HTTP status Vault chose: 200 active, 429 standby, 472 DR secondary, 473 performance standby, 501
    /// uninitialized, 503 sealed.
    public let status: Int

    /// Whether the server can serve requests.
    public var isActive: Bool { self.initialized && !self.sealed && !self.standby }

    /// `VaultHealth(2.7.2, active)`.
    public var description: String {
        let state = !self.initialized ? "uninitialized" : self.sealed ? "sealed" : self.standby ? "standby" : "active"
        return "VaultHealth(\(self.version), \(state))"
    }
}

extension VaultClient {
    /// The server's health. A sealed, standby or uninitialized server is a result, not an error.
    public func health() async throws -> VaultHealth {
        let (status, bytes) = try await self.sendAllowingStatuses(
            .GET,
            "sys/health",
            query: [:],
            allowed: [429, 472, 473, 501, 503]
        )
        guard let document = try? JSONValue(parsing: bytes) else {
            throw VaultError(.malformedResponse, "GET /v1/sys/health: the response is not JSON", status: status)
        }
        return VaultHealth(
            initialized: document["initialized"]?.boolValue ?? false,
            sealed: document["sealed"]?.boolValue ?? false,
            standby: document["standby"]?.boolValue ?? false,
            version: document["version"]?.stringValue ?? "",
            status: status
        )
    }

    /// Renews a lease (`sys/leases/renew`), asking for `increment` more (the server may grant less).
    public func renewLease(_ leaseID: String, increment: Duration? = nil) async throws -> VaultResponse {
        var body: [String: JSONValue] = ["lease_id": .string(leaseID)]
        if let increment { body["increment"] = .number(increment.components.seconds) }
        guard let response = try await self.request(.PUT, "sys/leases/renew", body: .object(body)) else {
            throw VaultError(.malformedResponse, "PUT /v1/sys/leases/renew: no content")
        }
        return response
    }

    /// Revokes a lease (`sys/leases/revoke`); the secret stops working at once.
    public func revokeLease(_ leaseID: String) async throws {
        _ = try await self.request(.PUT, "sys/leases/revoke", body: ["lease_id": .string(leaseID)])
    }
}

extension VaultClient {
    /// Unwraps a response-wrapped secret (`sys/wrapping/unwrap` with the wrapping token).
    public func unwrap(_ wrappingToken: Secret<String>) async throws -> VaultResponse {
        guard let response = try await self.request(.POST, "sys/wrapping/unwrap", body: [:], token: wrappingToken)
        else {
            throw VaultError(.malformedResponse, "POST /v1/sys/wrapping/unwrap: no content")
        }
        return response
    }
}
