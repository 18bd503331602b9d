import Crypto
import Foundation
import WardenCore
import WardenPKI
import WardenPrometheus
import X509

#if canImport(Glibc)
import Glibc
#endif

/// What `warden scan` found, target by target: certificates, chains and bundles (PEM, DER, SPIFFE bundles and JWKS
/// with `x5c`), private keys (PKCS#8, SEC 1, PKCS#1, encrypted or not) and CSRs in files and directories, and the
/// chains TLS endpoints present.
///
/// Directories are walked without following a symbolic link to a directory, and a linked file is read only when it
/// resolves inside the directory given; a file larger than `PKILimits.maximumInputSize` is reported and skipped, as
/// is one that cannot be read. Files that hold nothing Warden recognises are passed over silently.
struct IdentityScanner {
    let thresholds: ScanThresholds
    let now: Date

    private(set) var findings: [ScanFinding] = []
    private(set) var failures: [ScanFailure] = []
    /// Public keys of the certificates found, with where, to match keys against once the walk is done.
    private var certificateKeys: [(Certificate.PublicKey, String)] = []
    /// Keys found, with the index of their finding.
    private var keys: [(PrivateKey, Int)] = []
    /// The file being read, for the certificates found in it; nil while an endpoint's chain is added.
    private var currentFile: String?

    init(thresholds: ScanThresholds, now: Date = Date()) {
        self.thresholds = thresholds
        self.now = now
    }

    /// The most files one walk reads, so that a hostile tree cannot keep the scan going forever.
    static let maximumFiles = 1_000_000

    mutating func scan(path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            self.failures.append(ScanFailure(location: path, error: String(cString: strerror(errno))))
            return
        }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            let root = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            self.walk(directory: path, root: root, budget: Self.maximumFiles)
        } else {
            self.scanFile(path, status: status, root: nil)
        }
    }

    private mutating func walk(directory: String, root: String, budget: Int) {
        var pending = [directory]
        var remaining = budget
        while let current = pending.popLast() {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: current).sorted()
            } catch {
                self.failures.append(
                    ScanFailure(location: current, error: "cannot list: \(error.localizedDescription)")
                )
                continue
            }
            for name in names {
                let path = current.hasSuffix("/") ? current + name : current + "/" + name
                var status = stat()
                guard lstat(path, &status) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(path)
                case S_IFREG:
                    remaining -= 1
                    guard remaining >= 0 else {
                        self.failures.append(ScanFailure(location: directory, error: "more than \(budget) files"))
                        return
                    }
                    self.scanFile(path, status: status, root: root)
                case S_IFLNK:
                    // A link is followed only to a regular file inside the directory given: never out of it, and
                    // never to a directory (which is how a walk loops).
                    let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                    var targetStatus = stat()
                    guard target.hasPrefix(root + "/"), stat(target, &targetStatus) == 0,
                        (targetStatus.st_mode & S_IFMT) == S_IFREG
                    else { continue }
                    self.scanFile(path, status: targetStatus, root: root)
                default:
                    continue
                }
            }
        }
    }

    private mutating func scanFile(_ path: String, status: stat, root: String?) {
        guard (status.st_mode & S_IFMT) == S_IFREG else { return }
        self.currentFile = path
        defer { self.currentFile = nil }
        guard Int(status.st_size) <= PKILimits.maximumInputSize else {
            self.failures.append(
                ScanFailure(location: path, error: "larger than \(PKILimits.maximumInputSize) bytes; skipped")
            )
            return
        }
        let bytes: [UInt8]
        do { bytes = try PKIFile.read(path) } catch {
            self.failures.append(ScanFailure(location: path, error: error.message))
            return
        }
        let mode = status.st_mode
        if PEM.looksLikePEM(bytes) {
            self.scanPEM(bytes, path: path, mode: mode)
        } else if bytes.first == UInt8(ascii: "{") {
            self.scanBundle(bytes, path: path)
        } else if bytes.first == 0x30 {
            self.scanDER(bytes, path: path, mode: mode)
        }
    }

    private mutating func scanPEM(_ bytes: [UInt8], path: String, mode: mode_t) {
        let blocks: [PEMBlock]
        do {
            blocks = try PEM.decode(bytes)
        } catch let error as PKIError where error.code == .pemEncrypted {
            // A legacy encrypted key (Proc-Type: 4,ENCRYPTED).
            self.addEncryptedKey(path: path, mode: mode)
            return
        } catch {
            self.failures.append(ScanFailure(location: path, error: (error as? PKIError)?.message ?? "\(error)"))
            return
        }
        for (index, block) in blocks.enumerated() {
            let location = blocks.count == 1 ? path : "\(path)#\(index + 1)"
            switch block.kind {
            case .certificate:
                self.addCertificate(block.derBytes, location: location)
            case .certificateSigningRequest:
                self.addCSR(block.derBytes, location: location)
            case .encryptedPrivateKey:
                self.addEncryptedKey(path: location, mode: mode)
            case .pkcs8PrivateKey, .sec1PrivateKey, .pkcs1PrivateKey:
                self.addKey(try? PrivateKey(pemBlock: block), location: location, mode: mode)
            default:
                continue
            }
        }
    }

    private mutating func scanDER(_ bytes: [UInt8], path: String, mode: mode_t) {
        if (try? CertificateDecoder.certificate(derEncoded: bytes)) != nil || LegacyCertificateReader.read(bytes) != nil
        {
            self.addCertificate(bytes, location: path)
        } else if (try? CSRDecoder.decode(bytes)) != nil {
            self.addCSR(bytes, location: path)
        } else if let key = try? PrivateKey(derEncoded: bytes) {
            self.addKey(key, location: path, mode: mode)
        }
    }

    /// A SPIFFE bundle or JWKS: one bundle finding, and each `x5c` certificate as a certificate finding.
    private mutating func scanBundle(_ bytes: [UInt8], path: String) {
        // The strict reader: duplicate members, deep nesting and trailing bytes make it not a bundle.
        guard let document = try? JSONValue(parsing: bytes), let keys = document["keys"]?.arrayValue else { return }
        var bundle = ScanFinding(location: path, kind: .bundle)
        bundle.subject = "\(keys.count) keys"
        self.findings.append(bundle)
        for (index, key) in keys.enumerated() {
            for (position, encoded) in (key["x5c"]?.arrayValue ?? []).enumerated() {
                guard let der = encoded.stringValue.flatMap({ Data(base64Encoded: $0) }) else { continue }
                self.addCertificate(Array(der), location: "\(path)#keys[\(index)].x5c[\(position)]")
            }
        }
    }

    private mutating func addCertificate(_ der: [UInt8], location: String) {
        guard let info = try? CertificateInfo(derEncoded: der),
            let certificate = try? CertificateDecoder.certificate(derEncoded: der)
        else {
            self.addLegacyCertificate(der, location: location)
            return
        }
        var finding = ScanFinding(location: location, kind: .certificate)
        finding.subject = info.subject
        finding.issuer = info.issuer
        finding.serial = info.serialNumber
        finding.spiffeID = info.subjectAlternativeNames.uri.first { $0.lowercased().hasPrefix("spiffe://") }
        finding.dnsNames = info.subjectAlternativeNames.dns
        finding.keyType = info.publicKey.description
        finding.keyBits = info.publicKey.bits
        finding.fingerprintSHA256 = info.sha256Fingerprint
        finding.observation = CertificateObservation(
            location: location,
            filePath: self.currentFile,
            certificate: certificate
        )
        let algorithm = info.signatureAlgorithm.lowercased()
        self.judge(
            &finding,
            notBefore: info.validity.notBefore,
            notAfter: info.validity.notAfter,
            key: info.publicKey,
            weakSignature: algorithm.contains("sha1") || algorithm.contains("md5"),
            isCA: info.basicConstraints?.isCA ?? false,
            isSelfSigned: info.isSelfSigned
        )
        self.findings.append(finding)
        self.certificateKeys.append((certificate.publicKey, location))
    }

    /// A certificate swift-certificates will not load (an RSA key below 2048 bits): reported from its DER fields.
    /// Self-signed is judged by name (self-issued): the signature of such a key is not checked.
    private mutating func addLegacyCertificate(_ der: [UInt8], location: String) {
        guard let summary = LegacyCertificateReader.read(der) else {
            self.failures.append(ScanFailure(location: location, error: "not a well-formed certificate"))
            return
        }
        var finding = ScanFinding(location: location, kind: .certificate)
        finding.subject = summary.subject
        finding.issuer = summary.issuer
        finding.serial = summary.serial
        finding.keyType = summary.keyType
        finding.keyBits = summary.keyBits
        finding.fingerprintSHA256 = summary.fingerprint
        finding.observation = CertificateObservation(
            location: location,
            filePath: self.currentFile,
            subject: summary.subjectName,
            issuer: summary.issuerName,
            serialNumber: summary.serialBytes,
            notBefore: summary.notBefore,
            notAfter: summary.notAfter
        )
        let weakSignatures: Set<String> = ["1.2.840.113549.1.1.5", "1.2.840.113549.1.1.4", "1.2.840.10045.4.1"]
        let algorithm = summary.keyType.hasPrefix("RSA") ? "RSA" : summary.keyType
        self.judge(
            &finding,
            notBefore: summary.notBefore,
            notAfter: summary.notAfter,
            key: PublicKeyInfo(algorithm: algorithm, curve: nil, bits: summary.keyBits),
            weakSignature: weakSignatures.contains(summary.signatureAlgorithmOID),
            isCA: summary.isCA,
            isSelfSigned: summary.isSelfIssued
        )
        self.findings.append(finding)
    }

    /// The chain an endpoint presented, leaf first: a finding per certificate, and on the leaf's, whether the chain
    /// leads to an authority (`chain-incomplete`) and whether the leaf names the endpoint (`hostname-mismatch`).
    mutating func add(chain: [[UInt8]], of endpoint: TLSEndpoint, roots: [Certificate]) {
        let leafIndex = self.findings.count
        for (index, der) in chain.enumerated() {
            self.addCertificate(
                der,
                location: chain.count == 1 ? endpoint.location : "\(endpoint.location)#\(index + 1)"
            )
        }
        guard leafIndex < self.findings.count, self.findings[leafIndex].kind == .certificate else { return }
        let certificates = chain.compactMap { try? CertificateDecoder.certificate(derEncoded: $0) }
        // A leaf swift-certificates will not load (a sub-2048-bit RSA key) is reported without these two checks.
        guard certificates.count == chain.count, let leaf = certificates.first else { return }
        if !Self.leadsToAnAuthority(certificates, roots: roots) {
            self.findings[leafIndex].problems.append(.chainIncomplete)
        }
        let reference = endpoint.serverName.map { PeerName.dns($0) } ?? .ipAddress(endpoint.host)
        do { try PeerNameRule.check(leaf, against: reference) } catch {
            self.findings[leafIndex].problems.append(.hostnameMismatch)
        }
    }

    /// Whether each certificate's issuer is the next one presented, up to one that signs itself or one a trusted root
    /// signed. Validity and usage are not judged here: they have their own problem codes.
    static func leadsToAnAuthority(_ chain: [Certificate], roots: [Certificate]) -> Bool {
        func signed(_ certificate: Certificate, by issuer: Certificate) -> Bool {
            issuer.subject == certificate.issuer
                && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
        }
        guard var current = chain.first else { return false }
        var presented = Array(chain.dropFirst())
        while true {
            if signed(current, by: current) || roots.contains(where: { signed(current, by: $0) }) { return true }
            guard let next = presented.firstIndex(where: { signed(current, by: $0) }) else { return false }
            current = presented.remove(at: next)
        }
    }

    /// An endpoint that could not be scanned: reported, and the scan goes on.
    mutating func addFailure(location: String, error: String) {
        self.failures.append(ScanFailure(location: location, error: error))
    }

    /// The problem codes of a certificate, by ``ScanThresholds``.
    private func judge(
        _ finding: inout ScanFinding,
        notBefore: Date,
        notAfter: Date,
        key: PublicKeyInfo,
        weakSignature: Bool,
        isCA: Bool,
        isSelfSigned: Bool
    ) {
        finding.notBefore = notBefore
        finding.notAfter = notAfter
        finding.secondsLeft = Int(notAfter.timeIntervalSince(self.now).rounded(.down))
        var problems: [ScanFinding.Problem] = []
        if notAfter < self.now {
            problems.append(.expired)
        } else if notAfter.timeIntervalSince(self.now) < self.thresholds.expiresWithin.timeInterval {
            problems.append(.expiresSoon)
        }
        if notBefore > self.now { problems.append(.notYetValid) }
        if self.isWeak(key) { problems.append(.weakKey) }
        if weakSignature { problems.append(.sha1Signature) }
        if !isCA && isSelfSigned { problems.append(.selfSignedLeaf) }
        if !isCA, notAfter.timeIntervalSince(notBefore) > self.thresholds.maximumLifetime.timeInterval {
            problems.append(.longLifetime)
        }
        finding.problems = problems
    }

    private mutating func addCSR(_ der: [UInt8], location: String) {
        guard let request = try? CSRDecoder.decode(der), let info = try? CSRInfo(request) else {
            self.failures.append(ScanFailure(location: location, error: "not a well-formed CSR"))
            return
        }
        var finding = ScanFinding(location: location, kind: .csr)
        finding.subject = info.subject
        finding.spiffeID = info.subjectAlternativeNames.uri.first { $0.lowercased().hasPrefix("spiffe://") }
        finding.dnsNames = info.subjectAlternativeNames.dns
        finding.keyType = info.publicKey.description
        finding.keyBits = info.publicKey.bits
        if self.isWeak(info.publicKey) { finding.problems.append(.weakKey) }
        self.findings.append(finding)
    }

    private mutating func addKey(_ key: PrivateKey?, location: String, mode: mode_t) {
        var finding = ScanFinding(location: location, kind: .privateKey)
        if let key {
            let info = PublicKeyInfo(key.publicKey)
            finding.keyType = info.description
            finding.keyBits = info.bits
            // Of the public key: the same for the key and its certificate's SubjectPublicKeyInfo.
            finding.fingerprintSHA256 = Hex.encode(
                Array(SHA256.hash(data: key.subjectPublicKeyInfoDER)),
                separator: UInt8(ascii: ":")
            )
            if self.isWeak(info) { finding.problems.append(.weakKey) }
            self.keys.append((key, self.findings.count))
        }
        if mode & 0o077 != 0 { finding.problems.append(.keyReadableByOthers) }
        self.findings.append(finding)
    }

    private mutating func addEncryptedKey(path: String, mode: mode_t) {
        var finding = ScanFinding(location: path, kind: .privateKey)
        finding.encrypted = true
        if mode & 0o077 != 0 { finding.problems.append(.keyReadableByOthers) }
        self.findings.append(finding)
    }

    private func isWeak(_ key: PublicKeyInfo) -> Bool {
        switch key.algorithm {
        case "RSA": key.bits < self.thresholds.minimumRSABits
        case "EC": key.bits < 256
        default: false
        }
    }

    /// Matches each key with the certificate it belongs to; one without is `key-without-certificate`.
    mutating func finish() {
        for (key, index) in self.keys {
            if let match = self.certificateKeys.first(where: { key.matches($0.0) }) {
                self.findings[index].certificateLocation = match.1
            } else {
                self.findings[index].problems.append(.keyWithoutCertificate)
            }
        }
    }
}
