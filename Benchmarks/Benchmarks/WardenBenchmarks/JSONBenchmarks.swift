import Benchmark
import Foundation
import Warden

/// Why WardenCore has a hand-written JSON reader: the header and claims of a JWT-SVID read by it, and by Foundation's
/// `JSONDecoder` into the struct a service would declare, in one run (`compare.sh` prints the ratio as
/// `RATIO json_jwt_claims …`). Each sample reads both documents `callsPerSample` times.
enum JSONBenchmarks {
    static let callsPerSample = 100

    static let header = Array(#"{"alg":"ES256","kid":"bench","typ":"JWT"}"#.utf8)
    static let claims = Array(
        #"{"aud":["bench"],"exp":1893456000,"iat":1700000000,"sub":"spiffe://example.org/bench/workload"}"#.utf8
    )

    struct Header: Decodable {
        var alg: String
        var kid: String?
        var typ: String?
    }

    struct Claims: Decodable {
        var sub: String
        var aud: [String]
        var exp: Double
        var iat: Double?
    }

    static func register() {
        Benchmark("json_jwt_claims_warden") { benchmark in
            for _ in benchmark.scaledIterations {
                for _ in 0..<Self.callsPerSample {
                    blackHole(try JSONValue(parsing: Self.header))
                    blackHole(try JSONValue(parsing: Self.claims))
                }
            }
        }
        Benchmark("json_jwt_claims_foundation") { benchmark in
            let decoder = JSONDecoder()
            let header = Data(Self.header)
            let claims = Data(Self.claims)
            for _ in benchmark.scaledIterations {
                for _ in 0..<Self.callsPerSample {
                    blackHole(try decoder.decode(Header.self, from: header))
                    blackHole(try decoder.decode(Claims.self, from: claims))
                }
            }
        }
    }
}
