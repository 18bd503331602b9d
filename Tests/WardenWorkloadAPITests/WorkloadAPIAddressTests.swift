import Foundation
import Testing
import WardenWorkloadAPI

/// `SPIFFE_ENDPOINT_SOCKET` parsing against go-spiffe's own cases: the same verdict for every address, and for each
/// rejection go-spiffe's reason.
@Suite struct WorkloadAPIAddressTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let input: String
        let valid: Bool
        let error: String?
        let source: String
        let grpcTarget: String?

        var testDescription: String { "\(self.input.debugDescription) [\(self.source)]" }
    }

    static let cases: [Case] = {
        let url = Bundle.module.url(
            forResource: "endpoint_address_cases",
            withExtension: "json",
            subdirectory: "Vectors"
        )!
        return try! JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }()

    @Test(arguments: Self.cases)
    func goSpiffesVerdict(_ vector: Case) {
        do {
            let address = try WorkloadAPIAddress(vector.input)
            #expect(vector.valid, "accepted as \(address)")
            if let target = vector.grpcTarget, case .tcp(let host, let port) = address.kind {
                #expect("\(host):\(port)" == target)
            }
        } catch {
            #expect(!vector.valid, "\(error)")
            #expect(error.code == .invalidEndpoint)
            // go-spiffe's words, except where they are Go's URL parser's own.
            if let expected = vector.error, expected.hasPrefix("workload endpoint") {
                #expect(error.message == expected)
            }
        }
    }

    @Test func theKindsOfAddress() throws {
        #expect(try WorkloadAPIAddress("unix:///run/spire/agent.sock").kind == .unix(path: "/run/spire/agent.sock"))
        #expect(try WorkloadAPIAddress("unix://agent.sock").kind == .unix(path: "agent.sock"))
        #expect(try WorkloadAPIAddress("tcp://127.0.0.1:8081").kind == .tcp(host: "127.0.0.1", port: 8081))
        #expect(try WorkloadAPIAddress("tcp://[::1]:8081").kind == .tcp(host: "::1", port: 8081))
        #expect(try WorkloadAPIAddress("TCP://[0:0::1]:8081").description == "tcp://[::1]:8081")
        #expect(try WorkloadAPIAddress("unix:///tmp/agent.sock#").description == "unix:///tmp/agent.sock")
        for bad in ["tcp://127.0.0.1:http", "tcp://127.0.0.1:65536", "tcp://[::1", "unix:", "unix:?"] {
            #expect(throws: WorkloadAPIError(.invalidEndpoint, ""), "\(bad)") { try WorkloadAPIAddress(bad) }
        }
        let long = "unix:///" + String(repeating: "a", count: WorkloadAPIAddress.maximumLength)
        #expect(throws: WorkloadAPIError(.invalidEndpoint, "")) { try WorkloadAPIAddress(long) }
    }

    @Test func theEnvironmentVariable() throws {
        #expect(try WorkloadAPIAddress.fromEnvironment([:]) == nil)
        #expect(try WorkloadAPIAddress.fromEnvironment(["SPIFFE_ENDPOINT_SOCKET": ""]) == nil)
        #expect(
            try WorkloadAPIAddress.fromEnvironment(["SPIFFE_ENDPOINT_SOCKET": "unix:///a.sock"])?.kind
                == .unix(path: "/a.sock")
        )
        #expect(throws: WorkloadAPIError(.invalidEndpoint, "")) {
            try WorkloadAPIAddress.fromEnvironment(["SPIFFE_ENDPOINT_SOCKET": "http://x"])
        }
    }
}
