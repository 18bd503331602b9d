public import WardenCore

/// An error from WardenSPIFFE: an ID, SVID, bundle or token that breaks a rule of the SPIFFE standards, or a peer the
/// verifier does not trust.
///
/// Each code names one rule; go-spiffe's error for the same input maps to exactly one code.
public struct SPIFFEError: WardenError {
    /// The opaque code of a ``SPIFFEError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case empty, wrongScheme, missingTrustDomain, badTrustDomainCharacter, badPathSegmentCharacter
            case noLeadingSlash, emptySegment, dotSegment, trailingSlash, tooLong
            case malformedInput, noCertificates, noPrivateKey, privateKeyMismatch
            case leafMissingSPIFFEID, leafHasMultipleURISANs, leafSPIFFEIDHasRootPath, leafIsCA
            case leafMissingKeyUsage, leafKeyUsageNotCritical, leafMissingDigitalSignature, leafHasKeyCertSign
            case leafHasCRLSign, issuerNotCA, issuerMissingKeyCertSign
            case malformedBundle, bundleMissingKeyID, bundleHasNoKeys, unsupportedKey, trustDomainMismatch
            case emptyChain, untrustedTrustDomain, unknownIssuer, invalidSignature
            case unhandledCriticalExtension, pathLengthExceeded, nameConstraintsViolated
            case unauthorized, malformedToken, tokenTooLarge, unsupportedAlgorithm, missingKeyID, unknownKeyID
            case keyAlgorithmMismatch, invalidTypeHeader, missingClaim, invalidClaim, expired, notYetValid
            case issuedInFuture, audienceMismatch, invalidSubject, invalidConfiguration
            case certificateRevoked, revocationStatusUnknown
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
        /// A certificate after the leaf is not a CA (X509-SVID §4.1). The same code as `PKIError`'s.
        public static let issuerNotCA = Code(.issuerNotCA)
        /// A certificate after the leaf lacks keyCertSign (X509-SVID §4.3). The same code as `PKIError`'s.
        public static let issuerMissingKeyCertSign = Code(.issuerMissingKeyCertSign)

        /// A bundle (PEM, JWKS or SPIFFE bundle) does not parse; the message names the entry and the field.
        public static let malformedBundle = Code(.malformedBundle)
        /// A JWT authority (a `jwt-svid` entry, or a key of a JWKS used as a JWT bundle) has no `kid`.
        public static let bundleMissingKeyID = Code(.bundleMissingKeyID)
        /// A SPIFFE bundle has no `keys` member.
        public static let bundleHasNoKeys = Code(.bundleHasNoKeys)
        /// A key is of a type or size that Warden does not verify with (for example RSA under 2048 bits).
        public static let unsupportedKey = Code(.unsupportedKey)
        /// A bundle or SVID belongs to a different trust domain than the one it was given for.
        public static let trustDomainMismatch = Code(.trustDomainMismatch)
        /// An X509-SVID was presented without any certificate.
        public static let emptyChain = Code(.emptyChain)
        /// There is no bundle for the SVID's trust domain: the verifier does not trust it.
        public static let untrustedTrustDomain = Code(.untrustedTrustDomain)
        /// No path from the leaf reaches an authority of its trust domain's bundle. The same code as `PKIError`'s.
        public static let unknownIssuer = Code(.unknownIssuer)
        /// A signature does not verify: of a certificate by its issuer, or of a JWT by its key.
        public static let invalidSignature = Code(.invalidSignature)
        /// A certificate of the path has a critical extension the verifier does not process.
        public static let unhandledCriticalExtension = Code(.unhandledCriticalExtension)
        /// A CA's pathLenConstraint is exceeded.
        public static let pathLengthExceeded = Code(.pathLengthExceeded)
        /// A name of the leaf breaks a CA's name constraints, or the constraints use a form Warden does not process.
        public static let nameConstraintsViolated = Code(.nameConstraintsViolated)
        /// The peer's SPIFFE ID verified, but the authorizer does not allow it.
        public static let unauthorized = Code(.unauthorized)
        /// A JWT is not a well-formed compact JWS: segments, base64url, JSON or a header member.
        public static let malformedToken = Code(.malformedToken)
        /// A JWT is longer than the verifier's limit; it was rejected before decoding.
        public static let tokenTooLarge = Code(.tokenTooLarge)
        /// A JWT's `alg` is not on the allow-list (`none` and HMAC never are).
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A JWT's header has no `kid`, and the verifier requires one.
        public static let missingKeyID = Code(.missingKeyID)
        /// No key of the bundle has the JWT's `kid`.
        public static let unknownKeyID = Code(.unknownKeyID)
        /// A JWT's `alg` does not fit the type of the key its `kid` names (for example RS256 with an EC key).
        public static let keyAlgorithmMismatch = Code(.keyAlgorithmMismatch)
        /// A JWT's `typ` header is present but neither `JWT` nor `JOSE`.
        public static let invalidTypeHeader = Code(.invalidTypeHeader)
        /// A required claim (`exp`, `sub`, `aud`) is absent.
        public static let missingClaim = Code(.missingClaim)
        /// A registered claim has the wrong JSON type (for example `exp` as a string).
        public static let invalidClaim = Code(.invalidClaim)
        /// A certificate of the path has expired at the verification time, or a JWT is past its `exp` beyond the
        /// leeway. The same code as `PKIError`'s and `CredentialsError`'s.
        public static let expired = Code(.expired)
        /// A certificate of the path is not yet valid at the verification time, or a JWT is before its `nbf` beyond
        /// the leeway. The same code as `PKIError`'s.
        public static let notYetValid = Code(.notYetValid)
        /// A JWT's `iat` is in the future, beyond the leeway.
        public static let issuedInFuture = Code(.issuedInFuture)
        /// None of a JWT's audiences is one the verifier expects.
        public static let audienceMismatch = Code(.audienceMismatch)
        /// A JWT-SVID's `sub` is not a SPIFFE ID of a workload.
        public static let invalidSubject = Code(.invalidSubject)
        /// A verifier was set up in a way that cannot be safe, for example with no expected audience.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A certificate of the X509-SVID's chain is on a CRL the peer verifier checks. The same code as
        /// `PKIError`'s.
        public static let certificateRevoked = Code(.certificateRevoked)
        /// The peer verifier's revocation policy is hard-fail and no CRL gave a certificate's status. The same code
        /// as `PKIError`'s.
        public static let revocationStatusUnknown = Code(.revocationStatusUnknown)
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
