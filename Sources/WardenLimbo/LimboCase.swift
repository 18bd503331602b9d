import Foundation

/// One test case of x509-limbo's `limbo.json` (https://x509-limbo.com), with the fields this harness reads.
struct LimboCase: Decodable, Sendable {
    struct PeerNameField: Decodable, Sendable {
        var kind: String
        var value: String
    }

    var id: String
    var features: [String]?
    var validationKind: String
    var trustedCerts: [String]
    var untrustedIntermediates: [String]
    var peerCertificate: String
    var validationTime: String?
    var extendedKeyUsage: [String]?
    var keyUsage: [String]?
    var expectedResult: String
    var expectedPeerName: PeerNameField?
    var expectedPeerNames: [PeerNameField]?
    var maxChainDepth: Int?
}

/// `limbo.json`: a version and the cases.
struct LimboSuite: Decodable, Sendable {
    var version: Int
    var testcases: [LimboCase]

    static func load(from path: String) throws -> LimboSuite {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LimboSuite.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// x509-limbo's result format: `{"version", "harness", "results": [{"id", "actual_result", "context"}]}`.
struct LimboResults: Codable, Sendable {
    struct Result: Codable, Sendable {
        var id: String
        var actualResult: String
        var context: String?

        enum CodingKeys: String, CodingKey {
            case id
            case actualResult = "actual_result"
            case context
        }

        /// `context` is always present, `null` when there is nothing to say, as x509-limbo's harnesses write it.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.id, forKey: .id)
            try container.encode(self.actualResult, forKey: .actualResult)
            try container.encode(self.context, forKey: .context)
        }
    }

    var version: Int
    var harness: String
    var results: [Result]
}
