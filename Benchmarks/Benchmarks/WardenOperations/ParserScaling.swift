import BenchmarkOperations
import Foundation
import Warden

/// Standard base64 for the inputs (WardenCore's codec is package API, out of this package's reach).
enum Base64Text {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}

/// Does each parser's cost grow linearly with its input? Times it on 1, 4 and 16 MB (the PKI input limit is 16 MiB)
/// and prints nanoseconds per byte, which stay flat when the cost is linear.
enum ParserScaling {
    static let sizes = [1_000_000, 4_000_000, 16_000_000]

    struct Parser: Sendable {
        var name: String
        var input: @Sendable (Int) -> [UInt8]
        var parse: @Sendable ([UInt8]) throws -> Void
    }

    static let parsers: [Parser] = [
        // One PEM block whose body is the whole input, in 64-character lines.
        Parser(
            name: "pem_one_block",
            input: { size in
                let line = Array(String(repeating: "QUJD", count: 16).utf8) + [UInt8(ascii: "\n")]
                var bytes = Array("-----BEGIN CERTIFICATE-----\n".utf8)
                while bytes.count < size - 64 { bytes += line }
                return bytes + Array("-----END CERTIFICATE-----\n".utf8)
            },
            parse: { consume(try PEM.decode($0)) }
        ),
        // A bundle of real certificates, each decoded and parsed.
        Parser(
            name: "pem_certificate_bundle",
            input: { size in
                let block = Array(PEM.encode(label: "CERTIFICATE", derBytes: Fixtures.shared.leafDER).utf8)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(size)
                while bytes.count + block.count <= size { bytes += block }
                return bytes
            },
            parse: { consume(try CertificateDecoder.decodeAll($0)) }
        ),
        // A SPIFFE bundle document of many x509-svid entries; above its 4 MiB limit it is refused before parsing.
        Parser(
            name: "spiffe_bundle",
            input: { size in
                let entry = Array(
                    "{\"use\":\"x509-svid\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x5c\":[\"\(Base64Text.encode(Fixtures.shared.leafDER))\"]},"
                        .utf8
                )
                var bytes = Array("{\"keys\":[".utf8)
                while bytes.count + entry.count < size - 8 { bytes += entry }
                bytes.removeLast()
                return bytes + Array("]}".utf8)
            },
            parse: { consume(try? SPIFFEBundle.parse(trustDomain: try TrustDomain("example.org"), json: $0)) }
        ),
        // A CSR in PEM whose DER is the whole input: decoded, then refused by the DER parser.
        Parser(
            name: "csr_pem",
            input: { size in
                let line = Array(String(repeating: "MIIB", count: 16).utf8) + [UInt8(ascii: "\n")]
                var bytes = Array("-----BEGIN CERTIFICATE REQUEST-----\n".utf8)
                while bytes.count < size - 64 { bytes += line }
                return bytes + Array("-----END CERTIFICATE REQUEST-----\n".utf8)
            },
            parse: { consume(try? CSRDecoder.decode($0)) }
        ),
        // A JSON array of short strings, and one long string: the strict reader.
        Parser(
            name: "json_array",
            input: { size in
                var bytes = Array("[".utf8)
                let element = Array("\"spiffe://example.org/a\",".utf8)
                while bytes.count < size - 32 { bytes += element }
                return bytes + Array("\"end\"]".utf8)
            },
            parse: { consume(try JSONValue(parsing: $0)) }
        ),
        Parser(
            name: "json_string",
            input: { size in
                Array("\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: size - 2) + Array("\"".utf8)
            },
            parse: { consume(try JSONValue(parsing: $0)) }
        ),
    ]

    static func run() throws -> [String] {
        var lines: [String] = []
        let clock = ContinuousClock()
        for parser in Self.parsers {
            for size in Self.sizes {
                let input = parser.input(size)
                var times: [Duration] = []
                for _ in 0..<3 {
                    let start = clock.now
                    try parser.parse(input)
                    times.append(clock.now - start)
                }
                let median = times.sorted()[1]
                let seconds = Double(median.components.seconds) + Double(median.components.attoseconds) / 1e18
                lines.append(
                    "LINEAR \(parser.name) \(size / 1_000_000) \(String(format: "%.1f", seconds * 1000)) "
                        + String(format: "%.2f", seconds * 1e9 / Double(input.count))
                )
            }
        }
        return lines
    }
}
