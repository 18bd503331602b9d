import Testing
import WardenCore

/// Warden's one base64 codec, both alphabets, on RFC 4648 §10's vectors and on what a strict decoder must refuse.
@Suite struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648VectorsRoundTripInBothAlphabets() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
            let url = encoded.replacingOccurrences(of: "=", with: "")
            #expect(Base64.URL.encode(Array(plain.utf8)) == url)
            #expect(Base64.URL.decode(url) == Array(plain.utf8))
        }
    }

    @Test func theAlphabetsDoNotMix() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]
        #expect(Base64.encode(bytes) == "+/+/")
        #expect(Base64.URL.encode(bytes) == "-_-_")
        #expect(Base64.decode(Array("-_-_".utf8)) == nil)
        #expect(Base64.URL.decode("+/+/") == nil)
    }

    @Test(arguments: ["Zg=", "Zg", "Zh==", "Zm9=", "Zg==Zg==", "Z g==", "Zg==\n", "=Zg="])
    func paddedBase64RefusesWhatIsNotItsOneEncoding(_ text: String) {
        #expect(Base64.decode(Array(text.utf8)) == nil, "\(text)")
    }

    @Test(arguments: ["Zh", "Zm9", "Zg==", "Z", "Zg ", "Zg\n"])
    func base64URLRefusesPaddingStrayBitsAndWhitespace(_ text: String) {
        // "Zh" and "Zm9" carry non-zero unused bits: a second spelling of "f" and "fo".
        #expect(Base64.URL.decode(text) == nil, "\(text)")
    }
}
