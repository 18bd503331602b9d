import Foundation
import Testing
import WardenSPIFFE

@Suite struct SPIFFEIDTests {
    @Test func partsMembershipAndRoundTrip() throws {
        let id = try SPIFFEID("spiffe://example.org/payments/api")
        #expect(id.trustDomain == (try TrustDomain("example.org")))
        #expect(id.path == "/payments/api")
        #expect(id.segments == ["payments", "api"])
        #expect(id.description == "spiffe://example.org/payments/api")
        #expect(id.isMember(of: try TrustDomain("example.org")))
        #expect(!id.isMember(of: try TrustDomain("example.com")))
        #expect(!id.isTrustDomainID)
        #expect(try TrustDomain("example.org").id.description == "spiffe://example.org")
        let encoded = try JSONEncoder().encode([id])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["spiffe:\/\/example.org\/payments\/api"]"#)
        #expect(try JSONDecoder().decode([SPIFFEID].self, from: encoded) == [id])
        #expect(throws: SPIFFEError.self) {
            try JSONDecoder().decode([SPIFFEID].self, from: Data(#"["spiffe://Bad"]"#.utf8))
        }
    }

    @Test func theSpecsOtherRulesAreEnforced() {
        for (input, code) in [
            ("spiffe://example.org:8080/a", SPIFFEError.Code.badTrustDomainCharacter),
            ("spiffe://user@example.org/a", .badTrustDomainCharacter),
            ("spiffe://example.org/a?query", .badPathSegmentCharacter),
            ("spiffe://example.org/a#fragment", .badPathSegmentCharacter),
            ("spiffe://example.org/a%20b", .badPathSegmentCharacter),
            ("spiffe://Example.org/a", .badTrustDomainCharacter),
            ("SPIFFE://example.org/a", .wrongScheme),
            ("https://example.org/a", .wrongScheme),
        ] {
            #expect(throws: SPIFFEError(code, ""), "\(input)") { try SPIFFEID(input) }
        }
    }

    @Test func lengthLimitsAreEnforced() throws {
        let longDomain = String(repeating: "a", count: 256)
        #expect(throws: SPIFFEError(.tooLong, "")) { try TrustDomain(longDomain) }
        #expect(throws: SPIFFEError(.tooLong, "")) { try SPIFFEID("spiffe://\(longDomain)/x") }
        #expect(try TrustDomain(String(repeating: "a", count: 255)).name.count == 255)
        let longPath = "/" + String(repeating: "p", count: 2048 - "spiffe://td/".count)
        #expect(try SPIFFEID("spiffe://td\(longPath)").description.utf8.count == 2048)
        #expect(throws: SPIFFEError(.tooLong, "")) { try SPIFFEID("spiffe://td\(longPath)x") }
        #expect(throws: SPIFFEError(.tooLong, "")) { try SPIFFEID("spiffe://td").appending(path: longPath + "x") }
    }

    @Test func normalizingLowercasesOnlySchemeAndTrustDomain() throws {
        let id = try SPIFFEID(normalizing: "SPIFFE://Example.ORG/Payments")
        #expect(id.description == "spiffe://example.org/Payments")
        #expect(try TrustDomain(normalizing: "Example.ORG").name == "example.org")
        #expect(throws: SPIFFEError(.badPathSegmentCharacter, "")) {
            try SPIFFEID(normalizing: "spiffe://example.org/a b")
        }
    }
}
