import Foundation
import Synchronization
import Testing
import WardenCore
import WardenCredentials

@Suite struct SourcesTests {
    static func credential(_ value: String, source: String) -> Credential<String> {
        Credential(
            value: value,
            issuedAt: Date(timeIntervalSince1970: 0),
            isRenewable: true,
            metadata: CredentialMetadata(sourceName: source, kind: "test")
        )
    }

    @Test func aStaticSourceNeverExpires() async throws {
        let source = StaticCredentialSource(name: "api-key", value: Secret("k-123"), kind: "api-key", owner: "team")
        let credential = try await source.fetch()
        #expect(credential.value.reveal() == "k-123")
        #expect(credential.expiresAt == nil)
        #expect(credential.metadata.owner == "team")
        await #expect(throws: CredentialsError(.renewalUnsupported, "")) { try await source.renew(credential) }
    }

    @Test func aClosureSourceCallsItsClosures() async throws {
        let revoked = Mutex<[String]>([])
        let source = ClosureCredentialSource<String>(
            name: "closure",
            renew: { credential in
                var renewed = credential
                renewed.expiresAt = Date(timeIntervalSince1970: 100)
                return renewed
            },
            revoke: { credential in revoked.withLock { $0.append(credential.value) } },
            fetch: { Self.credential("v", source: "closure") }
        )
        let credential = try await source.fetch()
        #expect(try await source.renew(credential).expiresAt == Date(timeIntervalSince1970: 100))
        try await source.revoke(credential)
        #expect(revoked.withLock { $0 } == ["v"])
        // With a revoke closure its credentials are leases (revoked on shutdown by default); without, they are not.
        #expect(source.issuesLeases)
        #expect(!ClosureCredentialSource<String>(name: "plain") { Self.credential("v", source: "plain") }.issuesLeases)
    }

    @Test func aFallbackChainTriesInOrderAndSendsRenewalsToTheIssuer() async throws {
        struct Down: Error, CustomStringConvertible { let description: String }
        let renewedBy = Mutex<[String]>([])
        func source(_ name: String, fails: Bool) -> ClosureCredentialSource<String> {
            ClosureCredentialSource(
                name: name,
                renew: { credential in
                    renewedBy.withLock { $0.append(name) }
                    return credential
                },
                fetch: {
                    if fails { throw Down(description: "\(name) is down") }
                    return Self.credential("from-\(name)", source: name)
                }
            )
        }
        let chain = FallbackCredentialSource(
            name: "chain",
            sources: [source("env", fails: true), source("file", fails: false), source("imds", fails: false)]
        )
        let credential = try await chain.fetch()
        #expect(credential.value == "from-file")
        _ = try await chain.renew(credential)
        #expect(renewedBy.withLock { $0 } == ["file"])

        let allDown = FallbackCredentialSource(
            name: "chain",
            sources: [source("a", fails: true), source("b", fails: true)]
        )
        do {
            _ = try await allDown.fetch()
            Issue.record("fetch succeeded")
        } catch let error as CredentialsError {
            #expect(error.code == .allSourcesFailed)
            #expect(error.message.contains("a: a is down; b: b is down"))
        }
    }

    @Test func aCredentialNeverPrintsItsValue() {
        let credential = Credential(
            value: "hunter2-password",
            issuedAt: Date(),
            expiresAt: Date().addingTimeInterval(60),
            metadata: CredentialMetadata(sourceName: "vault:database/creds/app", kind: "database", leaseID: "lease-1")
        )
        var dumped = ""
        dump(credential, to: &dumped)
        for text in [
            credential.description, credential.debugDescription, "\(credential)", dumped,
            String(reflecting: credential),
        ] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect(credential.description.contains("lease-1"))
    }
}
