import Foundation
import FuzzDriver
import WardenPKI

/// DER or PEM certificates, decoded and inspected as `warden cert inspect` does.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let info = try? CertificateInfo(derEncoded: bytes) { _ = info.subject }
    if let decoded = try? CertificateDecoder.decodeAll(bytes) {
        for certificate in decoded { _ = try? CertificateInfo(certificate) }
    }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
