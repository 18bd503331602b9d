import Foundation

/// Runs a program to completion and captures its output.
public enum Subprocess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public let stdoutBytes: [UInt8]
    }

    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so that a chatty child cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: Array(outData)
        )
    }

    /// Runs a program and returns its trimmed standard output, or throws with its standard error when it fails.
    @discardableResult
    public static func check(_ command: [String]) throws -> String {
        let result = try Self.run(command[0], Array(command.dropFirst()))
        guard result.status == 0 else {
            throw TestServerError(
                "\(command.joined(separator: " ")) failed (\(result.status)): \(result.stderr)\(result.stdout)"
            )
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
