import ArgumentParser

/// Runs `warden`, mapping argument errors to exit status 2 (the documented "bad usage"), not ArgumentParser's 64.
@main
enum WardenMain {
    static func main() async {
        do {
            var command = try WardenCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if WardenCommand.exitCode(for: error) == .validationFailure {
                Output.error(WardenCommand.fullMessage(for: error))
                WardenCommand.exit(withError: ExitCode(ExitStatus.badInput))
            }
            WardenCommand.exit(withError: error)
        }
    }
}

/// The exit statuses of every `warden` command.
enum ExitStatus {
    /// Success, or the input verified.
    static let success: Int32 = 0
    /// Verification failed, or a signature is invalid.
    static let rejected: Int32 = 1
    /// Bad usage, or unreadable or malformed input.
    static let badInput: Int32 = 2
}

struct WardenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Machine identity from the command line: certificates, keys, CSRs, SVIDs, JWTs and bundles.",
        discussion: """
            Exit status: 0 success or valid, 1 verification failed or signature invalid, \
            2 bad usage or unreadable/malformed input.
            """,
        subcommands: [
            CertCommand.self, KeyCommand.self, CSRCommand.self, SVIDCommand.self, JWTCommand.self, BundleCommand.self,
            WorkloadCommand.self, CRLCommand.self, ScanCommand.self,
        ]
    )
}
