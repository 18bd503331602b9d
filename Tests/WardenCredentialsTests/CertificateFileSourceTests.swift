import Foundation
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenTestServers
import WardenTestSupport
import WardenTesting
import X509

/// The file source against real files, written the ways agents write them.
@Suite struct CertificateFileSourceTests {
    let directory: TemporaryDirectory
    let certificatePath: String
    let keyPath: String

    init() throws {
        self.directory = try TemporaryDirectory()
        self.certificatePath = self.directory.file("svid.pem")
        self.keyPath = self.directory.file("svid.key")
    }

    /// A leaf and its key, issued by a throwaway CA, valid from `notBefore` for `lifetime` seconds.
    func issue(_ name: String, notBefore: Date = TestPKI.epoch, lifetime: TimeInterval = 3600) throws -> TestPKI.Issued
    {
        let ca = try TestPKI.issue(subject: "CN=File CA", isCA: true)
        return try TestPKI.issue(
            subject: "CN=\(name)",
            issuer: ca,
            sans: [.uniformResourceIdentifier("spiffe://example.org/\(name)")],
            notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(lifetime)
        )
    }

    func writeInPlace(_ issued: TestPKI.Issued) throws {
        try Data(issued.pem.utf8).write(to: URL(fileURLWithPath: self.certificatePath))
        try Data(issued.key.pkcs8PEMRepresentation.reveal().utf8).write(to: URL(fileURLWithPath: self.keyPath))
    }

    /// Writes both files the way spiffe-helper and cert-manager do: temporary files renamed into place.
    func writeByRename(_ issued: TestPKI.Issued) throws {
        try AtomicFile.write(Array(issued.pem.utf8), to: self.certificatePath, permissions: 0o644)
        try issued.key.write(to: self.keyPath)
    }

    func source(clock: ManualClock) -> CertificateFileSource {
        CertificateFileSource(
            certificatePath: self.certificatePath,
            keyPath: self.keyPath,
            rereadInterval: .seconds(5),
            settleTime: .milliseconds(200),
            settleAttempts: 3,
            clock: clock
        )
    }

    @Test func readsThePairAndTakesExpiryFromTheCertificate() async throws {
        let issued = try self.issue("first")
        try self.writeByRename(issued)
        let clock = ManualClock(now: TestPKI.epoch)
        let credential = try await self.source(clock: clock).fetch()
        #expect(credential.value.leaf == issued.certificate)
        #expect(credential.value.privateKey.publicKey == issued.key.publicKey)
        #expect(credential.expiresAt == issued.certificate.notValidAfter)
        #expect(credential.issuedAt == issued.certificate.notValidBefore)
        #expect(credential.refreshHint == clock.now.addingTimeInterval(5))
        #expect(credential.metadata.identifier == (try CertificateInfo(derEncoded: issued.der)).sha256Fingerprint)
        #expect(!credential.value.description.contains("BEGIN"))
        #expect(!"\(credential)".contains(issued.key.pkcs8PEMRepresentation.reveal().split(separator: "\n")[1]))
    }

    @Test func readsTheTrustBundleBesideThePair() async throws {
        let issued = try self.issue("with-bundle")
        try self.writeByRename(issued)
        let roots = [
            try TestPKI.issue(subject: "CN=Root A", isCA: true), try TestPKI.issue(subject: "CN=Root B", isCA: true),
        ]
        let bundlePath = try self.directory.write("bundle.pem", roots.map(\.pem).joined())
        let source = CertificateFileSource(
            certificatePath: self.certificatePath,
            keyPath: self.keyPath,
            bundlePath: bundlePath,
            clock: ManualClock(now: TestPKI.epoch)
        )
        let credential = try await source.fetch()
        #expect(credential.value.bundle == roots.map(\.certificate))
        #expect(credential.value.chain == [issued.certificate])
    }

    @Test func picksUpAtomicRenamesAndInPlaceWrites() async throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let source = self.source(clock: clock)
        let first = try self.issue("first")
        try self.writeByRename(first)
        #expect(try await source.fetch().value.leaf == first.certificate)
        let second = try self.issue("second")
        try self.writeByRename(second)
        #expect(try await source.fetch().value.leaf == second.certificate)
        let third = try self.issue("third")
        try self.writeInPlace(third)
        #expect(try await source.fetch().value.leaf == third.certificate)
    }

    @Test func aTornWriteIsWaitedOutAndNeverHandedOut() async throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let source = self.source(clock: clock)
        try self.writeByRename(try self.issue("old"))
        let new = try self.issue("new")
        // The agent has written the new certificate but not yet the new key.
        try AtomicFile.write(Array(new.pem.utf8), to: self.certificatePath, permissions: 0o644)
        let fetch = Task { try await source.fetch() }
        await clock.waitForSleepers(count: 1)
        try new.key.write(to: self.keyPath)
        clock.advance(by: .milliseconds(200))
        let credential = try await fetch.value
        #expect(credential.value.leaf == new.certificate)
        #expect(credential.value.privateKey.matches(credential.value.leaf.publicKey))
    }

    @Test func aKeyThatNeverMatchesIsATypedError() async throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let source = self.source(clock: clock)
        let one = try self.issue("one")
        let other = try self.issue("other")
        try AtomicFile.write(Array(one.pem.utf8), to: self.certificatePath, permissions: 0o644)
        try other.key.write(to: self.keyPath)
        let fetch = Task { try await source.fetch() }
        for _ in 0..<2 {
            await clock.waitForSleepers(count: 1)
            clock.advance(by: .milliseconds(200))
        }
        await #expect(throws: CredentialsError(.invalidCredential, "")) { try await fetch.value }
        try self.directory.write("svid.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n")
        let second = Task { try await source.fetch() }
        for _ in 0..<2 {
            await clock.waitForSleepers(count: 1)
            clock.advance(by: .milliseconds(200))
        }
        await #expect(throws: CredentialsError(.sourceFailed, "")) { try await second.value }
    }

    @Test func theProviderKeepsServingTheOldPairWhileTheFilesAreBrokenAndRotatesWhenFixed() async throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let source = self.source(clock: clock)
        let old = try self.issue("old")
        try self.writeByRename(old)
        var policy = RotationPolicy.testing
        policy.backoff = BackoffPolicy(jitter: .none)
        let provider = RotatingCredentialProvider(
            source: source,
            policy: policy,
            clock: clock,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            randomSeed: 1
        )
        let runner = Task { try await provider.run() }
        await settle(clock, provider)
        #expect(try await provider.current().leaf == old.certificate)

        // Unchanged files: re-reading is not a rotation.
        let updates = provider.updates
        let collector = Task {
            await updates.prefix(1).reduce(into: [RotationEvent<CertificateAndKey>]()) { $0.append($1) }
        }
        clock.advance(by: .seconds(5))
        await settle(clock, provider)
        #expect(provider.status == .fresh)

        // A key that does not match: the provider degrades but keeps the old, consistent pair.
        let new = try self.issue("new")
        try AtomicFile.write(Array(new.pem.utf8), to: self.certificatePath, permissions: 0o644)
        for _ in 0..<20 {
            await self.advanceToNextWake(clock, provider)
            await self.advanceToNextWake(clock, provider, moving: false)
            if case .degraded = provider.status, !provider.isAttemptInFlight { break }
        }
        guard case .degraded = provider.status else {
            Issue.record("expected degraded, got \(provider.status)")
            return
        }
        let served = try await provider.current()
        #expect(served.leaf == old.certificate)
        #expect(served.privateKey.matches(served.leaf.publicKey))

        try new.key.write(to: self.keyPath)
        while provider.status != .fresh {
            await self.advanceToNextWake(clock, provider)
            await settle(clock, provider)
        }
        #expect(try await provider.current().leaf == new.certificate)
        let events = await collector.value
        #expect(events.map(\.kind) == [.rotated])
        #expect(events.first?.old?.value.leaf == old.certificate)
        runner.cancel()
        _ = await runner.result
    }

    /// Moves the clock to the next wake-up once the engine is asleep: the loop alone, or a fetch under way whose
    /// source waits out a torn write (its sleep beside the fetch timer).
    func advanceToNextWake(
        _ clock: ManualClock,
        _ provider: RotatingCredentialProvider<CertificateFileSource>,
        moving: Bool = true
    ) async {
        await eventually(
            {
                provider.isAttemptInFlight ? clock.sleeperCount == 2 : clock.sleeperCount == 1
            },
            "the engine to sleep"
        )
        if moving { clock.advance(to: clock.nextDeadline!) }
    }
}
