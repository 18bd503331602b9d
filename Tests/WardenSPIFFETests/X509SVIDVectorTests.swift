import Foundation
import Testing
import WardenPKI
import WardenSPIFFE
import WardenTestSupport
import X509

/// go-spiffe's X509-SVID test files, with the outcome go-spiffe's `svid_test.go` expects of each.
@Suite struct X509SVIDVectorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let certificates: String
        let key: String
        /// `nil` for success.
        let code: SPIFFEError.Code?
        var testDescription: String { "\(self.certificates) + \(self.key)" }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors/x509svid")
        )
        return Array(try Data(contentsOf: url))
    }

    static let rows: [Row] = [
        Row(certificates: "good-leaf-only.pem", key: "key-pkcs8-rsa.pem", code: nil),
        Row(certificates: "good-leaf-and-intermediate.pem", key: "key-pkcs8-ecdsa.pem", code: nil),
        Row(certificates: "good-cert-and-key.pem", key: "good-cert-and-key.pem", code: nil),
        Row(certificates: "good-key-and-cert.pem", key: "good-key-and-cert.pem", code: nil),
        Row(certificates: "good-leaf-and-intermediate.pem", key: "key-pkcs8-rsa.pem", code: .privateKeyMismatch),
        Row(certificates: "key-pkcs8-rsa.pem", key: "key-pkcs8-rsa.pem", code: .noCertificates),
        Row(certificates: "good-leaf-only.pem", key: "not-pem", code: .malformedInput),
        Row(certificates: "not-pem", key: "key-pkcs8-rsa.pem", code: .malformedInput),
        Row(certificates: "good-leaf-only.pem", key: "corrupt-key.pem", code: .malformedInput),
        Row(certificates: "corrupt-cert.pem", key: "key-pkcs8-rsa.pem", code: .malformedInput),
        Row(certificates: "good-leaf-only.pem", key: "good-leaf-only.pem", code: .noPrivateKey),
        Row(certificates: "wrong-leaf-empty-id.pem", key: "key-pkcs8-rsa.pem", code: .leafMissingSPIFFEID),
        Row(certificates: "wrong-leaf-ca-true.pem", key: "key-pkcs8-rsa.pem", code: .leafIsCA),
        Row(
            certificates: "wrong-leaf-no-digital-signature.pem",
            key: "key-pkcs8-rsa.pem",
            code: .leafMissingDigitalSignature
        ),
        Row(certificates: "wrong-leaf-cert-sign.pem", key: "key-pkcs8-rsa.pem", code: .leafHasKeyCertSign),
        Row(certificates: "wrong-leaf-crl-sign.pem", key: "key-pkcs8-rsa.pem", code: .leafHasCRLSign),
        Row(certificates: "wrong-intermediate-no-ca.pem", key: "key-pkcs8-rsa.pem", code: .issuerNotCA),
        Row(
            certificates: "wrong-intermediate-no-key-cert-sign.pem",
            key: "key-pkcs8-rsa.pem",
            code: .issuerMissingKeyCertSign
        ),
    ]

    @Test(arguments: Self.rows)
    func goSpiffeTestdata(_ row: Row) throws {
        let certificates = try Self.bytes(row.certificates)
        let key = try Self.bytes(row.key)
        if let code = row.code {
            #expect(throws: SPIFFEError(code, "")) { try X509SVID.parse(certificates: certificates, privateKey: key) }
        } else {
            let svid = try X509SVID.parse(certificates: certificates, privateKey: key)
            #expect(svid.id.description == "spiffe://example.org/workload-1")
            #expect(svid.certificates.count == (row.certificates == "good-leaf-and-intermediate.pem" ? 2 : 1))
            #expect(svid.privateKey.matches(svid.leaf.publicKey))
            #expect(!svid.description.contains("BEGIN"))
        }
    }

    @Test func theRulesGoSpiffesFilesDoNotCover() throws {
        let ca = try TestPKI.issue(subject: "CN=SVID CA", isCA: true)
        func leaf(_ sans: [GeneralName], keyUsageCritical: Bool = true) throws -> TestPKI.Issued {
            var extra: [Certificate.Extension] = []
            if !keyUsageCritical {
                extra.append(try Certificate.Extension(KeyUsage(digitalSignature: true), critical: false))
            }
            return try TestPKI.issue(
                subject: "",
                issuer: ca,
                keyUsage: keyUsageCritical ? KeyUsage(digitalSignature: true) : nil,
                sans: sans,
                sanCritical: true,
                extraExtensions: extra,
                omitKeyUsage: !keyUsageCritical
            )
        }
        let root = try leaf([.uniformResourceIdentifier("spiffe://example.org")])
        #expect(throws: SPIFFEError(.leafSPIFFEIDHasRootPath, "")) {
            try X509SVID(certificates: [root.certificate], privateKey: root.key)
        }
        let two = try leaf([
            .uniformResourceIdentifier("spiffe://example.org/a"), .uniformResourceIdentifier("spiffe://example.org/b"),
        ])
        #expect(throws: SPIFFEError(.leafHasMultipleURISANs, "")) {
            try X509SVID(certificates: [two.certificate], privateKey: two.key)
        }
        let notCritical = try leaf([.uniformResourceIdentifier("spiffe://example.org/a")], keyUsageCritical: false)
        #expect(throws: SPIFFEError(.leafKeyUsageNotCritical, "")) {
            try X509SVID(certificates: [notCritical.certificate], privateKey: notCritical.key)
        }
        let bad = try leaf([.uniformResourceIdentifier("spiffe://Example.org/a")])
        #expect(throws: SPIFFEError(.badTrustDomainCharacter, "")) {
            try X509SVID(certificates: [bad.certificate], privateKey: bad.key)
        }
        let good = try leaf([.uniformResourceIdentifier("spiffe://example.org/a"), .dnsName("a.example.org")])
        let svid = try X509SVID(certificates: [good.certificate, ca.certificate], privateKey: good.key)
        #expect(svid.id.description == "spiffe://example.org/a")
        #expect(throws: SPIFFEError(.noPrivateKey, "")) {
            try X509SVID(certificates: [good.certificate], privateKey: nil)
        }
        #expect(throws: SPIFFEError(.noCertificates, "")) { try X509SVID(certificates: [], privateKey: good.key) }
    }
}
