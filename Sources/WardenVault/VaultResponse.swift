public import WardenCore

/// The envelope of a Vault response: `request_id`, `lease_id`, `renewable`, `lease_duration`, `data`, `wrap_info`,
/// `warnings` and `auth`.
///
/// `data` often holds secrets: the description and mirror show which members are present, never their values.
public struct VaultResponse: Sendable, CustomStringConvertible, CustomReflectable {
    /// Vault's ID for the request, for its audit log.
    public let requestID: String?
    /// The lease of a dynamic secret, to renew or revoke.
    public let leaseID: String?
    /// Whether the lease can be renewed.
    public let renewable: Bool
    /// The lease's time to live.
    public let leaseDuration: Duration
    /// The payload.
    public let data: [String: JSONValue]?
    /// The response-wrapping information, when the response was wrapped.
    public let wrapInfo: VaultWrapInfo?
    /// Warnings Vault attached.
    public let warnings: [String]
    /// The result of a login or token operation.
    public let auth: VaultAuthInfo?

    /// Decodes a response body: one JSON object, Vault's envelope. The client prefixes the request to the error's
    /// message; the fuzzers reach it through SPI.
    @_spi(Fuzzing) public static func decode(
        body bytes: [UInt8],
        status: Int? = nil
    ) throws(VaultError) -> VaultResponse {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw VaultError(.malformedResponse, "the response is not JSON (\(error))", status: status)
        }
        guard let object = document.objectValue else {
            throw VaultError(.malformedResponse, "the response is not a JSON object", status: status)
        }
        return VaultResponse(object)
    }

    init(_ document: [String: JSONValue]) {
        self.requestID = document["request_id"]?.stringValue
        let leaseID = document["lease_id"]?.stringValue
        self.leaseID = leaseID?.isEmpty == true ? nil : leaseID
        self.renewable = document["renewable"]?.boolValue ?? false
        self.leaseDuration = .seconds(document["lease_duration"]?.int64Value ?? 0)
        self.data = document["data"]?.objectValue
        self.wrapInfo = document["wrap_info"]?.objectValue.map(VaultWrapInfo.init)
        self.warnings = document["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.auth = document["auth"]?.objectValue.map(VaultAuthInfo.init)
    }

    /// `VaultResponse(request: …, lease: …, data: [password, username])`.
    public var description: String {
        var parts: [String] = []
        if let requestID { parts.append("request: \(requestID)") }
        if let leaseID {
            parts.append(
                "lease: \(leaseID), \(self.leaseDuration.components.seconds)s\(self.renewable ? ", renewable" : "")"
            )
        }
        if let data { parts.append("data: [\(data.keys.sorted().joined(separator: ", "))]") }
        if self.wrapInfo != nil { parts.append("wrapped") }
        if let auth { parts.append("auth: \(auth)") }
        if !self.warnings.isEmpty { parts.append("warnings: \(self.warnings.count)") }
        return "VaultResponse(\(parts.joined(separator: ", ")))"
    }

    /// A mirror without the data's values, so that `dump` cannot print a secret.
    public var customMirror: Mirror {
        Mirror(self, children: ["description": self.description], displayStyle: .struct)
    }
}

/// The result of a login or token operation: the client token and its lease.
public struct VaultAuthInfo: Sendable, CustomStringConvertible {
    /// The token.
    public let clientToken: Secret<String>
    /// The token's accessor, which names it without granting its power.
    public let accessor: String?
    /// The token's policies.
    public let policies: [String]
    /// The token's time to live.
    public let leaseDuration: Duration
    /// Whether the token can be renewed.
    public let renewable: Bool
    /// What the auth method recorded about the login, for example the role, or the service account of a Kubernetes
    /// login. Non-secret by Vault's design; it appears in Vault's audit log.
    public let metadata: [String: String]

    init(_ object: [String: JSONValue]) {
        self.clientToken = Secret(object["client_token"]?.stringValue ?? "")
        self.accessor = object["accessor"]?.stringValue
        self.policies = object["policies"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.leaseDuration = .seconds(object["lease_duration"]?.int64Value ?? 0)
        self.renewable = object["renewable"]?.boolValue ?? false
        self.metadata = object["metadata"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }

    /// `VaultAuthInfo(accessor: …, policies: [default], ttl: 3600s, renewable)`; never the token.
    public var description: String {
        "VaultAuthInfo(accessor: \(self.accessor ?? "none"), policies: [\(self.policies.joined(separator: ", "))], ttl: \(self.leaseDuration.components.seconds)s\(self.renewable ? ", renewable" : ""))"
    }
}

/// Response-wrapping information: the single-use token that unwraps the response.
public struct VaultWrapInfo: Sendable, CustomStringConvertible {
    /// The wrapping token.
    public let token: Secret<String>
    /// How long the wrapping token lives.
    public let ttl: Duration
    /// The path whose response was wrapped.
    public let creationPath: String?

    init(_ object: [String: JSONValue]) {
        self.token = Secret(object["token"]?.stringValue ?? "")
        self.ttl = .seconds(object["ttl"]?.int64Value ?? 0)
        self.creationPath = object["creation_path"]?.stringValue
    }

    /// `VaultWrapInfo(ttl: 60s, path: …)`; never the token.
    public var description: String {
        "VaultWrapInfo(ttl: \(self.ttl.components.seconds)s, path: \(self.creationPath ?? "unknown"))"
    }
}
