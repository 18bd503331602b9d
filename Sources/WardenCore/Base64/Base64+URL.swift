extension Base64 {
    /// Base64url without padding (RFC 7515 §2), strictly: the URL-safe alphabet only, no `=`, no whitespace, and the
    /// unused bits of the last character zero, so that every byte string has exactly one encoding.
    package enum URL {
        private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

        /// The 6-bit value of a base64url character, or 0xFF. Comparisons rather than a table: no global to load and
        /// retain on the hot path of every JWT.
        @inline(__always)
        private static func value(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte &- UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte &- UInt8(ascii: "a") &+ 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0") &+ 52
            case UInt8(ascii: "-"): return 62
            case UInt8(ascii: "_"): return 63
            default: return 0xFF
            }
        }

        /// Decodes `input`, or returns `nil` if it is not strict base64url.
        package static func decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
            input.withUnsafeBufferPointer { Self.decode($0) }
        }

        /// The length of the decoding of `count` characters, or `nil` for a length no base64url string has.
        package static func decodedCount(_ count: Int) -> Int? {
            count % 4 == 1 ? nil : count * 3 / 4
        }

        package static func decode(_ source: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
            guard let outputCount = Self.decodedCount(source.count) else { return nil }
            var valid = true
            let output = [UInt8](unsafeUninitializedCapacity: outputCount) { buffer, initialized in
                let written = Self.decode(source, into: buffer)
                valid = written != nil
                initialized = written ?? 0
            }
            return valid ? output : nil
        }

        /// Decodes four characters at a time into three bytes; the last group may have two or three characters.
        /// `buffer` holds at least ``decodedCount(_:)`` bytes. Returns the bytes written, or `nil` if `source` is not strict
        /// base64url.
        package static func decode(
            _ source: UnsafeBufferPointer<UInt8>,
            into buffer: UnsafeMutableBufferPointer<UInt8>
        ) -> Int? {
            let count = source.count
            guard count % 4 != 1 else { return nil }
            var valid = true
            var read = 0
            var written = 0
            while count - read >= 4 {
                let a = Self.value(source[read])
                let b = Self.value(source[read + 1])
                let c = Self.value(source[read + 2])
                let d = Self.value(source[read + 3])
                guard (a | b | c | d) & 0xC0 == 0 else {
                    valid = false
                    break
                }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                buffer[written] = UInt8(truncatingIfNeeded: group >> 16)
                buffer[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                buffer[written + 2] = UInt8(truncatingIfNeeded: group)
                read += 4
                written += 3
            }
            if valid && read < count {
                let a = Self.value(source[read])
                let b = Self.value(source[read + 1])
                let c = count - read == 3 ? Self.value(source[read + 2]) : 0
                if (a | b | c) & 0xC0 != 0 {
                    valid = false
                } else if count - read == 2 {
                    // Left-over bits must be zero: otherwise two strings decode to the same bytes.
                    valid = b & 0x0F == 0
                    buffer[written] = a << 2 | b >> 4
                    written += 1
                } else {
                    valid = c & 0x03 == 0
                    buffer[written] = a << 2 | b >> 4
                    buffer[written + 1] = b << 4 | c >> 2
                    written += 2
                }
            }
            return valid ? written : nil
        }

        package static func decode(_ input: String) -> [UInt8]? {
            Self.decode(Array(input.utf8)[...])
        }

        /// Encodes `bytes` without padding.
        package static func encode(_ bytes: some Collection<UInt8>) -> String {
            var output = [UInt8]()
            output.reserveCapacity((bytes.count * 4 + 2) / 3)
            var accumulator: UInt32 = 0
            var bits = 0
            for byte in bytes {
                accumulator = accumulator << 8 | UInt32(byte)
                bits += 8
                while bits >= 6 {
                    bits -= 6
                    output.append(Self.alphabet[Int((accumulator >> UInt32(bits)) & 0x3F)])
                }
                accumulator &= (1 << UInt32(bits)) - 1
            }
            if bits > 0 {
                output.append(Self.alphabet[Int((accumulator << UInt32(6 - bits)) & 0x3F)])
            }
            return String(decoding: output, as: UTF8.self)
        }
    }
}
