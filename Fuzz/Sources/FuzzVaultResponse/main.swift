import Foundation
import FuzzDriver
@_spi(Fuzzing) import WardenVault

/// Vault's response envelope, as the client decodes every response body.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let response = try? VaultResponse.decode(body: bytes) {
        _ = response.description
        _ = response.auth?.description
    }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
