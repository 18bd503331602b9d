import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import WardenTesting
import X509

@_spi(Benchmarks) @testable import WardenTrust

@Suite struct BundleEndpointHandlerTests {
    let manager = TrustBundleManager(clock: ManualClock(now: TestPKI.epoch))
    let trustDomain = TrustBundleManagerTests.trustDomain
    let ca: TrustBundleManagerTests.CA
    let jwtKey: PrivateKey

    init() throws {
        self.ca = try TrustBundleManagerTests.CA("Local CA")
        self.jwtKey = try PrivateKey.generate(.p256)
        self.manager.apply(
            SPIFFEBundle(
                trustDomain: self.trustDomain,
                x509Authorities: [self.ca.certificate],
                jwtAuthorities: ["k1": try JWTPublicKey(self.jwtKey)]
            )
        )
    }

    @Test func servesTheBundleAsTheFederationSpecSays() throws {
        let endpoint = BundleEndpointHandler(manager: self.manager, trustDomain: self.trustDomain)
        let response = endpoint.respond()
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let served = try SPIFFEBundle.parse(trustDomain: self.trustDomain, json: response.body)
        #expect(served.x509Authorities == [self.ca.certificate])
        #expect(served.jwtAuthorities.keys.sorted() == ["k1"])
        #expect(served.refreshHint == .seconds(300))
        let first = try #require(served.sequenceNumber)

        // A change raises the sequence; the same bundle keeps its ETag, and If-None-Match gets 304.
        let tag = try #require(response.headers["ETag"])
        #expect(endpoint.respond(ifNoneMatch: tag).status == 304)
        #expect(endpoint.respond(method: "HEAD").body.isEmpty)
        #expect(endpoint.respond(method: "POST").status == 405)
        let next = try TrustBundleManagerTests.CA("Next CA")
        self.manager.apply(
            SPIFFEBundle(trustDomain: self.trustDomain, x509Authorities: [self.ca.certificate, next.certificate])
        )
        let changed = endpoint.respond(ifNoneMatch: tag)
        #expect(changed.status == 200)
        #expect(try SPIFFEBundle.parse(trustDomain: self.trustDomain, json: changed.body).sequenceNumber! > first)
        #expect(
            BundleEndpointHandler(manager: self.manager, trustDomain: try TrustDomain("other.org")).respond().status
                == 404
        )
    }

    /// py-spiffe reads what the endpoint serves. It has no parser for a whole SPIFFE bundle document (its `JwtBundle`
    /// requires a `kid` on every key, which x509-svid entries need not have), so the script hands it each half: the
    /// jwt-svid keys as a JWKS, and the x509-svid certificates as DER.
    @Test(.enabled(if: ExternalTool.pythonSPIFFE.shouldRun, "py-spiffe is missing (Scripts/test.sh installs it)"))
    func pySPIFFEReadsTheServedBundle() throws {
        let directory = try TemporaryDirectory()
        let body = BundleEndpointHandler(manager: self.manager, trustDomain: self.trustDomain).respond().body
        let path = try directory.write("bundle.json", body)
        let script = """
            import base64, json, sys
            from cryptography.hazmat.primitives import hashes
            from spiffe import JwtBundle, TrustDomain
            from spiffe import X509Bundle
            document = json.loads(open(sys.argv[1], "rb").read())
            td = TrustDomain("example.org")
            jwt = JwtBundle.parse(td, json.dumps({"keys": [k for k in document["keys"] if k["use"] == "jwt-svid"]}).encode())
            der = b"".join(base64.b64decode(k["x5c"][0]) for k in document["keys"] if k["use"] == "x509-svid")
            x509_bundle = X509Bundle.parse_raw(td, der)
            print(json.dumps({"kids": sorted(jwt.jwt_authorities.keys()),
                              "fingerprints": [c.fingerprint(hashes.SHA256()).hex() for c in x509_bundle.x509_authorities],
                              "sequence": document["spiffe_sequence"], "hint": document["spiffe_refresh_hint"]}))
            """
        let result = try Subprocess.run(try ExternalTool.pythonSPIFFE.require(), ["-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["kids"] as? [String] == ["k1"])
        let fingerprint = try CertificateInfo(
            self.ca.certificate,
            derBytes: CertificateDecoder.derBytes(of: self.ca.certificate)
        )
        .sha256Fingerprint.replacingOccurrences(of: ":", with: "").lowercased()
        #expect(report["fingerprints"] as? [String] == [fingerprint])
        #expect(report["hint"] as? Int == 300)
    }
}
