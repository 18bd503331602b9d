import Testing
import X509

@testable import WardenPKI

/// The matching at the heart of the path rules, case by case; x509-limbo covers them end to end.
@Suite struct PathRuleTests {
    @Test(arguments: [
        ("*.example.com", "api.example.com", true),
        ("*.example.com", "API.Example.COM", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "a.b.example.com", false),
        ("f*.example.com", "foo.example.com", false),
        ("*", "localhost", false),
        ("*.com", "example.com", false),
        ("api.example.com.", "api.example.com", true),
        ("api.example.com", "api.example.com", true),
        ("api.example.com", "www.example.com", false),
    ])
    func dnsNamesMatchAsRFC6125Says(presented: String, reference: String, matches: Bool) throws {
        let normalized = try #require(PeerNameRule.normalizedDNSName(reference))
        #expect(PeerNameRule.matches(presented: presented, normalized) == matches, "\(presented) vs \(reference)")
    }

    @Test func referenceNamesThatAreNotHostnamesAreRefused() {
        for name in ["", "*.example.com", "192.0.2.1", "a..b", "."] {
            #expect(PeerNameRule.normalizedDNSName(name) == nil, "\(name)")
        }
    }

    @Test(arguments: [
        ("example.com", true), ("a-b.example.com", true), ("*.example.com", true), ("xn--bcher-kva.example", true),
        ("under_score.example.com", false), ("-lead.example.com", false), ("trail-.example.com", false),
        ("a.*.example.com", false), ("192.0.2.1", false), ("exa mple.com", false), ("émoji.example", false),
        ("", false), ("a..b", false),
    ])
    func hostnamesAreLettersDigitsAndHyphens(name: String, valid: Bool) {
        #expect(EndEntityRule.isHostname(name, wildcardAllowed: true) == valid, "\(name)")
    }

    @Test func aWildcardOverlapsTheSubtreesItCovers() {
        #expect(NameConstraintsRule.wildcard("example.com", overlaps: "bad.example.com"))
        #expect(NameConstraintsRule.wildcard("example.com", overlaps: "example.com"))
        #expect(NameConstraintsRule.wildcard("example.com", overlaps: "com"))
        #expect(!NameConstraintsRule.wildcard("example.com", overlaps: "a.bad.example.com"))
        #expect(!NameConstraintsRule.wildcard("example.com", overlaps: "example.org"))
    }

    @Test func mailboxConstraintsFollowRFC5280() {
        #expect(NameConstraintsRule.mailbox("ops@example.com", isWithin: "ops@example.com"))
        #expect(NameConstraintsRule.mailbox("ops@EXAMPLE.com", isWithin: "ops@example.com"))
        #expect(!NameConstraintsRule.mailbox("Ops@example.com", isWithin: "ops@example.com"))
        #expect(NameConstraintsRule.mailbox("anyone@example.com", isWithin: "example.com"))
        #expect(!NameConstraintsRule.mailbox("anyone@mail.example.com", isWithin: "example.com"))
        #expect(NameConstraintsRule.mailbox("anyone@mail.example.com", isWithin: ".example.com"))
        #expect(!NameConstraintsRule.mailbox("anyone@example.com", isWithin: ".example.com"))
        #expect(NameConstraintsRule.mailbox("*@example.com", isWithin: "*@example.com"))
        #expect(!NameConstraintsRule.mailbox("user@example.com", isWithin: "*@example.com"))
    }

    @Test func addressesAreComparedUnderTheMask() {
        let range: [UInt8] = [10, 0, 0, 0, 255, 0, 0, 0]
        #expect(NameConstraintsRule.address([10, 1, 2, 3], isWithin: range))
        #expect(!NameConstraintsRule.address([11, 1, 2, 3], isWithin: range))
        #expect(!NameConstraintsRule.address(Array(repeating: 0, count: 16), isWithin: range))
    }

    @Test func uriHostsAreTakenFromTheAuthority() {
        #expect(NameConstraintsRule.host(ofURI: "https://user@api.example.com:8443/path") == "api.example.com")
        #expect(NameConstraintsRule.host(ofURI: "spiffe://example.org/workload") == "example.org")
        #expect(NameConstraintsRule.host(ofURI: "urn:example") == nil)
        #expect(NameConstraintsRule.host(ofURI: "https://[2001:db8::1]/") == nil)
        #expect(NameConstraintsRule.uriHost("api.example.com", isWithin: ".example.com"))
        #expect(!NameConstraintsRule.uriHost("example.com", isWithin: ".example.com"))
    }

    @Test func theSerialNumberIsReadWithItsSign() {
        // SEQUENCE { [0] { INTEGER 2 }, INTEGER 0x80 } and SEQUENCE { INTEGER 0x00 0x80 }
        let negative: [UInt8] = [0x30, 0x08, 0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x80]
        let positive: [UInt8] = [0x30, 0x04, 0x02, 0x02, 0x00, 0x80]
        #expect(CertificateProfileRule.serialNumberContent(negative[...]).map(Array.init) == [0x80])
        #expect(CertificateProfileRule.serialNumberContent(positive[...]).map(Array.init) == [0x00, 0x80])
        #expect(CertificateProfileRule.serialNumberContent([0x30, 0x05, 0x02][...]) == nil)
    }
}
