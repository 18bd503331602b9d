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
