import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenTestSupport
import WardenTesting

/// Every parser takes hostile bytes: a typed ``PKIError`` every time, never a crash, a hang or an unbounded allocation.
@Suite struct HostileInputTests {
    /// Real-shaped certificates: an RSA root and a P-256 leaf with SANs, plus a real root from the machine when present.
    static func sampleCertificates() throws -> [[UInt8]] {
        let chain = try TestPKI.chain(keyType: .rsa2048)
        let p256 = try TestPKI.chain()
        var samples = [chain.root.der, p256.leaf.der]
        if let bytes = try? PKIFile.read("/etc/ssl/certs/ISRG_Root_X1.pem"),
            let real = try? CertificateDecoder.decodeAll(bytes).first
        {
            samples.append(real.derBytes)
        }
        return samples
    }

    /// Calls `body` and requires that it either succeeds or throws a ``PKIError``.
    static func expectTypedOutcome(_ context: @autoclosure () -> String, _ body: () throws -> Void) {
        do {
            try body()
        } catch is PKIError {
        } catch {
            Issue.record("\(context()): threw \(type(of: error)) instead of PKIError: \(error)")
        }
    }

    @Test func truncatedDERAtEveryLengthIsATypedError() throws {
        for der in try Self.sampleCertificates() {
            for length in 0..<der.count {
                let prefix = Array(der.prefix(length))
                #expect(throws: PKIError.self, "length \(length)") { try CertificateDecoder.decodeAll(prefix) }
                #expect(throws: PKIError.self, "length \(length)") { try CertificateInfo(derEncoded: prefix) }
            }
        }
    }

    @Test func everySingleBitFlipGivesATypedOutcome() throws {
        let der = try TestPKI.chain().leaf.der
        for index in der.indices {
            for bit in [0, 7] {
                var mutated = der
                mutated[index] ^= UInt8(1 << bit)
                Self.expectTypedOutcome("flip at \(index)") {
                    _ = try CertificateInfo(derEncoded: mutated)
                }
            }
        }
    }

    @Test func randomBytesGiveTypedErrorsForEveryParser() {
        var generator = SeededRandomNumberGenerator(seed: 0xBAD_5EED)
        for round in 0..<3000 {
            let length = Int.random(in: 0..<600, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = 0x30 }  // get past the format check
            Self.expectTypedOutcome("certificate round \(round)") { _ = try CertificateDecoder.decodeAll(bytes) }
            Self.expectTypedOutcome("CSR round \(round)") { _ = try CSRDecoder.decode(bytes) }
            Self.expectTypedOutcome("key round \(round)") { _ = try PrivateKey(bytes: bytes) }
            Self.expectTypedOutcome("PEM round \(round)") { _ = try PEM.decode(bytes) }
        }
    }

    @Test(
        arguments: [
            [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x30, 0x00],
            [0x30, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00],
            [0x30, 0x80, 0x30, 0x00, 0x00, 0x00],
            [0x30, 0x89, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            [0x30, 0x82, 0x00, 0x01, 0x00],
            [0x30],
        ] as [[UInt8]]
    )
    func absurdLengthFieldsAreTypedErrors(bytes: [UInt8]) {
        #expect(throws: PKIError.self) { try CertificateDecoder.decodeAll(bytes) }
        #expect(throws: PKIError.self) { try CSRDecoder.decode(bytes) }
        #expect(throws: PKIError.self) { try PrivateKey(derEncoded: bytes) }
    }

    @Test func deeplyNestedInputDoesNotExhaustTheStack() {
        // 100,000 nested SEQUENCEs with indefinite-looking short lengths: a recursive parser without a depth limit
        // would overflow the stack here.
        var bytes: [UInt8] = []
        for _ in 0..<100_000 { bytes += [0x30, 0x80] }
        #expect(throws: PKIError.self) { try CertificateDecoder.decodeAll(bytes) }
        var definite: [UInt8] = [0x05, 0x00]
        for _ in 0..<5000 {
            let length = definite.count
            definite =
                [
                    0x30, 0x84, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
                    UInt8(length & 0xFF),
                ] + definite
        }
        #expect(throws: PKIError.self) { try CertificateDecoder.decodeAll(definite) }
    }

    @Test func garbagePEMGivesTypedErrors() throws {
        var generator = SeededRandomNumberGenerator(seed: 77)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n \r:".utf8)
        let leaf = try TestPKI.chain().leaf.pem
        for round in 0..<1000 {
            let body = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            let text: [UInt8] =
                switch round % 4 {
                case 0: Array("-----BEGIN CERTIFICATE-----\n".utf8) + body + Array("\n-----END CERTIFICATE-----\n".utf8)
                case 1: Array("-----BEGIN CERTIFICATE-----\n".utf8) + body
                case 2: Array(leaf.utf8.prefix(Int.random(in: 0..<leaf.utf8.count, using: &generator)))
                default: Array("-----BEGIN ".utf8) + body + Array("-----\n".utf8) + body
                }
            Self.expectTypedOutcome("round \(round)") { _ = try CertificateDecoder.decodeAll(text) }
            Self.expectTypedOutcome("round \(round)") { _ = try PrivateKey(bytes: text) }
            Self.expectTypedOutcome("round \(round)") { _ = try CSRDecoder.decode(text) }
        }
    }

    @Test func oversizedInputIsRefusedBeforeParsing() throws {
        let huge = [UInt8](repeating: 0x41, count: PKILimits.maximumInputSize + 1)
        #expect(throws: PKIError(.inputTooLarge, "")) { try PEM.decode(huge) }
        #expect(throws: PKIError(.inputTooLarge, "")) { try CertificateDecoder.certificate(derEncoded: [0x30] + huge) }
        // A device that never ends is cut off at the limit, not read forever.
        #expect(throws: PKIError(.inputTooLarge, "")) { try PKIFile.read("/dev/zero") }
    }
}
