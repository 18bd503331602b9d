public import WardenPKI
public import X509

/// A certificate chain and its private key, as served by ``CertificateFileSource``: an X509-SVID, a TLS identity.
///
/// The description names the leaf's subject and expiry, never the key.
public struct CertificateAndKey: Sendable, CustomStringConvertible {
    /// The chain, leaf first.
    public let chain: [Certificate]
    /// The private key of the leaf.
    public let privateKey: PrivateKey
    /// The trust bundle read beside them, if one was configured.
    public let bundle: [Certificate]

    /// The leaf certificate.
    public var leaf: Certificate { self.chain[0] }

    /// Creates a value; `chain` must not be empty.
    public init(chain: [Certificate], privateKey: PrivateKey, bundle: [Certificate] = []) {
        precondition(!chain.isEmpty, "a certificate chain needs its leaf")
        self.chain = chain
        self.privateKey = privateKey
        self.bundle = bundle
    }

    /// `CertificateAndKey(leaf: <subject>, expires: <date>, chain: n)`.
    public var description: String {
        let subject = DistinguishedNameFormatter.string(from: self.leaf.subject)
        return
            "CertificateAndKey(leaf: \(subject.isEmpty ? "(empty subject)" : subject), expires: \(self.leaf.notValidAfter), chain: \(self.chain.count), key: \(self.privateKey.type))"
    }
}
