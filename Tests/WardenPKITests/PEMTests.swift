import WardenCore
import Testing
import WardenPKI

@Suite struct PEMTests {
    let first: [UInt8] = Array(0..<200)
    let second: [UInt8] = Array((0..<77).map { UInt8($0 * 3 % 256) })

    @Test func decodesEveryBlockAndIgnoresTextAround() throws {
        let text =
            "Bag Attributes\n  friendlyName: x\n" + PEM.encode(label: "CERTIFICATE", derBytes: self.first)
            + "subject=CN=intermediate\n\n" + PEM.encode(label: "PRIVATE KEY", derBytes: self.second) + "trailing words"
        let blocks = try PEM.decode(Array(text.utf8))
        #expect(blocks.map(\.label) == ["CERTIFICATE", "PRIVATE KEY"])
        #expect(blocks.map(\.derBytes) == [self.first, self.second])
        #expect(blocks.map(\.ordinal) == [1, 2])
        #expect(blocks[0].line == 3)
        #expect(blocks.map(\.kind) == [.certificate, .pkcs8PrivateKey])
    }

    @Test func acceptsCRLFAndTrailingWhitespace() throws {
        let text = PEM.encode(label: "CERTIFICATE", derBytes: self.first)
            .split(separator: "\n").map { $0 + " \t\r\n" }.joined()
        let blocks = try PEM.decode(Array(text.utf8))
        #expect(blocks.count == 1)
        #expect(blocks[0].derBytes == self.first)
    }

    @Test func roundTripsEveryLength() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let blocks = try PEM.decode(Array(PEM.encode(label: "X", derBytes: bytes).utf8))
            #expect(blocks.first?.derBytes == bytes)
        }
    }

    @Test func aBlockWithoutEndIsAnErrorNamingTheBlock() {
        let text =
            PEM.encode(label: "CERTIFICATE", derBytes: self.first)
            + PEM.encode(label: "CERTIFICATE", derBytes: self.second).split(separator: "\n").dropLast().joined(
                separator: "\n"
            )
        #expect {
            try PEM.decode(Array(text.utf8))
        } throws: { error in
            let error = error as! PKIError
            return error.code == .pemTruncatedBlock && error.message.contains("PEM block 2")
        }
    }

    @Test func aBeginInsideABlockIsATruncatedBlock() {
        let truncated =
            PEM.encode(label: "CERTIFICATE", derBytes: self.first).split(separator: "\n").dropLast()
            .joined(separator: "\n") + "\n"
        let text = truncated + PEM.encode(label: "CERTIFICATE", derBytes: self.second)
        #expect {
            try PEM.decode(Array(text.utf8))
        } throws: { error in
            let error = error as! PKIError
            return error.code == .pemTruncatedBlock && error.message.contains("PEM block 1")
                && error.message.contains("BEGIN")
        }
    }

    @Test func mismatchedEndLabelIsAnError() {
        let text = PEM.encode(label: "CERTIFICATE", derBytes: self.first)
            .replacingOccurrences(of: "END CERTIFICATE", with: "END PRIVATE KEY")
        #expect {
            try PEM.decode(Array(text.utf8))
        } throws: { error in
            let error = error as! PKIError
            return error.code == .pemLabelMismatch && error.message.contains("'CERTIFICATE'")
                && error.message.contains("'PRIVATE KEY'")
        }
    }

    @Test(arguments: [
        "-----BEGIN CERTIFICATE-----\nAAA*\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAA==AAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAB==\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nAA-_\n-----END CERTIFICATE-----\n",
    ])
    func invalidBase64IsAnError(text: String) {
        #expect {
            try PEM.decode(Array(text.utf8))
        } throws: { error in
            (error as? PKIError)?.code == .pemInvalidBase64
        }
    }

    @Test func encryptedKeysAreRefusedWithAClearError() {
        let legacy =
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
        let pkcs8 = PEM.encode(label: "ENCRYPTED PRIVATE KEY", derBytes: self.first)
        for text in [legacy, pkcs8] {
            #expect(throws: PKIError(.pemEncrypted, "")) { try PEM.decode(Array(text.utf8)) }
        }
    }

    @Test func textWithoutBlocksGivesNoBlocks() throws {
        #expect(try PEM.decode(Array("just words\n-----END CERTIFICATE-----\n".utf8)).isEmpty)
        #expect(try PEM.decode([]).isEmpty)
    }

    @Test func descriptionAndDumpNeverShowTheBytes() {
        let block = PEMBlock(label: "PRIVATE KEY", derBytes: [0xDE, 0xAD, 0xBE, 0xEF], ordinal: 1, line: 1)
        var dumped = ""
        dump(block, to: &dumped)
        for text in [block.description, dumped, String(reflecting: block)] {
            #expect(!text.contains("222"))  // 0xDE
            #expect(!text.contains("3735928559"))
            #expect(!text.lowercased().contains("deadbeef"))
        }
        #expect(block.description.contains("PRIVATE KEY"))
    }
}
