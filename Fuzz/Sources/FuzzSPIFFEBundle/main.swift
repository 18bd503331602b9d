import Foundation
import FuzzDriver
import WardenSPIFFE

/// SPIFFE bundle and JWKS documents.
let trustDomain = try! TrustDomain("example.org")

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? SPIFFEBundle.parse(trustDomain: trustDomain, json: bytes)
    _ = try? JWTBundle.parse(trustDomain: trustDomain, jwks: bytes)
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
