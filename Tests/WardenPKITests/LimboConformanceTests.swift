import Foundation
import Testing
import WardenPKI

@testable import WardenLimbo

/// x509-limbo (Tests/WardenPKITests/Limbo/SOURCE.md) through the `warden-limbo` harness: every case gets its expected
/// result, or is in `deviations.json` with why.
@Suite struct LimboConformanceTests {
    struct Deviation: Decodable {
        var id: String
        var actual: String
        var why: String
    }

    static func resource(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Limbo")!.path
    }

    static func deviations() throws -> [String: Deviation] {
        let list = try JSONDecoder().decode(
            [Deviation].self,
            from: Data(contentsOf: URL(fileURLWithPath: Self.resource("deviations")))
        )
        return Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func everyCaseHasItsExpectedResultOrAListedDeviation() async throws {
        let suite = try LimboSuite.load(from: Self.resource("limbo"))
        let deviations = try Self.deviations()
        let results = await LimboRunner.run(suite)
        let expected = Dictionary(uniqueKeysWithValues: suite.testcases.map { ($0.id, $0.expectedResult) })
        #expect(results.results.count == suite.testcases.count)
        let features = Dictionary(uniqueKeysWithValues: suite.testcases.map { ($0.id, $0.features ?? []) })
        for result in results.results {
            let wanted = expected[result.id]!
            // x509-limbo's rule: a harness skips the cases whose optional features it does not support.
            if result.actualResult == "SKIPPED",
                features[result.id]!.contains(where: { LimboRunner.unsupportedFeatures[$0] != nil })
            {
                continue
            }
            if let deviation = deviations[result.id] {
                #expect(
                    result.actualResult == deviation.actual && result.actualResult != wanted,
                    "\(result.id) is listed as \(deviation.actual) but gave \(result.actualResult) (expected \(wanted)): \(result.context ?? "")"
                )
            } else {
                #expect(
                    result.actualResult == wanted,
                    "\(result.id): expected \(wanted), got \(result.actualResult): \(result.context ?? "")"
                )
            }
        }
        for id in deviations.keys {
            #expect(expected[id] != nil, "deviations.json lists \(id), which is not a case of limbo.json")
        }
    }

    /// The denial-of-service cases end because the verification's budget ran out: counted work, not a timeout.
    @Test(arguments: [
        "pathological::nc-dos-1", "pathological::nc-dos-2", "pathological::nc-dos-3",
        "pathological::pathological-chain-same-subject-same-key",
        "pathological::pathological-chain-same-subject-distinct-key",
        "pathological::pathological-chain-distinct-subject-same-key",
        "pathological::pathological-chain-distinct-subject-distinct-key",
    ])
    func aDenialOfServiceCaseEndsWithTheBudgetError(id: String) async throws {
        let suite = try LimboSuite.load(from: Self.resource("limbo"))
        let testcase = try #require(suite.testcases.first { $0.id == id })
        let result = await LimboRunner.run(testcase)
        #expect(result.actualResult == "FAILURE")
        #expect(
            result.context?.hasPrefix("verificationBudgetExceeded") == true,
            "\(id): \(result.context ?? "no context")"
        )
    }

    /// The output is x509-limbo's result format, `context` present even when null.
    @Test func theHarnessPrintsX509LimbosResultFormat() throws {
        let results = LimboResults(
            version: 1,
            harness: LimboRunner.harness,
            results: [
                .init(id: "a::b", actualResult: "SUCCESS", context: nil),
                .init(id: "a::c", actualResult: "FAILURE", context: "expired: …"),
            ]
        )
        let document = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(results)) as? [String: Any]
        )
        #expect(Set(document.keys) == ["version", "harness", "results"])
        let entries = try #require(document["results"] as? [[String: Any]])
        #expect(
            entries.map { Set($0.keys) } == [["id", "actual_result", "context"], ["id", "actual_result", "context"]]
        )
        #expect(entries[0]["context"] is NSNull)
        #expect(entries[1]["actual_result"] as? String == "FAILURE")
    }
}
