/// Warden's one base64 codec, strict in both alphabets: RFC 4648 §4 with padding, as PEM bodies use it (the static
/// functions here), and base64url without padding, as JOSE uses it (``URL``). Strict means one encoding per byte
/// string: no whitespace, no stray padding, zero unused bits.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(alphabet[Int(value >> 18 & 0x3F)])
            output.append(alphabet[Int(value >> 12 & 0x3F)])
            output.append(alphabet[Int(value >> 6 & 0x3F)])
            output.append(alphabet[Int(value & 0x3F)])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            output.append(alphabet[Int(value >> 18 & 0x3F)])
            output.append(alphabet[Int(value >> 12 & 0x3F)])
            output.append(rest == 2 ? alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes padded base64; `nil` for a wrong length, a character outside the alphabet, misplaced padding or
    /// non-zero trailing bits.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(text)
        guard input.count % 4 == 0 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let c0 = decodeTable[Int(input[index])]
            let c1 = decodeTable[Int(input[index + 1])]
            guard c0 != 0xFF, c1 != 0xFF else { return nil }
            let p2 = input[index + 2] == UInt8(ascii: "=")
            let p3 = input[index + 3] == UInt8(ascii: "=")
            if p2 || p3 {
                guard isLast, p3 else { return nil }
                if p2 {
                    guard c1 & 0x0F == 0 else { return nil }
                    output.append(c0 << 2 | c1 >> 4)
                } else {
                    let c2 = decodeTable[Int(input[index + 2])]
                    guard c2 != 0xFF, c2 & 0x03 == 0 else { return nil }
                    output.append(c0 << 2 | c1 >> 4)
                    output.append(c1 << 4 | c2 >> 2)
                }
            } else {
                let c2 = decodeTable[Int(input[index + 2])]
                let c3 = decodeTable[Int(input[index + 3])]
                guard c2 != 0xFF, c3 != 0xFF else { return nil }
                output.append(c0 << 2 | c1 >> 4)
                output.append(c1 << 4 | c2 >> 2)
                output.append(c2 << 6 | c3)
            }
            index += 4
        }
        return output
    }
}
