import Foundation
public import WardenCore
import WardenSPIFFE

/// A way to log in to Vault and get a client token.
public protocol VaultAuthMethod: Sendable {
    /// A short name for logs and metrics: `token`, `approle`, `jwt`, `kubernetes`, `cert`.
    var name: String { get }
    /// Logs in and returns the token with its lease.
    func login(_ client: VaultClient) async throws -> VaultAuthInfo
}

/// Token auth: a token given from outside (an operator, Vault Agent, `VAULT_TOKEN`). "Logging in" looks the token up
/// to learn its time to live and renewability.
public struct VaultTokenAuth: VaultAuthMethod {
    public var name: String { "token" }
    private let token: Secret<String>

    /// Uses `token`.
    public init(token: Secret<String>) {
        self.token = token
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let response = try await client.read("auth/token/lookup-self", token: self.token)
        let data = response.data ?? [:]
        return VaultAuthInfo(
            clientToken: self.token, accessor: data["accessor"]?.stringValue,
            policies: data["policies"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            leaseDuration: Int(data["ttl"]?.int64Value ?? 0), renewable: data["renewable"]?.boolValue ?? false,
            metadata: data["meta"]?.objectValue?.compactMapValues(\.stringValue) ?? [:])
    }
}

/// AppRole auth (`auth/<mount>/login` with a role ID and a secret ID). The secret ID may arrive response-wrapped: the
/// client unwraps it at login, so the secret ID itself never sits in configuration.
public struct VaultAppRoleAuth: VaultAuthMethod {
    /// The secret ID, plain or as the single-use token of a wrapped response.
    public enum SecretID: Sendable {
        case plain(Secret<String>)
        case wrapped(wrappingToken: Secret<String>)
    }

    public var name: String { "approle" }
    private let roleID: String
    private let secretID: SecretID
    private let mount: String

    /// Logs in to the AppRole mount `mount` (default `approle`).
    public init(roleID: String, secretID: SecretID, mount: String = "approle") {
        self.roleID = roleID
        self.secretID = secretID
        self.mount = mount
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let secretID: Secret<String>
        switch self.secretID {
        case .plain(let value):
            secretID = value
        case .wrapped(let wrappingToken):
            let unwrapped = try await client.unwrap(wrappingToken)
            guard let value = unwrapped.data?["secret_id"]?.stringValue else {
                throw VaultError(.malformedResponse, "the wrapped response has no secret_id")
            }
            secretID = Secret(value)
        }
        return try await client.login(path: "auth/\(self.mount)/login", body: ["role_id": .string(self.roleID), "secret_id": .string(secretID.reveal())])
    }
}

/// JWT auth (`auth/<mount>/login` with a role and a JWT), for example with a JWT-SVID minted by WardenSPIFFE.
public struct VaultJWTAuth: VaultAuthMethod {
    public var name: String { "jwt" }
    private let role: String
    private let mount: String
    private let token: @Sendable () async throws -> Secret<String>

    /// Logs in as `role` with the JWT `token` returns, fetched anew for every login.
    public init(role: String, mount: String = "jwt", token: @escaping @Sendable () async throws -> Secret<String>) {
        self.role = role
        self.mount = mount
        self.token = token
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        let jwt = try await self.token()
        return try await client.login(path: "auth/\(self.mount)/login", body: ["role": .string(self.role), "jwt": .string(jwt.reveal())])
    }
}

/// Kubernetes auth: the pod's service-account token, read from its file at every login (it is rotated by the kubelet).
public struct VaultKubernetesAuth: VaultAuthMethod {
    public var name: String { "kubernetes" }
    private let role: String
    private let mount: String
    private let tokenFile: String

    /// Logs in as `role` with the token in `tokenFile`.
    public init(role: String, mount: String = "kubernetes", tokenFile: String = "/var/run/secrets/kubernetes.io/serviceaccount/token") {
        self.role = role
        self.mount = mount
        self.tokenFile = tokenFile
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        guard let data = FileManager.default.contents(atPath: self.tokenFile) else {
            throw VaultError(.configuration, "cannot read the service-account token file \(self.tokenFile)")
        }
        let jwt = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try await client.login(path: "auth/\(self.mount)/login", body: ["role": .string(self.role), "jwt": .string(jwt)])
    }
}

/// TLS certificate auth (`auth/<mount>/login`): the client proves itself with the TLS client certificate of its
/// configuration (for example an X509-SVID), so the login carries no secret at all.
public struct VaultCertAuth: VaultAuthMethod {
    public var name: String { "cert" }
    private let role: String?
    private let mount: String

    /// Logs in, optionally naming the certificate role to match.
    public init(role: String? = nil, mount: String = "cert") {
        self.role = role
        self.mount = mount
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        try await client.login(path: "auth/\(self.mount)/login", body: self.role.map { ["name": .string($0)] } ?? [:])
    }
}

extension VaultAuthInfo {
    init(clientToken: Secret<String>, accessor: String?, policies: [String], leaseDuration: Int, renewable: Bool, metadata: [String: String]) {
        self.clientToken = clientToken
        self.metadata = metadata
        self.accessor = accessor
        self.policies = policies
        self.leaseDuration = leaseDuration
        self.renewable = renewable
    }
}

extension VaultClient {
    /// Logs in with `method` and uses the token for every request from now on.
    @discardableResult
    public func login(using method: any VaultAuthMethod) async throws -> VaultAuthInfo {
        let auth = try await method.login(self)
        self.setToken(auth.clientToken)
        return auth
    }

    /// Posts to a login endpoint, without a token, and returns the `auth` block.
    func login(path: String, body: JSONValue) async throws(VaultError) -> VaultAuthInfo {
        guard let response = try await self.request(.POST, path, body: body, authenticated: false), let auth = response.auth,
              !auth.clientToken.reveal().isEmpty else {
            throw VaultError(.malformedResponse, "POST /v1/\(path): the login response has no auth block")
        }
        return auth
    }

    /// Reads `path` with an explicit token.
    func read(_ path: String, token: Secret<String>) async throws(VaultError) -> VaultResponse {
        guard let response = try await self.request(.GET, path, token: token) else {
            throw VaultError(.notFound, "GET /v1/\(path): no content")
        }
        return response
    }

    /// Unwraps a response-wrapped secret (`sys/wrapping/unwrap` with the wrapping token).
    public func unwrap(_ wrappingToken: Secret<String>) async throws(VaultError) -> VaultResponse {
        guard let response = try await self.request(.POST, "sys/wrapping/unwrap", body: [:], token: wrappingToken) else {
            throw VaultError(.malformedResponse, "POST /v1/sys/wrapping/unwrap: no content")
        }
        return response
    }
}
