import BenchmarkOperations
import Foundation
import Warden

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
