import Foundation
import Logging
import Synchronization
import Testing
import WardenCore
import WardenCredentials

@testable import WardenVault

/// `VaultClient.onTokenReplaced(_:)`: called when the token provider installs a different token, not when a source
/// with no identity re-reads the same one, and no longer once a fixed token took the provider's place. No server is
/// needed: nothing here sends a request.
@Suite struct VaultTokenReplacementTests {
    @Test func aReplacementIsReportedAndARereadOrAFormerProviderIsNot() async throws {
        let client = try VaultClient(
            configuration: VaultConfiguration(address: "http://127.0.0.1:1"),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        defer { Task { try? await client.shutdown() } }
        // Tokens t1, t1 (the same one read again), t2, t3; no identifier, so the engine cannot tell them apart itself.
        let issued = Mutex(["t1", "t1", "t2", "t3"])
        let tokens = RotatingCredentialProvider(
            source: ClosureCredentialSource<Secret<String>>(name: "tokens") {
                let token = issued.withLock { $0.removeFirst() }
                return Credential(
                    value: Secret(token),
                    issuedAt: Date(),
                    expiresAt: Date().addingTimeInterval(3600),
                    metadata: CredentialMetadata(sourceName: "tokens", kind: "vault-token")
                )
            },
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let replacements = Atomic<Int>(0)
        client.setTokenProvider(tokens)
        client.onTokenReplaced { replacements.add(1, ordering: .relaxed) }

        #expect(try await tokens.current().reveal() == "t1")
        /// One push, after the minimum interval since the last attempt; then waits for the fetch it starts.
        func refresh(to token: String) async throws {
            try await Task.sleep(for: .milliseconds(150))
            let remaining = issued.withLock { $0.count }
            tokens.refreshNow()
            for _ in 0..<500 where issued.withLock({ $0.count }) == remaining || tokens.isAttemptInFlight {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(tokens.currentIfAvailable()?.reveal() == token)
        }
        // The same token again: not a replacement.
        try await refresh(to: "t1")
        #expect(issued.withLock { $0 } == ["t2", "t3"])
        try await Task.sleep(for: .milliseconds(200))
        #expect(replacements.load(ordering: .relaxed) == 0)
        // A different one: reported once.
        try await refresh(to: "t2")
        for _ in 0..<100 where replacements.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(replacements.load(ordering: .relaxed) == 1)
        // A fixed token takes the provider's place: its later replacements are not this client's.
        client.setToken(Secret("fixed"))
        try await refresh(to: "t3")
        #expect(tokens.currentIfAvailable()?.reveal() == "t3")
        try await Task.sleep(for: .milliseconds(200))
        #expect(replacements.load(ordering: .relaxed) == 1)
    }
}
