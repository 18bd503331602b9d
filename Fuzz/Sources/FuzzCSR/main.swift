import Foundation
import FuzzDriver
import WardenPKI

/// Certificate signing requests, DER or PEM, decoded and inspected.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let request = try? CSRDecoder.decode(bytes) { _ = try? CSRInfo(request) }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
