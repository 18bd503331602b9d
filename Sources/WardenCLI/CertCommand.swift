import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import X509

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Inspect and verify X.509 certificates.",
        subcommands: [CertInspect.self, CertVerify.self, CertNeedsRenewal.self]
    )
}

struct CertInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show every certificate in each file (PEM with any number of blocks, or DER)."
    )

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: "Certificate files.")
    var files: [String]

    func validate() throws {
        if self.files.isEmpty { throw ValidationError("give at least one certificate file") }
    }

    func run() async throws {
        var inspected: [InspectedCertificate] = []
        for file in self.files {
            do {
                let decoded = try CertificateDecoder.load(from: file)
                for (index, certificate) in decoded.enumerated() {
                    inspected.append(
                        InspectedCertificate(
                            file: file,
                            index: index + 1,
                            count: decoded.count,
                            info: try CertificateInfo(certificate)
                        )
                    )
                }
            } catch {
                throw Output.inputFailure(error, file: file)
            }
        }
        if self.json {
            try Output.json(inspected)
        } else {
            let now = Date()
            for (position, item) in inspected.enumerated() {
                if position > 0 { Output.line() }
                Output.line("\(item.file): certificate \(item.index) of \(item.count)")
                CertificateText.print(item.info, now: now)
            }
        }
    }
}

/// A certificate's inspection with the file and position it came from; JSON flattens them into one object.
struct InspectedCertificate: Encodable {
    let file: String
    let index: Int
    let count: Int
    let info: CertificateInfo

    private enum CodingKeys: String, CodingKey { case file, index }

    func encode(to encoder: any Encoder) throws {
        try self.info.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.file, forKey: .file)
        try container.encode(self.index, forKey: .index)
    }
}

enum CertificateText {
    static func print(_ info: CertificateInfo, now: Date) {
        let field = TextReport.field
        field("Subject", info.subject.isEmpty ? "(empty)" : info.subject)
        field("Issuer", info.issuer.isEmpty ? "(empty)" : info.issuer)
        field("Serial", info.serialNumber)
        field("Version", "\(info.version)")
        field("Not before", info.validity.notBefore.rfc3339)
        field("Not after", info.validity.notAfter.rfc3339 + "  (" + Self.expiry(info.validity, now: now) + ")")
        field("Public key", info.publicKey.description)
        field("Signature algorithm", info.signatureAlgorithm)
        field("SHA-256 fingerprint", info.sha256Fingerprint)
        field("Self-signed", info.isSelfSigned ? "yes" : (info.isSelfIssued ? "self-issued only" : "no"))
        if let constraints = info.basicConstraints {
            let path = constraints.pathLength.map { ", path length \($0)" } ?? ""
            field("Basic constraints", constraints.isCA ? "CA\(path)" : "not a CA")
        }
        if let usage = info.keyUsage { field("Key usage", usage.joined(separator: ", ")) }
        if let usage = info.extendedKeyUsage { field("Extended key usage", usage.joined(separator: ", ")) }
        TextReport.subjectAlternativeNames(info.subjectAlternativeNames)
        if let ski = info.subjectKeyIdentifier { field("Subject key ID", ski) }
        if let aki = info.authorityKeyIdentifier { field("Authority key ID", aki) }
        for ext in info.extensions {
            field("Extension", "\(ext.oid)\(ext.name.map { " \($0)" } ?? "")\(ext.critical ? " (critical)" : "")")
        }
    }

    static func expiry(_ validity: ValidityWindow, now: Date) -> String {
        if validity.isNotYetValid(at: now) { return "not yet valid" }
        let days = Int(validity.notAfter.timeIntervalSince(now) / 86_400)
        if validity.isExpired(at: now) { return "expired \(-days) days ago" }
        return "expires in \(days) days"
    }
}

struct CertVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a certificate chain against trusted roots.",
        discussion: "LEAF_FILE holds the leaf first; any certificates after it are used as intermediates."
    )

    @Option(help: ArgumentHelp("Trusted root certificates (PEM or DER).", valueName: "file"))
    var roots: String

    @Option(help: ArgumentHelp("Intermediate certificates (PEM or DER).", valueName: "file"))
    var intermediates: String?

    @Option(help: ArgumentHelp("Verification time, RFC 3339 (default: now).", valueName: "time"))
    var at: RFC3339Time?

    @Option(help: ArgumentHelp("The DNS name the leaf must be valid for.", valueName: "name"))
    var dns: String?

    @Option(help: ArgumentHelp("The IP address the leaf must be valid for.", valueName: "address"))
    var ip: String?

    @Option(help: ArgumentHelp("The email address the leaf must be valid for.", valueName: "address"))
    var email: String?

    @Option(help: ArgumentHelp("The extended key usage the leaf must allow: server or client.", valueName: "purpose"))
    var purpose: Purpose?

    @Option(
        name: .customLong("max-depth"),
        help: ArgumentHelp("The most intermediates in the path, not counting self-issued ones (default 8).")
    )
    var maxDepth: Int?

    @OptionGroup(title: "Revocation")
    var revocation: RevocationOptions

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The leaf certificate, optionally followed by intermediates.", valueName: "leaf-file"))
    var leafFile: String

    enum Purpose: String, ExpressibleByArgument, CaseIterable {
        case server
        case client

        var usage: ExtendedKeyUsage.Usage { self == .server ? .serverAuth : .clientAuth }
    }

    func validate() throws {
        if [self.dns, self.ip, self.email].compactMap({ $0 }).count > 1 {
            throw ValidationError("give at most one of --dns, --ip and --email")
        }
        if let maxDepth, maxDepth < 0 { throw ValidationError("--max-depth must be 0 or more") }
    }

    var peerName: PeerName? {
        if let dns { return .dns(dns) }
        if let ip { return .ipAddress(ip) }
        return self.email.map { .email($0) }
    }

    func run() async throws {
        let roots: [Certificate]
        var intermediates: [Certificate] = []
        let leaf: Certificate
        do {
            roots = try CertificateDecoder.load(from: self.roots).map(\.certificate)
        } catch { throw Output.inputFailure(error, file: self.roots) }
        if let file = self.intermediates {
            do {
                intermediates = try CertificateDecoder.load(from: file).map(\.certificate)
            } catch { throw Output.inputFailure(error, file: file) }
        }
        do {
            let presented = try CertificateDecoder.load(from: self.leafFile).map(\.certificate)
            leaf = presented[0]
            intermediates = Array(presented.dropFirst()) + intermediates
        } catch { throw Output.inputFailure(error, file: self.leafFile) }

        let time = self.at?.date ?? Date()
        let revocation = try await self.revocation.policy()
        var verified: VerifiedCertificateChain?
        var failure: PKIError?
        do {
            var limits = VerificationLimits.default
            if let maxDepth { limits.maximumIntermediates = maxDepth }
            verified = try await CertificateChainVerifier(roots: roots, limits: limits, revocation: revocation).verify(
                leaf: leaf,
                intermediates: intermediates,
                at: self.at?.date,
                peerName: self.peerName,
                extendedKeyUsage: self.purpose?.usage
            )
        } catch {
            failure = error
        }
        let report = VerifyReport(
            valid: verified != nil,
            error: failure.map {
                VerifyReport.ErrorBody(
                    code: $0.code.description,
                    message: $0.message,
                    revocation: $0.revocation.map(VerifyReport.Revocation.init)
                )
            },
            leaf: DistinguishedNameFormatter.string(from: leaf.subject),
            chain: verified?.certificates.map { DistinguishedNameFormatter.string(from: $0.subject) },
            revocation: revocation.checksRevocation
                ? verified?.revocationChecks.map(VerifyReport.RevocationStatus.init) : nil,
            verificationTime: time,
            dnsName: self.dns,
            ipAddress: self.ip,
            email: self.email,
            purpose: self.purpose?.rawValue
        )
        if self.json {
            try Output.json(report)
        } else if let chain = report.chain {
            Output.line("OK: \(self.leafFile) is valid at \(time.rfc3339)\(self.peerName.map { " for \($0)" } ?? "")")
            for (index, subject) in chain.enumerated() {
                Output.line("  \(index): \(subject.isEmpty ? "(empty subject)" : subject)")
            }
            for check in report.revocation ?? [] {
                let detail =
                    check.status == "good"
                    ? "not revoked, per \(check.source ?? "?")"
                    : "status UNKNOWN (accepted: --revocation soft): \(check.reason ?? "")"
                Output.line(
                    "  revocation of \(check.certificateIndex): \(detail)\(check.stale ? " (stale CRL, within grace)" : "")"
                )
            }
        } else if let error = failure {
            Output.error("FAILED: \(self.leafFile): \(error.code): \(error.message)")
        }
        if verified == nil { throw ExitCode(ExitStatus.rejected) }
    }
}

struct VerifyReport: Encodable {
    struct ErrorBody: Encodable {
        let code: String
        let message: String
        var revocation: Revocation? = nil

        private enum CodingKeys: String, CodingKey { case code, message, revocation }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.code, forKey: .code)
            try container.encode(self.message, forKey: .message)
            try container.encodeIfPresent(self.revocation, forKey: .revocation)
        }
    }

    /// A revoked certificate: which, when, why, and who said so.
    struct Revocation: Encodable {
        let certificateIndex: Int
        let serialNumber: String
        let revocationDate: Date
        let reason: String?
        let source: String

        init(_ revocation: CertificateRevocation) {
            self.certificateIndex = revocation.certificateIndex
            self.serialNumber = Hex.encode(revocation.serialNumber.bytes)
            self.revocationDate = revocation.revocationDate
            self.reason = revocation.reason?.description
            self.source = revocation.source
        }
    }

    /// The revocation status of one checked certificate of a verified chain.
    struct RevocationStatus: Encodable {
        let certificateIndex: Int
        let serialNumber: String
        /// `good` or `unknown` (accepted by a soft-fail policy).
        let status: String
        let source: String?
        let reason: String?
        let stale: Bool

        init(_ check: RevocationCheck) {
            self.certificateIndex = check.certificateIndex
            self.serialNumber = Hex.encode(check.serialNumber.bytes)
            switch check.status {
            case .good(let source, let stale):
                (self.status, self.source, self.reason, self.stale) = ("good", source, nil, stale)
            case .unknown(let reason):
                (self.status, self.source, self.reason, self.stale) = ("unknown", nil, reason, false)
            }
        }
    }

    let valid: Bool
    let error: ErrorBody?
    let leaf: String
    let chain: [String]?
    /// Present when revocation was checked: one status per checked certificate.
    let revocation: [RevocationStatus]?
    let verificationTime: Date
    let dnsName: String?
    let ipAddress: String?
    let email: String?
    let purpose: String?

    private enum CodingKeys: String, CodingKey {
        case valid, error, leaf, chain, revocation, verificationTime, dnsName, ipAddress, email, purpose
    }

    /// `error` and `chain` are always present (null when they do not apply), so that consumers see one shape.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.valid, forKey: .valid)
        try container.encode(self.error, forKey: .error)
        try container.encode(self.leaf, forKey: .leaf)
        try container.encode(self.chain, forKey: .chain)
        try container.encodeIfPresent(self.revocation, forKey: .revocation)
        try container.encode(self.verificationTime, forKey: .verificationTime)
        try container.encodeIfPresent(self.dnsName, forKey: .dnsName)
        try container.encodeIfPresent(self.ipAddress, forKey: .ipAddress)
        try container.encodeIfPresent(self.email, forKey: .email)
        try container.encodeIfPresent(self.purpose, forKey: .purpose)
    }
}
