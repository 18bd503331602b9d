public import WardenCore

/// An error from WardenSPIFFE: a SPIFFE ID or trust domain that breaks a rule of the SPIFFE standards.
///
/// Each code names one rule of `SPIFFE-ID.md`; go-spiffe's error for the same input maps to exactly one code.
public struct SPIFFEError: WardenError {
    /// The opaque code of a ``SPIFFEError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case empty, wrongScheme, missingTrustDomain, badTrustDomainCharacter, badPathSegmentCharacter
            case noLeadingSlash, emptySegment, dotSegment, trailingSlash, tooLong
        }
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        /// A stable camel-case name.
        public var description: String { self.backing.rawValue }

        /// The input is empty.
        public static let empty = Code(.empty)
        /// The input does not start with `spiffe://` (the scheme is lowercase only).
        public static let wrongScheme = Code(.wrongScheme)
        /// There is nothing between `spiffe://` and the path.
        public static let missingTrustDomain = Code(.missingTrustDomain)
        /// The trust domain has a character other than `a-z`, `0-9`, `.`, `-` and `_` (no uppercase, no port, no
        /// userinfo, no percent-encoding).
        public static let badTrustDomainCharacter = Code(.badTrustDomainCharacter)
        /// A path segment has a character other than `a-z`, `A-Z`, `0-9`, `.`, `-` and `_` (no query, fragment or
        /// percent-encoding).
        public static let badPathSegmentCharacter = Code(.badPathSegmentCharacter)
        /// A path does not start with `/`.
        public static let noLeadingSlash = Code(.noLeadingSlash)
        /// A path has an empty segment (`//`).
        public static let emptySegment = Code(.emptySegment)
        /// A path has a `.` or `..` segment.
        public static let dotSegment = Code(.dotSegment)
        /// A path ends with `/`.
        public static let trailingSlash = Code(.trailingSlash)
        /// The trust domain is longer than 255 bytes, or the whole ID longer than 2048.
        public static let tooLong = Code(.tooLong)
    }

    /// The rule that failed.
    public let code: Code
    /// What was found, naming the input.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
