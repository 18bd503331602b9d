import Foundation
import FuzzDriver
import WardenCore

/// The strict JSON reader; what parses prints and parses back to an equal value.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let value = try? JSONValue(parsing: bytes) {
        let again = try? JSONValue(parsing: Array(value.description.utf8))
        precondition(again == value, "JSON does not survive its own description")
    }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
