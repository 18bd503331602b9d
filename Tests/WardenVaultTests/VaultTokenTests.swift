import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenSPIFFE
import WardenTestSupport
import X509

@testable import WardenVault

/// The client token: any rotating provider, renewal, revocation, re-login, the maximum TTL. Against a real OpenBao, in `VaultClientTests`' suite.
extension VaultClientTests {
    /// Any rotating provider of tokens can feed the client, with the same re-login when Vault refuses the token.
    @Test func aTokenProviderOfAnyTokenSourceIsReloggedInOnRefusal() async throws {
        try await Self.withServer { server, client in
            let logins = Mutex(0)
            let source = ClosureCredentialSource(name: "custom-token") {
                let response = try await client.request(
                    .POST,
                    "auth/token/create",
                    body: ["ttl": "1h", "policies": ["root"]],
                    token: server.rootToken
                )
                logins.withLock { $0 += 1 }
                let token = try #require(response?.auth?.clientToken)
                return Credential(
                    value: token,
                    issuedAt: Date(),
                    expiresAt: Date().addingTimeInterval(3600),
                    metadata: CredentialMetadata(
                        sourceName: "custom-token",
                        kind: "vault-token",
                        identifier: "\(logins.withLock { $0 })"
                    )
                )
            }
            let tokens = RotatingCredentialProvider(
                source: source,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
            client.setTokenProvider(tokens)
            try await client.kv2().write("custom/key", ["value": "v"])
            let first = try await tokens.current()
            _ = try await client.request(
                .POST,
                "auth/token/revoke",
                body: ["token": .string(first.reveal())],
                token: server.rootToken
            )
            try await Task.sleep(for: .milliseconds(150))  // past the engine's minimum interval since the first login
            #expect(try await client.kv2().read("custom/key").data.reveal()["value"] == "v")
            #expect(logins.withLock { $0 } == 2)
        }
    }

    @Test func tokenSourceRenewsAndRevokes() async throws {
        try await Self.withServer { server, client in
            let created = try #require(
                try await client.write(
                    "auth/token/create",
                    ["ttl": "1h", "explicit_max_ttl": "2h", "policies": ["default"]]
                )?.auth
            )
            let source = VaultTokenSource(client: client, method: VaultTokenAuth(token: created.clientToken))
            let first = try await source.fetch()
            #expect(first.isRenewable)
            #expect(first.value.reveal() == created.clientToken.reveal())
            let renewed = try await source.renew(first)
            #expect(try #require(renewed.expiresAt) >= first.expiresAt!)
            try await source.revoke(renewed)
            let revoked = try server.client(token: created.clientToken)
            defer { Task { try? await revoked.shutdown() } }
            await #expect(throws: VaultError(.permissionDenied, "")) {
                try await revoked.read("auth/token/lookup-self")
            }
        }
    }

    /// A token revoked mid-TTL: the next request logs in again (one login for many callers) and succeeds; a path the
    /// token's policies do not cover is refused without a login.
    @Test func aRevokedTokenIsReplacedByANewLoginAndAPolicyDenialIsNot() async throws {
        try await Self.withServer { server, admin in
            try await admin.write(
                "sys/policy/payments",
                ["policy": #"path "secret/data/payments/*" { capabilities = ["read"] }"#]
            )
            let (roleID, secretID) = try await admin.createAppRole(
                "payments",
                ["token_ttl": "10m", "token_policies": ["default", "payments"]]
            )
            try await admin.kv2().write("payments/api-key", ["key": "k1"])
            try await admin.kv2().write("billing/api-key", ["key": "b1"])

            let client = try server.client()
            defer { Task { try? await client.shutdown() } }
            let tokens = RotatingCredentialProvider(
                source: VaultTokenSource(
                    client: client,
                    method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
                ),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
            client.setTokenProvider(tokens)
            #expect(try await client.kv2().read("payments/api-key").data.reveal()["key"] == "k1")
            let first = try #require(tokens.credential?.metadata.identifier)

            // Not a refused token but a policy that does not cover the path: no new login.
            await #expect(throws: VaultError(.permissionDenied, "")) { try await client.kv2().read("billing/api-key") }
            #expect(tokens.credential?.metadata.identifier == first)

            // An operator revokes the token long before its TTL.
            try await admin.write("auth/token/revoke-accessor", ["accessor": .string(first)])
            let reads = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.kv2().read("payments/api-key").data.reveal()["key"]?.stringValue }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(reads == Array(repeating: "k1", count: 20))
            let second = try #require(tokens.credential?.metadata.identifier)
            #expect(second != first)
            // One login for the twenty callers that saw the refusal: the AppRole tokens alive now are the new one only.
            let accessors = try #require(
                try await admin.list("auth/token/accessors").data?["keys"]?.arrayValue?.compactMap(\.stringValue)
            )
            var appRoleTokens: [String] = []
            for accessor in accessors {
                let token = try await admin.write("auth/token/lookup-accessor", ["accessor": .string(accessor)])
                if token?.data?["display_name"]?.stringValue == "approle" { appRoleTokens.append(accessor) }
            }
            #expect(appRoleTokens == [second])
        }
    }

    /// The client token as a rotating credential against a real server: renewed with `renew-self` while that extends
    /// it, then replaced by a fresh login before its maximum TTL, with every request served throughout.
    @Test func theTokenIsRenewedThenReplacedByALoginAtItsMaximumTTL() async throws {
        try await Self.withServer { server, admin in
            let (roleID, secretID) = try await admin.createAppRole(
                "short",
                ["token_ttl": "4s", "token_max_ttl": "7s", "token_policies": ["default"]]
            )

            let client = try server.client(maximumRetries: 0)
            defer { Task { try? await client.shutdown() } }
            let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let tokens = RotatingCredentialProvider(
                source: VaultTokenSource(
                    client: client,
                    method: VaultAppRoleAuth(roleID: roleID, secretID: .plain(Secret(secretID)))
                ),
                policy: RotationPolicy(mandatoryRefreshWindow: .seconds(1)),
                logger: quiet
            )
            client.setTokenProvider(tokens)
            let updates = tokens.updates
            let events = Task {
                await updates.reduce(into: [RotationEvent<Secret<String>>.Kind]()) { $0.append($1.kind) }
            }
            let running = Task { try await tokens.run() }

            var accessors: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(11)
            while ContinuousClock.now < deadline {
                let me = try await client.read("auth/token/lookup-self")
                accessors.insert(try #require(me.data?["accessor"]?.stringValue))
                try await Task.sleep(for: .milliseconds(250))
            }
            running.cancel()
            _ = await running.result
            let kinds = await events.value
            #expect(kinds.first == .initial)
            #expect(kinds.contains(.renewed), "\(kinds)")
            #expect(kinds.contains(.rotated), "\(kinds)")
            #expect(accessors.count >= 2, "a new login replaced the token at its maximum TTL")
        }
    }
}
