import Foundation
import MetricsTestKit
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenTestServers
import WardenTestSupport
import WardenTrust
import X509

/// Warden's OCSP requests answered by `openssl ocsp` run as a responder, and CRLs fetched from Python's
/// `http.server` (which answers `If-Modified-Since` with 304): both independent peers on loopback.
@Suite(
    .enabled(
        if: ExternalTool.openssl.shouldRun && ExternalTool.python.shouldRun,
        "openssl or python is missing (Scripts/test.sh installs them)"
    )
)
struct RevocationPeerTests {
    static func certificate(_ path: String) throws -> Certificate {
        try #require(CertificateDecoder.certificates(from: PKIFile.read(path)).first)
    }

    @Test func openSSLsOCSPResponderAnswersWardensRequests() async throws {
        let port = try LoopbackPort.free()
        let uri = "http://127.0.0.1:\(port)"
        let ca = try OpenSSLCertificateAuthority(name: "OCSP CA", ocspURI: uri)
        let goodPath = try ca.issue("good")
        let revokedPath = try ca.issue("revoked")
        try ca.revoke(revokedPath, reason: "keyCompromise")
        let responder = try await LoopbackServerProcess(
            executable: try ExternalTool.openssl.require(),
            arguments: [
                "ocsp", "-index", ca.directory.file("index.txt"), "-port", "\(port)", "-rsigner", ca.certificatePath,
                "-rkey", ca.keyPath, "-CA", ca.certificatePath, "-nmin", "5",
            ],
            port: port,
            log: ca.directory.file("ocsp.log"),
            readyWhen: "ACCEPT "
        )
        let root = try Self.certificate(ca.certificatePath)
        func verifier(_ mode: RevocationPolicy.FailureMode) -> CertificateChainVerifier {
            CertificateChainVerifier(
                roots: [root],
                revocation: .ocsp(OCSPChecking(transport: HTTPOCSPRequester(timeout: .seconds(2))), failureMode: mode)
            )
        }

        // OpenSSL's own client says the same about both.
        for (path, expected) in [(goodPath, "good"), (revokedPath, "revoked")] {
            let theirs = try OpenSSLCertificateAuthority.openssl([
                "ocsp", "-issuer", ca.certificatePath, "-cert", path, "-url", uri, "-CAfile", ca.certificatePath,
                "-timeout", "5",
            ])
            #expect(theirs.contains(": \(expected)"), "\(theirs)")
        }

        let good = try await verifier(.hardFail).verify(leaf: Self.certificate(goodPath))
        #expect(good.revocationChecks.first?.status == .good(source: "OCSP responder \(uri)", stale: false))
        do {
            _ = try await verifier(.hardFail).verify(leaf: Self.certificate(revokedPath))
            Issue.record("a certificate openssl ocsp calls revoked verified")
        } catch let error as PKIError {
            #expect(error.code == .certificateRevoked, "\(error) \(responder.output)")
            #expect(error.revocation?.reason == .keyCompromise)
            #expect(error.revocation?.source == "OCSP responder \(uri)")
        }

        // The responder goes away: hard-fail rejects, soft-fail accepts and says why; revoked stays revoked only
        // while someone can say so.
        responder.stop()
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: PKIError(.revocationStatusUnknown, "")) {
            try await verifier(.hardFail).verify(leaf: Self.certificate(goodPath))
        }
        let soft = try await verifier(.softFail).verify(leaf: Self.certificate(goodPath))
        guard case .unknown(let reason)? = soft.revocationChecks.first?.status else {
            Issue.record("soft-fail recorded no unknown status: \(soft.revocationChecks)")
            return
        }
        #expect(reason.contains(uri))
        withExtendedLifetime(responder) {}
    }

    @Test func aCRLIsFetchedFromTheDistributionPointAndRevalidated() async throws {
        let port = try LoopbackPort.free()
        let served = try TemporaryDirectory()
        let ca = try OpenSSLCertificateAuthority(name: "HTTP CRL CA", crlURI: "http://127.0.0.1:\(port)/ca.crl")
        let leafPath = try ca.issue("leaf")
        func publish() throws {
            let crl = try ca.generateCRL("ca.crl")
            try OpenSSLCertificateAuthority.openssl([
                "crl", "-in", crl, "-outform", "DER", "-out", served.file("ca.crl"),
            ])
        }
        try publish()
        let server = try await LoopbackServerProcess(
            executable: try ExternalTool.python.require(),
            arguments: ["-u", "-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", served.path],
            port: port,
            log: ca.directory.file("http.log"),
            readyWhen: "Serving HTTP on"
        )
        let leaf = try Self.certificate(leafPath)
        // AsyncHTTPClient retries a refused connection until the deadline: 2 s keeps the last step short.
        let source = try HTTPCRLSource(distributionPointOf: leaf, timeout: .seconds(2))
        #expect(source.url == "http://127.0.0.1:\(port)/ca.crl")

        let first = try await source.fetch()
        #expect(first.value.revokedCertificate(serialNumber: leaf.serialNumber) == nil)
        #expect(first.expiresAt == first.value.nextUpdate.map { $0.addingTimeInterval(3600) })
        // Unchanged: a conditional request, answered 304, and the same list.
        let second = try await source.fetch()
        #expect(second.value == first.value)
        #expect(server.output.contains("\" 304 "), "\(server.output)")

        // Revoked and republished (a second later: If-Modified-Since has whole seconds).
        try await Task.sleep(for: .milliseconds(1100))
        try ca.revoke(leafPath, reason: "superseded")
        try publish()
        let third = try await source.fetch()
        #expect(third.value.revokedCertificate(serialNumber: leaf.serialNumber)?.reason == .superseded)

        let verifier = CertificateChainVerifier(
            roots: [try Self.certificate(ca.certificatePath)],
            revocation: .crl(from: [third.value], failureMode: .hardFail)
        )
        await #expect(throws: PKIError(.certificateRevoked, "")) { try await verifier.verify(leaf: leaf) }

        server.stop()
        await #expect(throws: TrustError.self) { try await source.fetch() }
        withExtendedLifetime(server) {}
    }
}

/// The file source and the CRL gauges, on lists made by `openssl ca`.
@Suite(.enabled(if: ExternalTool.openssl.shouldRun, "openssl is not installed (Scripts/test.sh installs it)"))
struct CRLFileSourceTests {
    @Test func aFileSourcePairsTheDeltaAndIsDueAtNextUpdatePlusGrace() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "File CA")
        let early = try ca.issue("early")
        try ca.revoke(early, reason: "keyCompromise")
        let base = try ca.generateCRL(
            "base.pem",
            lastUpdate: OpenSSLCertificateAuthority.generalizedTime(Date().addingTimeInterval(-60))
        )
        let late = try ca.issue("late")
        try ca.revoke(late, reason: "superseded")
        let delta = try ca.generateDelta("delta.pem", new: try ca.generateCRL("full.pem"), old: base)

        let source = CRLFileSource(path: base, deltaPath: delta, rereadInterval: .seconds(60), grace: .seconds(600))
        let credential = try await source.fetch()
        let list = credential.value
        let nextUpdate = try #require(list.nextUpdate)
        #expect(credential.expiresAt == nextUpdate.addingTimeInterval(600))
        #expect(try #require(credential.refreshHint) <= Date().addingTimeInterval(61))
        let lateCertificate = try RevocationPeerTests.certificate(late)
        #expect(list.revokedCertificate(serialNumber: lateCertificate.serialNumber)?.reason == .superseded)

        let metrics = TestMetrics()
        RevocationListMetrics.record(list, source: source.name, factory: metrics)
        let dimensions = [("crl", source.name)]
        #expect(try metrics.expectGauge("warden_crl_entries", dimensions).lastValue == 2)
        #expect(
            try metrics.expectGauge("warden_crl_next_update_timestamp_seconds", dimensions).lastValue
                == nextUpdate.timeIntervalSince1970
        )
        #expect(
            try metrics.expectGauge("warden_crl_this_update_timestamp_seconds", dimensions).lastValue
                == list.base.thisUpdate.timeIntervalSince1970
        )
        #expect(try metrics.expectGauge("warden_crl_number", dimensions).lastValue == 1)

        // A file that is not a CRL is a typed error, and the engine keeps what it had.
        let broken = try ca.directory.write("broken.crl", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
        await #expect(throws: PKIError.self) { try await CRLFileSource(path: broken).fetch() }
    }
}
