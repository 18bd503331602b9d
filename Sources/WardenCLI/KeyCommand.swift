public import ArgumentParser
import Foundation
public import WardenPKI

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Generate private keys.",
        subcommands: [KeyGenerate.self]
    )
}

extension KeyType: ExpressibleByArgument {}

struct KeyGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a private key and write it as PKCS#8 PEM, atomically, with mode 0600."
    )

    @Option(
        help: ArgumentHelp("Key type: \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "type")
    )
    var type: KeyType

    @Option(help: ArgumentHelp("Where to write the key.", valueName: "file"))
    var out: String

    @Flag(help: "Replace the file if it exists.")
    var force = false

    func run() async throws {
        if !self.force && FileManager.default.fileExists(atPath: self.out) {
            Output.error("warden: \(self.out) exists; pass --force to replace it")
            throw ExitCode(ExitStatus.badInput)
        }
        do {
            let key = try PrivateKey.generate(self.type)
            try key.write(to: self.out)
        } catch {
            throw Output.inputFailure(error, file: self.out)
        }
        Output.error("wrote a \(self.type) private key to \(self.out) (mode 0600)")
    }
}
