import Foundation
public import WardenCore
public import WardenCredentials

/// The client token as a rotating credential: logged in with an auth method, renewed with `auth/token/renew-self`
/// while renewal extends it, and replaced by a fresh login when it reaches its maximum TTL or stops working.
///
/// ```swift
/// let tokens = RotatingCredentialProvider(source: VaultTokenSource(client: vault, method: appRole))
/// vault.setTokenProvider(tokens)
/// ```
///
/// A token is useless past its TTL, so stale values are never served (``allowsStaleValues`` is `false`).
public struct VaultTokenSource: CredentialSource {
    public typealias Value = Secret<String>

    private let client: VaultClient
    private let method: any VaultAuthMethod

    /// A source that logs in to `client`'s server with `method`.
    public init(client: VaultClient, method: any VaultAuthMethod) {
        self.client = client
        self.method = method
    }

    public var name: String { "vault-token-\(self.method.name)" }

    public var allowsStaleValues: Bool { false }

    /// `true`: a token can be revoked before it expires.
    public var issuesLeases: Bool { true }

    public func fetch() async throws -> Credential<Secret<String>> {
        let issued = self.client.clock.now
        let auth = try await self.method.login(self.client)
        return self.credential(
            auth.clientToken,
            ttl: auth.leaseDuration,
            renewable: auth.renewable,
            issued: issued,
            accessor: auth.accessor
        )
    }

    public func renew(_ credential: Credential<Secret<String>>) async throws -> Credential<Secret<String>> {
        let issued = self.client.clock.now
        guard
            let response = try await self.client.request(
                .POST,
                "auth/token/renew-self",
                body: [:],
                token: credential.value
            ),
            let auth = response.auth
        else {
            throw VaultError(.malformedResponse, "POST /v1/auth/token/renew-self: no auth block")
        }
        return self.credential(
            credential.value,
            ttl: auth.leaseDuration,
            renewable: auth.renewable,
            issued: issued,
            accessor: auth.accessor
        )
    }

    /// `true` when Vault could not answer (unreachable, timed out, sealed, no active node, rate limited): the held
    /// credential still works, so the provider renews it later instead of replacing it.
    public func isUnavailability(_ error: any Error) -> Bool { VaultError.isUnavailability(error) }

    public func revoke(_ credential: Credential<Secret<String>>) async throws {
        _ = try await self.client.request(.POST, "auth/token/revoke-self", body: [:], token: credential.value)
    }

    private func credential(
        _ token: Secret<String>,
        ttl: Duration,
        renewable: Bool,
        issued: Date,
        accessor: String?
    ) -> Credential<Secret<String>> {
        Credential(
            value: token,
            issuedAt: issued,
            expiresAt: ttl > .zero ? issued.addingTimeInterval(ttl.timeInterval) : nil,
            isRenewable: renewable && ttl > .zero,
            metadata: CredentialMetadata(sourceName: self.name, kind: "vault-token", identifier: accessor)
        )
    }
}
