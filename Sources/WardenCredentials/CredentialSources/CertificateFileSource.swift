import Foundation
public import WardenCore
import WardenPKI
import X509

/// A certificate and key (and optionally a trust bundle) that another agent writes to disk: spiffe-helper,
/// cert-manager's CSI driver, a Vault Agent template.
///
/// The files are re-read every `rereadInterval`, which picks up both atomic renames and in-place writes. A read that
/// finds a torn write (a file that does not parse, or a key that does not match the certificate) is retried after
/// `settleTime`, a few times, before the fetch fails; the provider then keeps serving the previous pair. A key that
/// does not match its certificate is never handed out. The credential expires with the leaf certificate.
public struct CertificateFileSource: CredentialSource {
    public typealias Value = CertificateAndKey

    /// `file:` and the certificate path.
    public let name: String
    /// The PEM (or DER) file holding the chain, leaf first.
    public let certificatePath: String
    /// The private key file (PKCS#8, SEC 1 or PKCS#1 PEM).
    public let keyPath: String
    /// The trust bundle file, if any.
    public let bundlePath: String?
    /// How often the files are re-read.
    public let rereadInterval: Duration
    /// How long to wait before reading again after a torn write.
    public let settleTime: Duration
    /// How many times a torn write is read again before the fetch fails.
    public let settleAttempts: Int
    private let clock: any WardenClock

    /// Creates a source for the given files.
    public init(
        certificatePath: String,
        keyPath: String,
        bundlePath: String? = nil,
        rereadInterval: Duration = .seconds(5),
        settleTime: Duration = .milliseconds(200),
        settleAttempts: Int = 3,
        clock: any WardenClock = SystemClock()
    ) {
        self.name = "file:\(certificatePath)"
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.bundlePath = bundlePath
        self.rereadInterval = rereadInterval
        self.settleTime = settleTime
        self.settleAttempts = max(1, settleAttempts)
        self.clock = clock
    }

    /// Reads the files, waiting out a torn write.
    ///
    /// - Throws: ``CredentialsError`` with ``CredentialsError/Code/invalidCredential`` when the key does not match
    ///   the certificate, or ``CredentialsError/Code/sourceFailed`` carrying the message of the `PKIError` of a file
    ///   that does not read or parse; never a `PKIError` itself.
    public func fetch() async throws -> Credential<CertificateAndKey> {
        var attempt = 1
        while true {
            do {
                return try self.read()
            } catch {
                guard attempt < self.settleAttempts else { throw error }
                attempt += 1
                try await self.clock.sleep(for: self.settleTime)
            }
        }
    }

    private func read() throws -> Credential<CertificateAndKey> {
        let decoded: [CertificateDecoder.Decoded]
        let key: PrivateKey
        let fingerprint: String
        var bundle: [Certificate] = []
        do {
            decoded = try CertificateDecoder.load(from: self.certificatePath)
            key = try PrivateKey.load(from: self.keyPath)
            if let bundlePath { bundle = try CertificateDecoder.load(from: bundlePath).map(\.certificate) }
            fingerprint = try CertificateInfo(decoded[0]).sha256Fingerprint
        } catch let error as PKIError {
            throw CredentialsError(.sourceFailed, "\(self.name): \(error.message)")
        }
        let leaf = decoded[0]
        guard key.matches(leaf.certificate.publicKey) else {
            throw CredentialsError(
                .invalidCredential,
                "the key in \(self.keyPath) does not match the certificate in \(self.certificatePath) (a write in progress, or mismatched files)"
            )
        }
        return Credential(
            value: CertificateAndKey(chain: decoded.map(\.certificate), privateKey: key, bundle: bundle),
            issuedAt: leaf.certificate.notValidBefore,
            expiresAt: leaf.certificate.notValidAfter,
            refreshHint: self.clock.now.addingTimeInterval(self.rereadInterval.timeInterval),
            metadata: CredentialMetadata(sourceName: self.name, kind: "x509-certificate", identifier: fingerprint)
        )
    }
}
