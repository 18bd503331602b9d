import Foundation

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    public func file(_ name: String) -> String { "\(self.path)/\(name)" }

    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        try self.write(name, Array(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
