import Foundation
import FuzzDriver
import WardenSPIFFE

/// SPIFFE IDs and trust domains; what parses prints and parses back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    if let id = try? SPIFFEID(text) {
        precondition((try? SPIFFEID(id.description)) == id, "a SPIFFE ID does not survive its own description")
    }
    _ = try? SPIFFEID(normalizing: text)
    _ = try? TrustDomain(text)
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
