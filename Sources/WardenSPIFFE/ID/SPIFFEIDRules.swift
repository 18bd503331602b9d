/// The syntax rules of `SPIFFE-ID.md`, on bytes, as go-spiffe checks them.
enum SPIFFEIDRules {
    static let scheme: [UInt8] = Array("spiffe://".utf8)
    static let maximumTrustDomainLength = 255
    static let maximumIDLength = 2048

    @inline(__always)
    static func isTrustDomainCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    @inline(__always)
    static func isPathSegmentCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    static func validateTrustDomain(_ name: some Collection<UInt8>, input: String) throws(SPIFFEError) {
        guard !name.isEmpty else {
            throw SPIFFEError(.missingTrustDomain, "'\(input)' has no trust domain")
        }
        for byte in name where !Self.isTrustDomainCharacter(byte) {
            throw SPIFFEError(
                .badTrustDomainCharacter,
                "'\(input)': trust domain characters are limited to lowercase letters, numbers, dots, dashes and underscores"
            )
        }
        guard name.count <= Self.maximumTrustDomainLength else {
            throw SPIFFEError(
                .tooLong,
                "'\(input)': the trust domain has \(name.count) bytes, more than \(Self.maximumTrustDomainLength)"
            )
        }
    }

    /// A path: empty, or `/segment` repeated, with no empty, `.` or `..` segment and no trailing slash.
    static func validatePath(_ path: some Collection<UInt8>, input: String) throws(SPIFFEError) {
        let path = Array(path)
        guard !path.isEmpty else { return }
        guard path[0] == UInt8(ascii: "/") else {
            throw SPIFFEError(.noLeadingSlash, "'\(input)': the path must start with a slash")
        }
        var segmentStart = 0
        for index in 1...path.count {
            if index < path.count && path[index] != UInt8(ascii: "/") {
                guard Self.isPathSegmentCharacter(path[index]) else {
                    throw SPIFFEError(
                        .badPathSegmentCharacter,
                        "'\(input)': path segment characters are limited to letters, numbers, dots, dashes and underscores"
                    )
                }
                continue
            }
            // path[segmentStart] is the slash before the segment that ends here.
            let segment = path[(segmentStart + 1)..<index]
            if segment.isEmpty {
                throw index == path.count
                    ? SPIFFEError(.trailingSlash, "'\(input)': the path cannot end with a slash")
                    : SPIFFEError(.emptySegment, "'\(input)': the path cannot contain empty segments")
            }
            if segment.elementsEqual([UInt8(ascii: ".")])
                || segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
            {
                throw SPIFFEError(.dotSegment, "'\(input)': the path cannot contain dot segments")
            }
            segmentStart = index
        }
    }

    static func validateSegment(_ segment: String, input: String) throws(SPIFFEError) {
        guard !segment.isEmpty else {
            throw SPIFFEError(.emptySegment, "'\(input)': the path cannot contain empty segments")
        }
        if segment == "." || segment == ".." {
            throw SPIFFEError(.dotSegment, "'\(input)': the path cannot contain dot segments")
        }
        for byte in segment.utf8 where !Self.isPathSegmentCharacter(byte) {
            throw SPIFFEError(
                .badPathSegmentCharacter,
                "'\(input)': path segment characters are limited to letters, numbers, dots, dashes and underscores"
            )
        }
    }
}
