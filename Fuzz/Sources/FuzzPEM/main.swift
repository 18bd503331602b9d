import Foundation
import FuzzDriver
import WardenPKI

/// PEM text: every block, or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let blocks = try? PEM.decode(bytes) {
        // What decodes re-encodes and decodes to the same bytes.
        for block in blocks {
            let again = try! PEM.decode(Array(PEM.encode(label: block.label, derBytes: block.derBytes).utf8))
            precondition(again.count == 1 && again[0].derBytes == block.derBytes, "PEM round trip changed a block")
        }
    }
    return 0
}

exit(warden_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv) { fuzz($0, $1) })
