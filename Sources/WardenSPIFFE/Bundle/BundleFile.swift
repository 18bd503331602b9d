import Foundation
import WardenCore
import WardenPKI

/// Reads bundle files with the PKI size limit.
enum BundleFile {
    static func read(_ path: String, what: String) throws(SPIFFEError) -> [UInt8] {
        do {
            return try PKIFile.read(path)
        } catch {
            throw SPIFFEError(.malformedBundle, "cannot read the \(what) file \(path): \(error)")
        }
    }
}
