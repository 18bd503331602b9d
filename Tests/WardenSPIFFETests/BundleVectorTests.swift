import Foundation
import Testing
import WardenPKI
import WardenTestSupport
import X509

@testable import WardenSPIFFE

/// go-spiffe's bundle test files (`bundle/{x509bundle,jwtbundle,spiffebundle}/testdata`), with the outcomes go-spiffe's
/// tests expect, except where the SPIFFE specification says otherwise (noted on the row).
@Suite struct BundleVectorTests {
    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors/\(folder)")
        )
        return Array(try Data(contentsOf: url))
    }

    static let domainTest = try! TrustDomain("domain.test")
    static let exampleOrg = try! TrustDomain("example.org")

    // MARK: x509bundle

    /// go-spiffe's `cert.pem` and `certs.pem` hold RSA-768 certificates. go-spiffe parses them; swift-certificates,
    /// and so Warden, refuses RSA keys that small (768-bit RSA was factored in 2009), with a typed error naming the block.
    @Test(arguments: ["cert.pem", "certs.pem"])
    func rsa768CertificatesAreRefused(_ name: String) throws {
        let bytes = try Self.bytes("x509bundle", name)
        let error = try #require(throws: SPIFFEError.self) {
            try X509Bundle.parse(trustDomain: Self.domainTest, bytes: bytes)
        }
        #expect(error.code == .malformedBundle)
        #expect(error.message.contains("PEM block 1 (CERTIFICATE"), "\(error.message)")
    }

    /// What go-spiffe's tests check with those files, on certificates Warden accepts: one and two authorities, DER,
    /// a byte-exact PEM round trip, de-duplication, and no bundle for another trust domain.
    @Test func x509BundleOfOneAndTwoCertificates() throws {
        let first = try TestPKI.issue(subject: "CN=PEMUTILTEST1", isCA: true)
        let second = try TestPKI.issue(subject: "CN=PEMUTILTEST2", keyType: .rsa2048, isCA: true)
        let file = Array((first.pem + second.pem).utf8)
        let one = try X509Bundle.parse(trustDomain: Self.domainTest, bytes: Array(first.pem.utf8))
        #expect(one.authorities == [first.certificate])
        #expect(try X509Bundle.parse(trustDomain: Self.domainTest, bytes: first.der) == one)
        var bundle = try X509Bundle.parse(trustDomain: Self.domainTest, bytes: file)
        #expect(bundle.authorities == [first.certificate, second.certificate])
        #expect(Array(bundle.pemEncoded().utf8) == file)
        bundle.add(second.certificate)
        #expect(bundle.authorities.count == 2, "adding a certificate already present is a no-op")
        let set = SPIFFEBundleSet([SPIFFEBundle(trustDomain: Self.domainTest, x509Authorities: bundle.authorities)])
        #expect(set[try TrustDomain("domain2.test")] == nil)
        #expect(set[Self.domainTest]?.x509Authorities.count == 2)
    }

    @Test func emptyX509BundleFileIsAnEmptyBundle() throws {
        let bundle = try X509Bundle.parse(trustDomain: Self.domainTest, bytes: Self.bytes("x509bundle", "empty.pem"))
        #expect(bundle.authorities.isEmpty)
        #expect(try X509Bundle.parse(trustDomain: Self.domainTest, bytes: [UInt8]()).authorities.isEmpty)
    }

    @Test func keyOnlyPEMIsAnEmptyBundle() throws {
        #expect(
            try X509Bundle.parse(trustDomain: Self.domainTest, bytes: Self.bytes("x509bundle", "key.pem")).authorities
                .isEmpty
        )
    }

    @Test(arguments: ["not-pem.pem", "corrupted.pem"])
    func malformedX509BundleFiles(_ name: String) throws {
        let bytes = try Self.bytes("x509bundle", name)
        let error = try #require(throws: SPIFFEError.self) {
            try X509Bundle.parse(trustDomain: Self.domainTest, bytes: bytes)
        }
        #expect(error.code == .malformedBundle)
        #expect(error.message.contains("domain.test"))
    }

    @Test func missingX509BundleFile() {
        #expect(throws: SPIFFEError(.malformedBundle, "")) {
            try X509Bundle.load(trustDomain: Self.domainTest, from: "/nonexistent/bundle.pem")
        }
    }

    // MARK: jwtbundle

    @Test func jwksWithOneAndTwoKeys() throws {
        let one = try JWTBundle.parse(trustDomain: Self.exampleOrg, jwks: Self.bytes("jwtbundle", "jwks_valid_1.json"))
        #expect(Array(one.authorities.keys) == ["C6vs25welZOx6WksNYfbMfiw9l96pMnD"])
        let two = try JWTBundle.parse(trustDomain: Self.exampleOrg, jwks: Self.bytes("jwtbundle", "jwks_valid_2.json"))
        #expect(Set(two.authorities.keys) == ["C6vs25welZOx6WksNYfbMfiw9l96pMnD", "gHTCunJbefYtnZnTctd84xeRWyMrEsWD"])
        let reparsed = try JWTBundle.parse(trustDomain: Self.exampleOrg, jwks: Array(two.jwksEncoded().utf8))
        #expect(reparsed.authorities == two.authorities)
    }

    @Test func jwksKeyWithoutKeyID() throws {
        let bytes = try Self.bytes("jwtbundle", "jwks_missing_kid.json")
        let error = try #require(throws: SPIFFEError.self) {
            try JWTBundle.parse(trustDomain: Self.exampleOrg, jwks: bytes)
        }
        #expect(error.code == .bundleMissingKeyID)
        #expect(error.message.contains("entry 1"))
    }

    @Test func emptyJWKS() {
        #expect(throws: SPIFFEError(.malformedBundle, "")) {
            try JWTBundle.parse(trustDomain: Self.exampleOrg, jwks: [UInt8]())
        }
    }

    // MARK: spiffebundle

    @Test func spiffeBundleWithOneOfEach() throws {
        let bundle = try SPIFFEBundle.parse(
            trustDomain: Self.domainTest,
            json: Self.bytes("spiffebundle", "spiffebundle_valid_1.json")
        )
        #expect(bundle.jwtAuthorities.count == 1)
        #expect(bundle.x509Authorities.count == 1)
        #expect(bundle.refreshHint == nil)
        #expect(bundle.sequenceNumber == nil)
    }

    @Test func spiffeBundleWithHintAndSequenceRoundTrips() throws {
        let bundle = try SPIFFEBundle.parse(
            trustDomain: Self.domainTest,
            json: Self.bytes("spiffebundle", "spiffebundle_valid_2.json")
        )
        #expect(bundle.jwtAuthorities.count == 6)
        #expect(bundle.x509Authorities.count == 1)
        #expect(bundle.refreshHint == .seconds(60))
        #expect(bundle.sequenceNumber == 1)
        let reparsed = try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(bundle.jsonEncoded().utf8))
        #expect(reparsed == bundle)
    }

    /// go-spiffe keeps `wit-svid` keys (an experimental extension); the standards Warden implements do not define that
    /// `use`, so the entries are skipped, and listed.
    @Test func witSVIDEntriesAreSkipped() throws {
        let bundle = try SPIFFEBundle.parse(
            trustDomain: Self.domainTest,
            json: Self.bytes("spiffebundle", "spiffebundle_valid_with_wit.json")
        )
        #expect(bundle.jwtAuthorities.count == 2)
        #expect(bundle.refreshHint == .seconds(60))
        #expect(bundle.sequenceNumber == 1)
        #expect(bundle.skippedEntries.count == 2)
        #expect(bundle.skippedEntries.allSatisfy { $0.contains("wit-svid") })
    }

    @Test func spiffeBundleJWTAuthorityWithoutKeyID() throws {
        let bytes = try Self.bytes("spiffebundle", "spiffebundle_missing_kid.json")
        let error = try #require(throws: SPIFFEError.self) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: bytes)
        }
        #expect(error.code == .bundleMissingKeyID)
        #expect(error.message.contains("entry 1"))
    }

    @Test func spiffeBundleWithoutKeys() throws {
        let bytes = try Self.bytes("spiffebundle", "spiffebundle_no_keys.json")
        #expect(throws: SPIFFEError(.bundleHasNoKeys, "")) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: bytes)
        }
        #expect(
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(#"{"keys":[]}"#.utf8)).x509Authorities
                .isEmpty
        )
    }

    /// go-spiffe rejects an x5c of two certificates; X509-SVID.md §6.2 and the bundle spec say to use the first.
    @Test func x509SVIDEntryTakesTheFirstCertificateOfX5c() throws {
        let bytes = try Self.bytes("spiffebundle", "spiffebundle_multiple_x509.json")
        let bundle = try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: bytes)
        #expect(bundle.x509Authorities.count == 1)
        #expect(bundle.jwtAuthorities.count == 1)
    }

    @Test func emptySPIFFEBundle() {
        #expect(throws: SPIFFEError(.malformedBundle, "")) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: [UInt8]())
        }
    }

    // MARK: beyond go-spiffe's files

    @Test func unknownKeyTypesAndUsesAreSkippedNotFatal() throws {
        let json = #"""
            {"keys":[
              {"use":"jwt-svid","kid":"sym","kty":"oct","k":"c2VjcmV0"},
              {"use":"something-else","kty":"EC","crv":"P-256","x":"ngLYQnlfF6GsojUwqtcEE3WgTNG2RUlsGhK73RNEl5k","y":"tKbiDSUSsQ3F1P7wteeHNXIcU-cx6CgSbroeQrQHTLM"},
              {"kty":"EC","crv":"P-256","x":"ngLYQnlfF6GsojUwqtcEE3WgTNG2RUlsGhK73RNEl5k","y":"tKbiDSUSsQ3F1P7wteeHNXIcU-cx6CgSbroeQrQHTLM"},
              {"use":"jwt-svid","kid":"good","kty":"EC","crv":"P-256","x":"ngLYQnlfF6GsojUwqtcEE3WgTNG2RUlsGhK73RNEl5k","y":"tKbiDSUSsQ3F1P7wteeHNXIcU-cx6CgSbroeQrQHTLM"}
            ],"spiffe_sequence":18446744073709551615}
            """#
        let bundle = try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(json.utf8))
        #expect(Array(bundle.jwtAuthorities.keys) == ["good"])
        #expect(bundle.skippedEntries.count == 3)
        #expect(bundle.sequenceNumber == UInt64.max)
    }

    @Test(arguments: [
        (#"{"keys":[{"use":"jwt-svid","kid":"a","kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}"#, "32 bytes"),
        (
            #"{"keys":[{"use":"jwt-svid","kid":"a","kty":"EC","crv":"P-256","x":"ngLYQnlfF6GsojUwqtcEE3WgTNG2RUlsGhK73RNEl5k=","y":"x"}]}"#,
            "base64url"
        ),
        (#"{"keys":[{"use":"x509-svid","kty":"EC","x5c":["not base64!"]}]}"#, "x5c"),
        (#"{"keys":[{"use":"x509-svid","kty":"EC"}]}"#, "x5c"),
        (#"{"keys":{}}"#, "not an array"),
        (#"{"keys":[],"spiffe_refresh_hint":"60"}"#, "spiffe_refresh_hint"),
        (#"{"keys":[],"spiffe_sequence":-1}"#, "spiffe_sequence"),
        (#"{"keys":[],"keys":[]}"#, "duplicate"),
        (#"[]"#, "not a JSON object"),
        (#"{"keys":[]} x"#, "after the JSON value"),
    ])
    func malformedSPIFFEBundles(_ json: String, _ mention: String) throws {
        let error = try #require(throws: SPIFFEError.self) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(json.utf8))
        }
        #expect(error.code == .malformedBundle)
        #expect(error.message.contains(mention), "\(error.message)")
    }

    @Test func deepNestingIsRefusedQuickly() throws {
        let json = #"{"keys":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let error = try #require(throws: SPIFFEError.self) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(json.utf8))
        }
        #expect(error.message.contains("nesting"))
    }

    @Test func oversizedBundleIsRefusedBeforeParsing() throws {
        let bytes = [UInt8](repeating: 0x20, count: JSONWebKeySet.maximumSize + 1)
        let error = try #require(throws: SPIFFEError.self) {
            try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: bytes)
        }
        #expect(error.message.contains("over the limit"))
    }

    @Test func bundleBuiltInCodeRoundTripsWithEveryKeyType() throws {
        let ca = try TestPKI.issue(subject: "CN=CA", isCA: true)
        var keys: [String: JWTPublicKey] = [:]
        for type in [KeyType.p256, .p384, .ed25519, .rsa2048] {
            keys["\(type)"] = try JWTPublicKey(PrivateKey.generate(type))
        }
        let bundle = SPIFFEBundle(
            trustDomain: Self.domainTest,
            x509Authorities: [ca.certificate, ca.certificate],
            jwtAuthorities: keys,
            refreshHint: .seconds(300),
            sequenceNumber: 42
        )
        #expect(bundle.x509Authorities.count == 1)
        let reparsed = try SPIFFEBundle.parse(trustDomain: Self.domainTest, json: Array(bundle.jsonEncoded().utf8))
        #expect(reparsed == bundle)
        #expect(reparsed.jwtAuthorities["rsa2048"]?.description == "RSA 2048")
    }
}
