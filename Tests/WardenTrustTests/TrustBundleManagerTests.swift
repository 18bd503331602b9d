import Foundation
import MetricsTestKit
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import WardenTesting
import X509

@_spi(Benchmarks) @testable import WardenTrust

@Suite struct TrustBundleManagerTests {
    static let trustDomain = try! TrustDomain("example.org")

    struct CA {
        let issued: TestPKI.Issued
        var certificate: Certificate { self.issued.certificate }

        init(_ name: String, notAfter: Date = TestPKI.epoch.addingTimeInterval(86_400 * 365)) throws {
            self.issued = try TestPKI.issue(
                subject: "CN=\(name),O=Warden Tests",
                isCA: true,
                sans: [.uniformResourceIdentifier("spiffe://example.org")],
                notAfter: notAfter
            )
        }

        func svid(_ path: String) throws -> [Certificate] {
            [
                try TestPKI.issue(
                    subject: "O=Warden Tests",
                    issuer: self.issued,
                    sans: [.uniformResourceIdentifier("spiffe://example.org/\(path)")]
                ).certificate
            ]
        }
    }

    static func bundle(_ authorities: [Certificate], sequence: UInt64? = nil) -> SPIFFEBundle {
        SPIFFEBundle(trustDomain: Self.trustDomain, x509Authorities: authorities, sequenceNumber: sequence)
    }

    static func accepts(_ verifier: X509SVIDVerifier, _ chain: [Certificate]) -> Bool {
        (try? verifier.verify(chain, authorizer: .any)) != nil
    }

    /// istio's four stages: A, A+B, A+B signing with B, B. Nothing is rejected while its CA is published or retained;
    /// the old CA's SVIDs are rejected once the retention ends.
    @Test func aCARolloverInFourStagesBreaksNothing() throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let manager = TrustBundleManager(retention: .seconds(3600), clock: clock)
        let verifier = manager.makeX509SVIDVerifier()
        let a = try CA("CA A")
        let b = try CA("CA B")
        let fromA = try a.svid("old")
        let fromB = try b.svid("new")

        manager.apply(Self.bundle([a.certificate], sequence: 1))
        #expect(Self.accepts(verifier, fromA))
        #expect(!Self.accepts(verifier, fromB))
        manager.apply(Self.bundle([a.certificate, b.certificate], sequence: 2))
        #expect(Self.accepts(verifier, fromA) && Self.accepts(verifier, fromB))
        manager.apply(Self.bundle([b.certificate, a.certificate], sequence: 3))  // now signing with B
        #expect(Self.accepts(verifier, fromA) && Self.accepts(verifier, fromB))
        manager.apply(Self.bundle([b.certificate], sequence: 4))
        #expect(Self.accepts(verifier, fromA), "A is retained after the source drops it")
        #expect(Self.accepts(verifier, fromB))
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities.count == 2)

        clock.advance(by: .seconds(3599))
        manager.expireRetentions()
        #expect(Self.accepts(verifier, fromA))
        clock.advance(by: .seconds(2))
        manager.expireRetentions()
        #expect(!Self.accepts(verifier, fromA), "A is no longer trusted once its retention ends")
        #expect(Self.accepts(verifier, fromB))
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities == [b.certificate])
    }

    /// Retention is a day here, but the dropped CA expires in ten minutes: it is trusted until then, not after.
    @Test func retentionNeverOutlivesTheAuthority() throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let manager = TrustBundleManager(retention: .seconds(86_400), clock: clock)
        let shortLived = try CA("Short", notAfter: TestPKI.epoch.addingTimeInterval(600))
        let next = try CA("Next")
        manager.apply(Self.bundle([shortLived.certificate]))
        manager.apply(Self.bundle([next.certificate]))
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities.count == 2)
        clock.advance(by: .seconds(599))
        manager.expireRetentions()
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities.count == 2)
        clock.advance(by: .seconds(2))
        manager.expireRetentions()
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities == [next.certificate])
    }

    @Test func aBundleWhoseSequenceWentBackIsRefused() throws {
        let manager = TrustBundleManager(clock: ManualClock(now: TestPKI.epoch))
        let a = try CA("CA A")
        let b = try CA("CA B")
        manager.apply(Self.bundle([b.certificate], sequence: 5))
        manager.apply(Self.bundle([a.certificate], sequence: 4))
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities == [b.certificate])
        #expect(manager.refusedBundles == 1)
        // Without sequence numbers (SPIRE serves none), bundles are compared by content and applied.
        manager.apply(Self.bundle([a.certificate], sequence: 6))
        #expect(manager.bundles[Self.trustDomain]?.sequenceNumber == 6)
    }

    @Test func distrustTakesEffectAtOnceAndSticks() throws {
        let manager = TrustBundleManager(clock: ManualClock(now: TestPKI.epoch))
        let verifier = manager.makeX509SVIDVerifier()
        let compromised = try CA("Compromised")
        let other = try CA("Other")
        manager.apply(Self.bundle([compromised.certificate, other.certificate]))
        let svid = try compromised.svid("workload")
        #expect(Self.accepts(verifier, svid))
        manager.distrust(compromised.certificate, in: Self.trustDomain)
        #expect(!Self.accepts(verifier, svid))
        // The source still publishes it: it stays distrusted, and dropping it later retains nothing.
        manager.apply(Self.bundle([compromised.certificate, other.certificate]))
        #expect(!Self.accepts(verifier, svid))
        manager.apply(Self.bundle([other.certificate]))
        #expect(!Self.accepts(verifier, svid))
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities == [other.certificate])
    }

    @Test func bundleContentsAreCanonical() throws {
        let manager = TrustBundleManager(clock: ManualClock(now: TestPKI.epoch))
        let a = try CA("CA A")
        let b = try CA("CA B")
        manager.apply(Self.bundle([a.certificate, b.certificate, a.certificate]))
        let first = manager.bundles[Self.trustDomain]?.x509Authorities
        manager.apply(Self.bundle([b.certificate, a.certificate]))
        #expect(first?.count == 2)
        #expect(manager.bundles[Self.trustDomain]?.x509Authorities == first)
    }

    @Test func theEventsSayWhatChanged() async throws {
        let clock = ManualClock(now: TestPKI.epoch)
        let manager = TrustBundleManager(retention: .seconds(60), clock: clock)
        let a = try CA("CA A")
        let b = try CA("CA B")
        let events = manager.events()
        manager.apply(Self.bundle([a.certificate]))
        manager.apply(Self.bundle([b.certificate]))
        clock.advance(by: .seconds(61))
        manager.expireRetentions()
        manager.distrust(b.certificate, in: Self.trustDomain)
        let kinds = await collect(5, from: events, within: 10).map { ($0.kind, $0.authority) }
        #expect(kinds.map(\.0) == [.added, .retained, .added, .removed, .distrusted])
        #expect(kinds.map(\.1) == [a.certificate, a.certificate, b.certificate, a.certificate, b.certificate])
    }

    @Test func aPEMBundleFileWithAPrivateKeyIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let a = try CA("CA A")
        let path = try directory.write(
            "bundle.pem",
            a.issued.pem + a.issued.key.pkcs8PEMRepresentation.reveal()
        )
        let source = BundleFileSource(path: path, trustDomain: Self.trustDomain)
        await #expect(throws: TrustError.self) { _ = try await source.fetch() }
        do {
            _ = try await source.fetch()
        } catch let error as TrustError {
            #expect(error.code == .malformedBundle)
            #expect(
                !error.message.contains(String(a.issued.key.pkcs8PEMRepresentation.reveal().dropFirst(40).prefix(20)))
            )
        }
    }

    /// End to end on real time: the manager runs, follows a bundle file through a rotation, and stops.
    @Test func aRunningManagerFollowsItsBundleFile() async throws {
        let directory = try TemporaryDirectory()
        let a = try CA("CA A")
        let b = try CA("CA B")
        let path = try directory.write("bundle.pem", a.issued.pem)
        let manager = TrustBundleManager(retention: .seconds(0))
        manager.addSource(
            BundleFileSource(path: path, trustDomain: Self.trustDomain, rereadInterval: .milliseconds(200)),
            policy: RotationPolicy()
        )
        let verifier = manager.makeX509SVIDVerifier()
        let running = Task { try await manager.run() }
        defer { running.cancel() }
        let at = TestPKI.epoch
        func accepts(_ chain: [Certificate]) -> Bool { (try? verifier.verify(chain, at: at, authorizer: .any)) != nil }
        let fromA = try a.svid("a")
        let fromB = try b.svid("b")
        for _ in 0..<100 where !accepts(fromA) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(accepts(fromA))
        try directory.write("bundle.pem", b.issued.pem)
        for _ in 0..<100 where !accepts(fromB) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(accepts(fromB))
        #expect(!accepts(fromA))
        running.cancel()
        _ = try? await running.value
    }
}

extension TrustBundleManagerTests {
    /// JWT authorities change no X.509 authority, and still reach the JWT-SVID verifiers at once.
    @Test func jwtAuthoritiesReachTheJWTVerifiers() throws {
        let manager = TrustBundleManager(clock: ManualClock(now: TestPKI.epoch))
        let verifier = try manager.makeJWTSVIDVerifier(audiences: ["billing"])
        let key = try PrivateKey.generate(.p256)
        let signer = try JWTSigner(key: key, keyID: "k1", clock: ManualClock(now: TestPKI.epoch))
        let svid = try signer.mintSVID(subject: try SPIFFEID("spiffe://example.org/api"), audience: ["billing"])
        let a = try CA("CA A")
        manager.apply(Self.bundle([a.certificate]))
        #expect((try? verifier.verify(svid.token.reveal(), at: TestPKI.epoch, authorizer: .any)) == nil)
        manager.apply(
            SPIFFEBundle(
                trustDomain: Self.trustDomain,
                x509Authorities: [a.certificate],
                jwtAuthorities: ["k1": try JWTPublicKey(key)]
            )
        )
        #expect((try? verifier.verify(svid.token.reveal(), at: TestPKI.epoch, authorizer: .any)) != nil)
    }
}

extension TrustBundleManagerTests {
    /// What operators alert on: authorities trusted and retained, the earliest expiry, the sequence, changes, refusals.
    @Test func theMetricsSayWhatIsTrusted() throws {
        let metrics = TestMetrics()
        let clock = ManualClock(now: TestPKI.epoch)
        let manager = TrustBundleManager(retention: .seconds(60), clock: clock, metricsFactory: metrics)
        let soon = try CA("Soon", notAfter: TestPKI.epoch.addingTimeInterval(3600))
        let later = try CA("Later")
        manager.apply(Self.bundle([soon.certificate], sequence: 1))
        manager.apply(Self.bundle([later.certificate], sequence: 2))
        manager.apply(Self.bundle([soon.certificate], sequence: 1))
        let dimensions = [("trust_domain", "example.org")]
        #expect(try metrics.expectGauge("warden_trust_bundle_authorities", dimensions).lastValue == 2)
        #expect(try metrics.expectGauge("warden_trust_bundle_retained_authorities", dimensions).lastValue == 1)
        #expect(
            try metrics.expectGauge("warden_trust_bundle_earliest_expiry_timestamp_seconds", dimensions).lastValue
                == soon.certificate.notValidAfter.timeIntervalSince1970
        )
        #expect(try metrics.expectGauge("warden_trust_bundle_sequence", dimensions).lastValue == 2)
        #expect(try metrics.expectCounter("warden_trust_bundle_refused_total", dimensions).totalValue == 1)
        #expect(
            try metrics.expectCounter("warden_trust_bundle_changes_total", dimensions + [("kind", "added")]).totalValue
                == 2
        )
        #expect(
            try metrics.expectCounter("warden_trust_bundle_changes_total", dimensions + [("kind", "retained")])
                .totalValue == 1
        )
    }
}

extension TrustBundleManagerTests {
    /// The machine's real trust store (Scripts/test.sh installs ca-certificates): every root that parses, each once.
    @Test func theSystemRootsAreASource() async throws {
        let source = SystemTrustRootsSource(trustDomain: Self.trustDomain)
        let path = try #require(source.path, "no system trust store on this machine")
        let bundle = try await source.fetch().value
        let blocks = try PEM.decode(try PKIFile.read(path))
        #expect(bundle.x509Authorities.count > 50)
        #expect(bundle.x509Authorities.count <= blocks.count)

        let directory = try TemporaryDirectory()
        let a = try CA("CA A")
        let file = try directory.write(
            "roots.pem",
            a.issued.pem + "\n-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
        )
        let configured = SystemTrustRootsSource(trustDomain: Self.trustDomain, environment: ["SSL_CERT_FILE": file])
        let credential = try await configured.fetch()
        #expect(credential.value.x509Authorities == [a.certificate])
        #expect(credential.metadata.identifier?.hasSuffix("1 unparseable roots left out") == true)

        let key = try directory.write("key.pem", a.issued.pem + a.issued.key.pkcs8PEMRepresentation.reveal())
        await #expect(throws: TrustError.self) {
            _ = try await SystemTrustRootsSource(trustDomain: Self.trustDomain, environment: ["SSL_CERT_FILE": key])
                .fetch()
        }
    }
}
