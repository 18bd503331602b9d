#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads files for the parsers, never more than ``PKILimits/maximumInputSize`` bytes.
package enum PKIFile {
    /// Reads the whole file at `path`.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/fileUnreadable``, or ``PKIError/Code/inputTooLarge`` for a file
    ///   (or a device or pipe) that goes on past the limit.
    package static func read(_ path: String, maximumSize: Int = PKILimits.maximumInputSize) throws(PKIError) -> [UInt8]
    {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw PKIError(.fileUnreadable, "cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PKIError(.fileUnreadable, "cannot read '\(path)': \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumSize {
                throw PKIError(
                    .inputTooLarge,
                    "'\(path)' is larger than the limit of \(maximumSize) bytes"
                )
            }
        }
        return bytes
    }
}

// `read` is shadowed inside `PKIFile` by its own static method.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
