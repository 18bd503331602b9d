import Foundation
import FuzzDriver
import WardenCore
import WardenPKI
import WardenSPIFFE

/// JWT-SVID parsing and verification against a fixed bundle: everything up to the signature check runs on hostile
/// tokens (the key is fixed, so a forged signature never verifies).
let verifier: JWTSVIDVerifier = {
    let key = try! PrivateKey.generate(.p256)
    let bundle = SPIFFEBundle(
        trustDomain: try! TrustDomain("example.org"),
        jwtAuthorities: ["k": try! JWTPublicKey(key)]
    )
    return try! JWTSVIDVerifier(bundles: SPIFFEBundleSet([bundle]), audiences: ["fuzz"], cacheCapacity: 0)
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let token = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? verifier.verify(token, at: Date(timeIntervalSince1970: 1_800_000_000), authorizer: .any)
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
