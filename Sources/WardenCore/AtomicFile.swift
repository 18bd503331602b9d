#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files the way secrets must be written: all at once, with restrictive permissions from the first byte.
///
/// The bytes go to a new temporary file in the same directory, created with the final mode (0600 by default), then
/// flushed to disk and renamed over the destination. Readers see either the old file or the new one, never half a
/// key, and the file is never readable by others, not even briefly.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    ///
    /// - Parameters:
    ///   - bytes: the file's new content.
    ///   - path: the destination; its directory must exist.
    ///   - permissions: the file mode, 0600 (owner read/write only) by default.
    /// - Throws: ``AtomicFileError`` naming the step that failed; the destination is then untouched.
    public static func write(_ bytes: some Collection<UInt8>, to path: String, permissions: UInt16 = 0o600) throws {
        let directory = Self.directory(of: path)
        var template = Array("\(directory)/.\(Self.basename(of: path)).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw AtomicFileError(step: "create a temporary file in \(directory)", errno: errno)
        }
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var succeeded = false
        defer {
            if !succeeded {
                close(descriptor)
                unlink(temporaryPath)
            }
        }
        // mkstemp creates with 0600 already; set the requested mode before any byte is written.
        guard fchmod(descriptor, mode_t(permissions)) == 0 else {
            throw AtomicFileError(step: "set the mode of \(temporaryPath)", errno: errno)
        }
        let content = Array(bytes)
        var written = 0
        while written < content.count {
            let result = content.withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw AtomicFileError(step: "write \(temporaryPath)", errno: errno)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            throw AtomicFileError(step: "flush \(temporaryPath)", errno: errno)
        }
        guard close(descriptor) == 0 else {
            unlink(temporaryPath)
            succeeded = true
            throw AtomicFileError(step: "close \(temporaryPath)", errno: errno)
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            succeeded = true
            throw AtomicFileError(step: "rename \(temporaryPath) to \(path)", errno: code)
        }
        succeeded = true
        // Make the rename itself durable.
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    private static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// A failure of ``AtomicFile/write(_:to:permissions:)``, naming the step and the system error.
public struct AtomicFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done when the write failed.
    public let step: String
    /// The `errno` value the system returned.
    public let errno: Int32

    /// Creates an error for a failed step and its `errno`.
    public init(step: String, errno: Int32) {
        self.step = step
        self.errno = errno
    }

    /// `could not <step>: <system message>`.
    public var description: String {
        "could not \(self.step): \(String(cString: strerror(self.errno)))"
    }
}

// `write` is shadowed inside `AtomicFile` by its own static method.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
