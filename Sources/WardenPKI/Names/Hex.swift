package enum Hex {
    private static let upper = Array("0123456789ABCDEF".utf8)

    /// Uppercase hex, optionally with a separator between bytes (`AB:CD`).
    package static func encode(_ bytes: some Collection<UInt8>, separator: UInt8? = nil) -> String {
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * (separator == nil ? 2 : 3))
        for byte in bytes {
            if let separator, !output.isEmpty { output.append(separator) }
            output.append(upper[Int(byte >> 4)])
            output.append(upper[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
