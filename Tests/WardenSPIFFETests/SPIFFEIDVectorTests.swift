import Foundation
import Testing
import WardenSPIFFE

/// Every SPIFFE ID, trust domain and path case of go-spiffe's own tests: the same verdict, and for each rejection
/// the one `SPIFFEError` code that go-spiffe's error maps to.
@Suite struct SPIFFEIDVectorTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        enum Input: Decodable, Sendable {
            case string(String)
            case segments([String])

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let string = try? container.decode(String.self) {
                    self = .string(string)
                } else {
                    self = .segments(try container.decode([String].self))
                }
            }
        }

        let api: String
        let input: Input
        let valid: Bool
        let trustDomain: String?
        let path: String?
        let error: String?
        let source: String

        var testDescription: String { "\(self.api)(\(self.input)) [\(self.source)]" }
    }

    static let cases: [Case] = {
        let url = Bundle.module.url(forResource: "spiffeid_cases", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }()

    /// go-spiffe's error strings, each mapped to the one code that names the same rule.
    static let codes: [String: SPIFFEError.Code] = [
        "cannot be empty": .empty,
        "scheme is missing or invalid": .wrongScheme,
        "trust domain is missing": .missingTrustDomain,
        "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores":
            .badTrustDomainCharacter,
        "path segment characters are limited to letters, numbers, dots, dashes, and underscores":
            .badPathSegmentCharacter,
        "path must have a leading slash": .noLeadingSlash,
        "path cannot contain empty segments": .emptySegment,
        "path cannot contain dot segments": .dotSegment,
        "path cannot have a trailing slash": .trailingSlash,
    ]

    /// Runs one case through the matching Warden API. The `FromURI` rows take Go's `url.URL`, whose string form is
    /// the input; Warden has one string parser for both.
    static func run(_ testCase: Case) throws -> (trustDomain: String, path: String?) {
        let base = try TrustDomain("trustdomain")
        switch (testCase.api, testCase.input) {
        case ("FromString", .string(let input)), ("FromURI", .string(let input)):
            let id = try SPIFFEID(input)
            return (id.trustDomain.name, id.path)
        case ("TrustDomainFromString", .string(let input)), ("TrustDomainFromURI", .string(let input)):
            if testCase.api == "TrustDomainFromURI" && input.isEmpty {
                // go-spiffe passes an empty url.URL: an empty ID, not an empty trust domain name.
                _ = try SPIFFEID(input)
            }
            return (try TrustDomain(input).name, nil)
        case ("FromPath", .string(let path)):
            let id = try SPIFFEID(trustDomain: base, path: path)
            return (id.trustDomain.name, id.path)
        case ("AppendPath", .string(let path)):
            let id = try SPIFFEID("spiffe://trustdomain/path").appending(path: path)
            return (id.trustDomain.name, id.path)
        case ("FromSegments", .segments(let segments)):
            let id = try SPIFFEID(trustDomain: base, segments: segments)
            return (id.trustDomain.name, id.path)
        default:
            Issue.record("unknown case shape: \(testCase.api)")
            return ("", nil)
        }
    }

    @Test func allVectorsAreHere() {
        #expect(Self.cases.count == 871)
        #expect(Self.cases.filter(\.valid).count == 200)
    }

    @Test(arguments: Self.cases)
    func goSpiffeVector(_ testCase: Case) throws {
        if testCase.valid {
            let result = try Self.run(testCase)
            #expect(result.trustDomain == testCase.trustDomain)
            if let path = testCase.path { #expect(result.path == path) }
        } else {
            let expected = try #require(
                Self.codes[testCase.error ?? ""],
                "unmapped go-spiffe error \(testCase.error ?? "nil")"
            )
            #expect(throws: SPIFFEError(expected, "")) { _ = try Self.run(testCase) }
        }
    }
}
