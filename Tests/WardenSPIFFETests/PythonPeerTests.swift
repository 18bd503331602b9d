import Crypto
import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenSPIFFE
import WardenTestServers
import WardenTestSupport
import X509

/// WardenSPIFFE against independent implementations: py-spiffe (the SPIFFE project's Python library), joserfc (JOSE)
/// and pyca/cryptography (X.509). Tokens they mint verify here and tokens Warden mints verify there, for every
/// algorithm each side implements; certificates and bundles built on one side parse on the other with the same result.
@Suite(
    .enabled(
        if: ExternalTool.pythonSPIFFE.shouldRun,
        "py-spiffe and joserfc are missing (Scripts/test.sh installs them)"
    )
)
struct PythonPeerTests {
    static let script = ExternalTool.repositoryRoot.appendingPathComponent(
        "Tests/WardenSPIFFETests/Peers/spiffe_peer.py"
    ).path

    let directory: TemporaryDirectory
    let trustDomain = try! TrustDomain("example.org")
    let subject = try! SPIFFEID("spiffe://example.org/peer")

    init() throws {
        self.directory = try TemporaryDirectory()
    }

    static func peer(_ arguments: [String]) throws -> [String: Any] {
        let result = try Subprocess.run(try ExternalTool.pythonSPIFFE.require(), [Self.script] + arguments)
        guard result.status == 0 else {
            throw SPIFFEError(.invalidConfiguration, "peer \(arguments[0]) failed: \(result.stderr)")
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"])
    func tokensJoserfcMintsVerifyInWarden(_ algorithm: String) throws {
        let jwks = self.directory.file("jwks-\(algorithm).json")
        let minted = try Self.peer([
            "mint", algorithm, "kid-\(algorithm)", self.subject.description, "billing", "300", jwks,
        ])
        let token = try #require(minted["token"] as? String)
        let bundle = try SPIFFEBundle.load(trustDomain: self.trustDomain, from: jwks)
        var policy = JWTVerificationPolicy()
        policy.algorithms.insert(.edDSA)
        let verifier = try JWTSVIDVerifier(bundles: SPIFFEBundleSet([bundle]), audiences: ["billing"], policy: policy)
        let svid = try verifier.verify(token, authorizer: .any)
        #expect(svid.id == self.subject)
        #expect(svid.jwt.algorithm.name == algorithm)
        #expect(svid.claims["iss"] == .string("joserfc"))
        // The same token against another audience, and tampered, is rejected.
        let other = try JWTSVIDVerifier(bundles: SPIFFEBundleSet([bundle]), audiences: ["payroll"], policy: policy)
        #expect(throws: SPIFFEError(.audienceMismatch, "")) { try other.verify(token, authorizer: .any) }
        var bytes = Array(token.utf8)
        bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SPIFFEError.self) {
            try verifier.verify(String(decoding: bytes, as: UTF8.self), authorizer: .any)
        }
    }

    @Test(arguments: [
        (KeyType.p256, JWTAlgorithm.es256), (.p384, .es384), (.rsa2048, .rs256), (.rsa2048, .rs384), (.rsa3072, .rs512),
        (.rsa2048, .ps256), (.rsa2048, .ps384), (.rsa2048, .ps512), (.ed25519, .edDSA),
    ])
    func tokensWardenMintsVerifyInPySpiffeAndJoserfc(_ keyType: KeyType, _ algorithm: JWTAlgorithm) throws {
        let key = try PrivateKey.generate(keyType)
        let svid = try JWTSigner(key: key, keyID: "warden-1", algorithm: algorithm).mintSVID(
            subject: self.subject,
            audience: ["billing"]
        )
        let bundle = SPIFFEBundle(trustDomain: self.trustDomain, jwtAuthorities: ["warden-1": try JWTPublicKey(key)])
        let tokenFile = try self.directory.write("token-\(algorithm).jwt", svid.token.reveal())
        let jwksFile = try self.directory.write("warden-\(algorithm).json", bundle.jwtBundle.jwksEncoded())
        let bundleFile = try self.directory.write("warden-bundle-\(algorithm).json", bundle.jsonEncoded())

        let joserfc = try Self.peer(["verify-joserfc", tokenFile, bundleFile, "billing"])
        #expect(joserfc["valid"] as? Bool == true, "\(joserfc)")
        #expect(joserfc["sub"] as? String == self.subject.description)

        let pySpiffe = try Self.peer(["verify-pyspiffe", tokenFile, jwksFile, "example.org", "billing"])
        if algorithm == .edDSA {
            // py-spiffe allows only the algorithms JWT-SVID.md names, as Warden does by default.
            #expect(pySpiffe["valid"] as? Bool == false)
        } else {
            #expect(pySpiffe["valid"] as? Bool == true, "\(pySpiffe)")
            #expect(pySpiffe["spiffeID"] as? String == self.subject.description)
            #expect(pySpiffe["audience"] as? [String] == ["billing"])
            #expect(pySpiffe["expiry"] as? Int == Int(svid.expiry.timeIntervalSince1970))
        }
        // Both refuse the token for another audience: the agreement is on rejection too.
        #expect(
            try Self.peer(["verify-pyspiffe", tokenFile, jwksFile, "example.org", "payroll"])["valid"] as? Bool == false
        )
        #expect(try Self.peer(["verify-joserfc", tokenFile, bundleFile, "payroll"])["valid"] as? Bool == false)
    }

    @Test func jwksWardenWritesParsesInPySpiffeWithTheSameKeys() throws {
        var keys: [String: JWTPublicKey] = [:]
        for (index, type) in [KeyType.p256, .p384, .rsa2048].enumerated() {
            keys["key-\(index)"] = try JWTPublicKey(PrivateKey.generate(type))
        }
        let file = try self.directory.write(
            "keys.json",
            JWTBundle(trustDomain: self.trustDomain, authorities: keys).jwksEncoded()
        )
        let parsed = try Self.peer(["jwt-bundle", "example.org", file])
        #expect(parsed["kids"] as? [String] == keys.keys.sorted())
    }

    @Test func svidAndBundleBuiltByCryptographyVerifyInWardenAsInPySpiffe() throws {
        let made = try Self.peer(["make-svid", self.directory.path, "spiffe://example.org/py-workload"])
        let chainFile = self.directory.file("py-chain.pem")
        let keyFile = self.directory.file("py-leaf.key")
        let pySpiffe = try Self.peer(["x509-svid", chainFile, keyFile])
        #expect(pySpiffe["valid"] as? Bool == true, "\(pySpiffe)")

        let svid = try X509SVID.load(certificateFile: chainFile, keyFile: keyFile)
        #expect(svid.id.description == pySpiffe["spiffeID"] as? String)
        #expect(svid.certificates.count == pySpiffe["chain"] as? Int)

        let bundle = try X509Bundle.load(trustDomain: self.trustDomain, from: self.directory.file("py-root.pem"))
        let rootDER = TestPKI.der(bundle.authorities[0])
        #expect(Hex.lowercase(SHA256Fingerprint.of(rootDER)) == made["root"] as? String)
        let verified = try X509SVIDVerifier(bundle: bundle).verify(svid.certificates, authorizer: .any)
        #expect(verified.id == svid.id)
        #expect(verified.chain.count == 3)

        // And the other way: the bundle Warden writes parses in py-spiffe to the same authority.
        let rewritten = try self.directory.write("warden-root.pem", bundle.pemEncoded())
        #expect(
            try Self.peer(["x509-bundle", "example.org", rewritten])["fingerprints"] as? [String] == [
                made["root"] as! String
            ]
        )
    }

    @Test func svidWardenRejectsPySpiffeRejectsToo() throws {
        // A leaf without a URI SAN, built by Warden's test CA: both sides refuse it as an X509-SVID.
        let ca = try TestPKI.issue(subject: "CN=CA", isCA: true)
        let leaf = try TestPKI.issue(subject: "CN=no-id", issuer: ca, sans: [.dnsName("no-id.example")])
        let chainFile = try self.directory.write("no-id.pem", leaf.pem + ca.pem)
        let keyFile = try self.directory.write("no-id.key", leaf.key.pkcs8PEMRepresentation.reveal())
        #expect(try Self.peer(["x509-svid", chainFile, keyFile])["valid"] as? Bool == false)
        #expect(throws: SPIFFEError(.leafMissingSPIFFEID, "")) {
            try X509SVID.load(certificateFile: chainFile, keyFile: keyFile)
        }
    }
}

/// SHA-256 fingerprints for comparing with the peers.
enum SHA256Fingerprint {
    static func of(_ bytes: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }
}

enum Hex {
    static func lowercase(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
