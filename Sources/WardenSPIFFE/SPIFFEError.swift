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
            case malformedInput, noCertificates, noPrivateKey, privateKeyMismatch
            case leafMissingSPIFFEID, leafHasMultipleURISANs, leafSPIFFEIDHasRootPath, leafIsCA
            case leafMissingKeyUsage, leafKeyUsageNotCritical, leafMissingDigitalSignature, leafHasKeyCertSign
            case leafHasCRLSign, signingCertificateNotCA, signingCertificateMissingKeyCertSign
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
        /// A certificate or key does not parse (the message carries the PKI error and names the block).
        public static let malformedInput = Code(.malformedInput)
        /// An X509-SVID without any certificate.
        public static let noCertificates = Code(.noCertificates)
        /// An X509-SVID without a private key.
        public static let noPrivateKey = Code(.noPrivateKey)
        /// The private key does not belong to the leaf certificate.
        public static let privateKeyMismatch = Code(.privateKeyMismatch)
        /// The leaf has no URI SAN, so no SPIFFE ID.
        public static let leafMissingSPIFFEID = Code(.leafMissingSPIFFEID)
        /// The leaf has more than one URI SAN (X509-SVID §2: exactly one).
        public static let leafHasMultipleURISANs = Code(.leafHasMultipleURISANs)
        /// The leaf's SPIFFE ID is a trust domain's own ID, with no path (X509-SVID §2: workloads have a path).
        public static let leafSPIFFEIDHasRootPath = Code(.leafSPIFFEIDHasRootPath)
        /// The leaf is a CA (X509-SVID §4.1).
        public static let leafIsCA = Code(.leafIsCA)
        /// The leaf has no key usage extension (X509-SVID §4.3).
        public static let leafMissingKeyUsage = Code(.leafMissingKeyUsage)
        /// The leaf's key usage extension is not critical (X509-SVID §4.3).
        public static let leafKeyUsageNotCritical = Code(.leafKeyUsageNotCritical)
        /// The leaf's key usage lacks digitalSignature (X509-SVID §4.3).
        public static let leafMissingDigitalSignature = Code(.leafMissingDigitalSignature)
        /// The leaf's key usage has keyCertSign (X509-SVID §4.3).
        public static let leafHasKeyCertSign = Code(.leafHasKeyCertSign)
        /// The leaf's key usage has cRLSign (X509-SVID §4.3).
        public static let leafHasCRLSign = Code(.leafHasCRLSign)
        /// A certificate after the leaf is not a CA (X509-SVID §4.1).
        public static let signingCertificateNotCA = Code(.signingCertificateNotCA)
        /// A certificate after the leaf lacks keyCertSign (X509-SVID §4.3).
        public static let signingCertificateMissingKeyCertSign = Code(.signingCertificateMissingKeyCertSign)
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
