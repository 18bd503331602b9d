import Foundation
import FuzzDriver
import WardenPKI

/// Certificate revocation lists, DER or PEM: decoded, every entry looked up, and paired as a list.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let crls = try? CRLDecoder.crls(from: bytes, limits: CRLLimits(maximumEntries: 10_000)) else { return 0 }
    for crl in crls {
        for entry in crl.revokedCertificates { _ = crl.revokedCertificate(serialNumber: entry.serialNumber) }
        _ = crl.description
        _ = try? RevocationList(base: crl, delta: crls.first(where: \.isDelta), location: "fuzz")
    }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
