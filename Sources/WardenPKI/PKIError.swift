public import WardenCore

/// An error from WardenPKI: a malformed input, an unsupported algorithm, or a certificate chain that failed a rule.
///
/// Match on ``code``; show ``message`` to people. The message names the rule or field that failed and what was found
/// (for a PEM file, which block), and never contains key material.
public struct PKIError: WardenError {
    /// The opaque code of a ``PKIError``. New codes may be added in any release.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case inputTooLarge
            case unrecognizedFormat
            case noObjectFound
            case pemTruncatedBlock
            case pemLabelMismatch
            case pemInvalidBase64
            case pemEncrypted
            case unexpectedObject
            case malformedCertificate
            case malformedCertificateSigningRequest
            case malformedPrivateKey
            case unsupportedKeyType
            case unsupportedAlgorithm
            case invalidDistinguishedName
            case invalidSubjectAlternativeName
            case signingFailed
            case fileUnreadable
            case fileWriteFailed
            case expired
            case notYetValid
            case unknownIssuer
            case invalidSignature
            case issuerNotCA
            case issuerMissingKeyCertSign
            case pathLengthExceeded
            case nameConstraintsViolated
            case unhandledCriticalExtension
            case unsupportedCertificateVersion
            case hostnameMismatch
            case extendedKeyUsageMismatch
            case chainPolicyViolation
            case verificationBudgetExceeded
            case malformedExtension
            case invalidSerialNumber
            case invalidKeyIdentifier
            case invalidBasicConstraints
            case invalidNameConstraints
            case endEntityIsCA
            case malformedCRL
            case unsupportedCRL
            case crlIssuerMismatch
            case certificateRevoked
            case revocationStatusUnknown
        }

        fileprivate let backing: Backing

        fileprivate init(_ backing: Backing) {
            self.backing = backing
        }

        /// A stable, camel-case name for the code, as used in the `warden` command's JSON output.
        public var description: String { self.backing.rawValue }

        /// The input is larger than ``PKILimits/maximumInputSize``.
        public static let inputTooLarge = Code(.inputTooLarge)
        /// The input is neither DER nor PEM.
        public static let unrecognizedFormat = Code(.unrecognizedFormat)
        /// The input holds no object of the kind asked for.
        public static let noObjectFound = Code(.noObjectFound)
        /// A PEM block has a BEGIN line but no END line.
        public static let pemTruncatedBlock = Code(.pemTruncatedBlock)
        /// A PEM block's END label differs from its BEGIN label.
        public static let pemLabelMismatch = Code(.pemLabelMismatch)
        /// A PEM block's body is not valid base64.
        public static let pemInvalidBase64 = Code(.pemInvalidBase64)
        /// A PEM block is encrypted (legacy `Proc-Type: 4,ENCRYPTED` or `ENCRYPTED PRIVATE KEY`).
        public static let pemEncrypted = Code(.pemEncrypted)
        /// A PEM block holds a different kind of object than the one asked for.
        public static let unexpectedObject = Code(.unexpectedObject)
        /// The bytes are not a well-formed X.509 certificate.
        public static let malformedCertificate = Code(.malformedCertificate)
        /// The bytes are not a well-formed PKCS#10 certificate signing request.
        public static let malformedCertificateSigningRequest = Code(.malformedCertificateSigningRequest)
        /// The bytes are not a well-formed private key.
        public static let malformedPrivateKey = Code(.malformedPrivateKey)
        /// The key's algorithm or size is not one Warden supports.
        public static let unsupportedKeyType = Code(.unsupportedKeyType)
        /// The signature or public-key algorithm is not one Warden supports.
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A distinguished name string could not be parsed.
        public static let invalidDistinguishedName = Code(.invalidDistinguishedName)
        /// A subject alternative name is malformed (for example an IP address that does not parse).
        public static let invalidSubjectAlternativeName = Code(.invalidSubjectAlternativeName)
        /// Signing with the private key failed.
        public static let signingFailed = Code(.signingFailed)
        /// A file could not be read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// A file could not be written.
        public static let fileWriteFailed = Code(.fileWriteFailed)
        /// A certificate of the chain has expired at the verification time.
        public static let expired = Code(.expired)
        /// A certificate of the chain is not valid yet at the verification time.
        public static let notYetValid = Code(.notYetValid)
        /// No trusted root or intermediate names the certificate's issuer: no path to a trust anchor.
        public static let unknownIssuer = Code(.unknownIssuer)
        /// A certificate's signature does not verify with its issuer's key.
        public static let invalidSignature = Code(.invalidSignature)
        /// An issuing certificate is not a CA (basic constraints missing or `cA` false).
        public static let issuerNotCA = Code(.issuerNotCA)
        /// An issuing certificate has a key usage extension without `keyCertSign`.
        public static let issuerMissingKeyCertSign = Code(.issuerMissingKeyCertSign)
        /// The chain is longer than an issuer's `pathLenConstraint` allows.
        public static let pathLengthExceeded = Code(.pathLengthExceeded)
        /// A name in the chain violates an issuer's name constraints.
        public static let nameConstraintsViolated = Code(.nameConstraintsViolated)
        /// A certificate carries a critical extension the verifier does not process.
        public static let unhandledCriticalExtension = Code(.unhandledCriticalExtension)
        /// A certificate has a version the rules do not allow (a v1 certificate with extensions).
        public static let unsupportedCertificateVersion = Code(.unsupportedCertificateVersion)
        /// The leaf is not valid for the expected DNS name.
        public static let hostnameMismatch = Code(.hostnameMismatch)
        /// The leaf's extended key usage does not allow the required purpose.
        public static let extendedKeyUsageMismatch = Code(.extendedKeyUsageMismatch)
        /// The chain failed a rule of swift-certificates' policy that has no more specific code; the message says which.
        public static let chainPolicyViolation = Code(.chainPolicyViolation)
        /// Verifying the chain would take more work than ``VerificationLimits`` allows: too many candidate issuers or
        /// name-constraint comparisons, as a hostile peer's certificates can arrange.
        public static let verificationBudgetExceeded = Code(.verificationBudgetExceeded)
        /// A certificate's extension does not decode, or is empty where RFC 5280 requires content.
        public static let malformedExtension = Code(.malformedExtension)
        /// A serial number that is not positive or longer than 20 octets (RFC 5280 §4.1.2.2).
        public static let invalidSerialNumber = Code(.invalidSerialNumber)
        /// An authority or subject key identifier that is missing where required, critical, or inconsistent.
        public static let invalidKeyIdentifier = Code(.invalidKeyIdentifier)
        /// A CA whose basic constraints are not critical (RFC 5280 §4.2.1.9).
        public static let invalidBasicConstraints = Code(.invalidBasicConstraints)
        /// Name constraints that are malformed, empty, not critical, or in an end-entity certificate.
        public static let invalidNameConstraints = Code(.invalidNameConstraints)
        /// The leaf is a CA certificate, or may sign certificates (keyCertSign).
        public static let endEntityIsCA = Code(.endEntityIsCA)
        /// The bytes are not a well-formed certificate revocation list; the message names the field.
        public static let malformedCRL = Code(.malformedCRL)
        /// The CRL uses a feature Warden does not support: an indirect CRL, or one that covers only some reasons or
        /// attribute certificates.
        public static let unsupportedCRL = Code(.unsupportedCRL)
        /// A CRL is not issued by the certificate it was checked against: another name, or no `cRLSign` usage.
        public static let crlIssuerMismatch = Code(.crlIssuerMismatch)
        /// A certificate of the chain is revoked; ``PKIError/revocation`` says which, when, why and who said so.
        public static let certificateRevoked = Code(.certificateRevoked)
        /// The revocation policy is hard-fail and a certificate's status could not be had: no CRL that covers it and
        /// is fresh enough, no OCSP answer. The message says what was tried.
        public static let revocationStatusUnknown = Code(.revocationStatusUnknown)
    }

    /// The rule or condition that failed.
    public let code: Code
    /// What failed and what was found, naming the block, field or certificate.
    public let message: String

    /// For ``Code/certificateRevoked``: the revoked certificate, when, why, and the CRL or responder that said so.
    public let revocation: CertificateRevocation?

    /// Creates an error with a code and a message that names the rule or field that failed.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.revocation = nil
    }

    /// Creates a ``Code/certificateRevoked`` error.
    public init(revoked revocation: CertificateRevocation, _ message: String) {
        self.code = .certificateRevoked
        self.message = message
        self.revocation = revocation
    }
}

/// Bounds on what WardenPKI reads, so that hostile input cannot make it allocate without limit.
public enum PKILimits {
    /// The largest file or byte buffer the parsers accept: 16 MiB, well above the largest CA bundle.
    public static let maximumInputSize = 16 * 1024 * 1024
}
