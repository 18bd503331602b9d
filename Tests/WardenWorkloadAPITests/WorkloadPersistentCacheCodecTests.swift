import Foundation
import Logging
import Testing
import WardenCore
import WardenSPIFFE
import WardenTestServers

@testable import WardenCredentials
@testable import WardenWorkloadAPI

/// The persistent cache's encoding of a JWT-SVID: the token, ID, audience, expiry and hint come back as they went in;
/// a record whose ID is not a SPIFFE ID is refused. (X509-SVIDs are `CertificateAndKey`, tested in
/// WardenCredentialsTests.)
@Suite struct WorkloadPersistentCacheCodecTests {
    let directory: TemporaryDirectory
    let key = CredentialCacheKey.environment(
        "KEY",
        environment: ["KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()]
    )

    init() throws { self.directory = try TemporaryDirectory() }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func credential(_ svid: WorkloadJWTSVID) -> Credential<WorkloadJWTSVID> {
        Credential(
            value: svid,
            issuedAt: Date(),
            expiresAt: svid.expiry,
            metadata: CredentialMetadata(sourceName: "workload-api", kind: "jwt-svid")
        )
    }

    @Test func aJWTSVIDComesBack() async throws {
        let cache = try PersistentCredentialCache<WorkloadJWTSVID>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let expiry = Date(timeIntervalSince1970: Date().addingTimeInterval(300).timeIntervalSince1970.rounded())
        let svid = WorkloadJWTSVID(
            id: try SPIFFEID("spiffe://example.org/payments"),
            token: Secret("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmUifQ.c2ln"),
            audience: ["orders", "ledger"],
            expiry: expiry,
            hint: "internal"
        )
        try await cache.store(self.credential(svid), sourceName: "workload-api")
        let loaded = try #require(try await cache.load(sourceName: "workload-api", at: Date())).value
        #expect(loaded.id == svid.id)
        #expect(loaded.token.reveal() == svid.token.reveal())
        #expect(loaded.audience == ["orders", "ledger"])
        #expect(loaded.expiry == expiry)
        #expect(loaded.hint == "internal")
    }

    @Test func aRecordWithoutASPIFFEIDIsRefused() async throws {
        let raw = try PersistentCredentialCache<WorkloadJWTSVID>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet,
            encode: { _ in Array(#"{"id":"https://example.org","token":"t","audience":[],"expiry":0,"hint":""}"#.utf8)
            },
            decode: { _ in throw CancellationError() }
        )
        let svid = WorkloadJWTSVID(
            id: try SPIFFEID("spiffe://example.org/x"),
            token: Secret("t"),
            audience: ["a"],
            expiry: Date().addingTimeInterval(60),
            hint: ""
        )
        try await raw.store(self.credential(svid), sourceName: "workload-api")
        let cache = try PersistentCredentialCache<WorkloadJWTSVID>(
            directory: self.directory.file("cache"),
            key: self.key,
            logger: Self.quiet
        )
        let error = await #expect(throws: CredentialsError.self) {
            _ = try await cache.load(sourceName: "workload-api", at: Date())
        }
        #expect(error?.code == .cacheRejected)
    }
}
