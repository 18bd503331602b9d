import Foundation
import FuzzDriver
import WardenPKI

/// Private key import: PKCS#8, SEC1 and PKCS#1, DER or PEM.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let key = try? PrivateKey(bytes: bytes) { _ = key.subjectPublicKeyInfoDER }
    if let key = try? PrivateKey(derEncoded: bytes) { _ = key.type }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
