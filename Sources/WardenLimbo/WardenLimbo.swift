import Foundation

/// `warden-limbo PATH/TO/limbo.json`: runs every x509-limbo case through Warden's chain verification and prints
/// x509-limbo's result JSON on stdout.
@main
enum WardenLimbo {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 1, let path = arguments.first else {
            FileHandle.standardError.write(Data("usage: warden-limbo PATH/TO/limbo.json\n".utf8))
            exit(2)
        }
        do {
            let results = await LimboRunner.run(try LimboSuite.load(from: path))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(results) + Data("\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("warden-limbo: \(path): \(error)\n".utf8))
            exit(1)
        }
    }
}
