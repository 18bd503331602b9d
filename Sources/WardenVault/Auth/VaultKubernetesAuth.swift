import Foundation

/// Kubernetes auth: the pod's service-account token, read from its file at every login (it is rotated by the kubelet).
public struct VaultKubernetesAuth: VaultAuthMethod {
    public var name: String { "kubernetes" }
    private let role: String
    private let mount: String
    private let tokenFile: String

    /// Logs in as `role` with the token in `tokenFile`.
    public init(
        role: String,
        mount: String = "kubernetes",
        tokenFile: String = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    ) {
        self.role = role
        self.mount = mount
        self.tokenFile = tokenFile
    }

    public func login(_ client: VaultClient) async throws -> VaultAuthInfo {
        guard let data = FileManager.default.contents(atPath: self.tokenFile) else {
            throw VaultError(.invalidConfiguration, "cannot read the service-account token file \(self.tokenFile)")
        }
        let jwt = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try await client.login(
            path: "auth/\(self.mount)/login",
            body: ["role": .string(self.role), "jwt": .string(jwt)]
        )
    }
}
