import Foundation
import Testing
import WardenTestSupport

/// The alert rules in `Alerts/` load in `promtool`, and pass their unit tests (`Alerts/warden.rules.test.yml`: each
/// alert fires where it should and stays silent where it should not).
@Suite(
    "Alert rules",
    .enabled(if: ExternalTool.promtool.shouldRun, "promtool is missing (Scripts/test.sh installs it)")
)
struct AlertRulesTests {
    @Test func rulesAreValid() throws {
        let result = try Self.promtool(["check", "rules", "warden.rules.yml"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func rulesPassTheirUnitTests() throws {
        let result = try Self.promtool(["test", "rules", "warden.rules.test.yml"])
        #expect(result.status == 0, "\(result.output)")
    }

    /// Runs `promtool` in `Alerts/`, where the unit tests name their rule file, with its standard output and error
    /// in one pipe.
    static func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.promtool.require())
        process.arguments = arguments
        process.currentDirectoryURL = ExternalTool.repositoryRoot.appendingPathComponent("Alerts")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read to the end before waiting, so that a chatty promtool cannot block on a full pipe.
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
