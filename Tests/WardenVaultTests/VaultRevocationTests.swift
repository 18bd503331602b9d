import Foundation
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenTestSupport
import WardenTrust
import X509

@testable import WardenVault

/// Revocation against a real OpenBao PKI mount: its CRL (through the rotation engine) and its OCSP responder. In
/// `VaultClientTests`' suite.
extension VaultClientTests {
    static func mountPKI(_ client: VaultClient, crlExpiry: String = "72h", ocsp: Bool = false) async throws {
        try await client.write("sys/mounts/pki", ["type": "pki", "config": ["max_lease_ttl": "87600h"]])
        try await client.write("pki/root/generate/internal", ["common_name": "Revocation Root", "ttl": "8760h"])
        try await client.write("pki/config/crl", ["expiry": .string(crlExpiry), "ocsp_expiry": "1h"])
        if ocsp {
            try await client.write(
                "pki/config/urls",
                ["ocsp_servers": .array([.string("\(client.configuration.address)/v1/pki/ocsp")])]
            )
        }
        try await client.write(
            "pki/roles/service",
            ["allowed_domains": "example.org", "allow_subdomains": true, "max_ttl": "1h", "key_type": "any"]
        )
    }

    @Test func aCertificateRevokedThroughWardenIsRejectedWithinOneCRLRefresh() async throws {
        try await Self.withServer { _, client in
            try await Self.mountPKI(client)
            let pki = client.pki()
            let issued = try await pki.issue(role: "service", commonName: "api.example.org", keyType: .p256)
            let roots = try await pki.caChain()
            let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let crls = RotatingCredentialProvider(
                source: VaultPKICRLSource(client: client, refreshInterval: .seconds(1)),
                logger: quiet
            )
            let running = Task { try await crls.run() }
            defer { running.cancel() }
            let verifier = CertificateChainVerifier(roots: roots, revocation: .crl(from: crls, failureMode: .hardFail))
            _ = try await crls.current()

            let before = try await verifier.verify(leaf: issued.certificate, dnsName: "api.example.org")
            guard case .good(let source, let stale)? = before.revocationChecks.first?.status else {
                Issue.record("no revocation status: \(before.revocationChecks)")
                return
            }
            #expect(source.contains("/v1/pki/crl") && !stale)

            try await pki.revoke(issued.certificate)
            let revokedAt = ContinuousClock.now
            var rejection: PKIError?
            while rejection == nil, ContinuousClock.now < revokedAt + .seconds(5) {
                do {
                    _ = try await verifier.verify(leaf: issued.certificate, dnsName: "api.example.org")
                    try await Task.sleep(for: .milliseconds(100))
                } catch let error as PKIError {
                    rejection = error
                }
            }
            let error = try #require(rejection, "still accepted 5 s after revocation, with a 1 s CRL refresh")
            #expect(error.code == .certificateRevoked)
            #expect(error.revocation?.serialNumber == issued.certificate.serialNumber)
            #expect(error.revocation?.source.contains("/v1/pki/crl") == true)
            #expect(ContinuousClock.now - revokedAt < .seconds(3))
        }
    }

    @Test func openBaosOCSPResponderAnswersGoodThenRevoked() async throws {
        try await Self.withServer { _, client in
            try await Self.mountPKI(client, ocsp: true)
            let pki = client.pki()
            let issued = try await pki.issue(role: "service", commonName: "ocsp.example.org", keyType: .p256)
            let roots = try await pki.caChain()
            // No caching: each verification asks, so a revocation is seen at once.
            let ocsp = OCSPChecking(transport: HTTPOCSPRequester(), cache: OCSPResponseCache(maximumAge: .zero))
            let verifier = CertificateChainVerifier(roots: roots, revocation: .ocsp(ocsp, failureMode: .hardFail))

            let good = try await verifier.verify(leaf: issued.certificate)
            #expect(good.revocationChecks.first?.status == .good(source: "OCSP responder \(pki.ocspURL)", stale: false))

            try await pki.revoke(issued.certificate)
            do {
                _ = try await verifier.verify(leaf: issued.certificate)
                Issue.record("OpenBao's responder was not asked again, or said good")
            } catch let error as PKIError {
                #expect(error.code == .certificateRevoked, "\(error)")
                #expect(error.revocation?.source == "OCSP responder \(pki.ocspURL)")
                #expect(error.revocation?.serialNumber == issued.certificate.serialNumber)
            }

            // A cached good answer is used until it expires: one request for two verifications.
            let cached = OCSPChecking(transport: HTTPOCSPRequester())
            let other = try await pki.issue(role: "service", commonName: "cached.example.org", keyType: .p256)
            let cachingVerifier = CertificateChainVerifier(
                roots: roots,
                revocation: .ocsp(cached, failureMode: .hardFail)
            )
            _ = try await cachingVerifier.verify(leaf: other.certificate)
            #expect(cached.cache.count == 1)
        }
    }

    @Test func aVaultCRLThatStopsUpdatingGoesStaleAndThenThePolicyDecides() async throws {
        try await Self.withServer { _, client in
            try await Self.mountPKI(client, crlExpiry: "3s")
            let pki = client.pki()
            let issued = try await pki.issue(role: "service", commonName: "stale.example.org", keyType: .p256)
            let roots = try await pki.caChain()
            try await pki.rotateCRL()
            let list = try await pki.revocationList()
            let nextUpdate = try #require(list.nextUpdate)
            #expect(nextUpdate.timeIntervalSince(list.base.thisUpdate) <= 4)

            func verifier(_ mode: RevocationPolicy.FailureMode) -> CertificateChainVerifier {
                var policy = RevocationPolicy.crl(from: [list], failureMode: mode)
                policy.staleGrace = .seconds(2)
                return CertificateChainVerifier(roots: roots, revocation: policy)
            }
            // Past nextUpdate, within grace: used, and said to be stale.
            let withinGrace = try await verifier(.hardFail).verify(
                leaf: issued.certificate,
                at: nextUpdate.addingTimeInterval(1)
            )
            #expect(withinGrace.revocationChecks.first?.status == .good(source: list.description, stale: true))
            // Past grace: hard-fail rejects, soft-fail accepts and says so.
            let past = nextUpdate.addingTimeInterval(3)
            await #expect(throws: PKIError(.revocationStatusUnknown, "")) {
                try await verifier(.hardFail).verify(leaf: issued.certificate, at: past)
            }
            let soft = try await verifier(.softFail).verify(leaf: issued.certificate, at: past)
            #expect(!soft.isRevocationStatusKnown)

            // The engine drops the list once past grace: a provider-fed verifier has no list left.
            let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            let crls = RotatingCredentialProvider(
                source: VaultPKICRLSource(client: client, refreshInterval: .seconds(60), grace: .seconds(1)),
                logger: quiet
            )
            let credential = try await crls.source.fetch()
            let due = try #require(credential.value.nextUpdate)
            #expect(credential.expiresAt == due.addingTimeInterval(1))
        }
    }

    @Test func aReissuedCertificateCanRevokeTheOneItReplaces() async throws {
        try await Self.withServer { _, client in
            try await Self.mountPKI(client)
            let source = VaultPKICertificateSource(
                client: client,
                role: "service",
                commonName: "rotating.example.org",
                ttl: .seconds(600),
                revokesReplacedCertificates: true
            )
            let first = try await source.fetch()
            let second = try await source.fetch()
            let list = try await client.pki().revocationList()
            #expect(list.revokedCertificate(serialNumber: first.value.leaf.serialNumber) != nil)
            #expect(list.revokedCertificate(serialNumber: second.value.leaf.serialNumber) == nil)
        }
    }
}
