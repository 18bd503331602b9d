import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

struct SVIDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svid",
        abstract: "Verify X509-SVIDs.",
        subcommands: [SVIDVerify.self]
    )
}

struct SVIDVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a presented X509-SVID chain against the bundle of its trust domain.",
        discussion: """
            BUNDLE is PEM CA certificates or a SPIFFE bundle (JWKS). Its trust domain is --trust-domain, else the one \
            its CA certificates name in a URI SAN, else the presented SVID's (with a note on stderr).
            """
    )

    @Option(help: ArgumentHelp("The trust bundle: PEM CA certificates or a SPIFFE bundle JWKS.", valueName: "file"))
    var bundle: String

    @Option(name: .customLong("trust-domain"), help: ArgumentHelp("The trust domain of the bundle.", valueName: "td"))
    var trustDomain: TrustDomain?

    @Option(help: ArgumentHelp("Verification time, RFC 3339 (default: now).", valueName: "time"))
    var at: RFC3339Time?

    @Option(help: ArgumentHelp("Allow only this SPIFFE ID, or members of this trust domain.", valueName: "id-or-td"))
    var authorize: AuthorizeArgument?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The presented chain, leaf first (PEM or DER).", valueName: "chain-file"))
    var chainFile: String

    func run() async throws {
        let chain: [Certificate]
        do { chain = try CertificateDecoder.load(from: self.chainFile).map(\.certificate) } catch {
            throw Output.inputFailure(error, file: self.chainFile)
        }
        let presented = (try? X509SVID.validateLeaf(chain[0]))?.trustDomain
        let input = try BundleInput.load(self.bundle, trustDomain: self.trustDomain, fallback: presented)
        if let note = input.assumptionNote(path: self.bundle) { Output.error(note) }
        let verifier = X509SVIDVerifier(bundles: SPIFFEBundleSet([input.bundle]))
        let result: Result<VerifiedX509SVID, SPIFFEError>
        do {
            result = .success(try verifier.verify(chain, at: self.at?.date, authorizer: self.authorize?.authorizer ?? .any))
        } catch {
            result = .failure(error)
        }
        let verified = try? result.get()
        let failure: SPIFFEError? = if case .failure(let error) = result { error } else { nil }
        if self.json {
            try Output.json(SVIDVerifyReport(
                valid: verified != nil, spiffeID: verified?.id.description ?? presented.flatMap { _ in try? X509SVID.validateLeaf(chain[0]).description },
                error: failure.map { VerifyReport.ErrorBody(code: $0.code.description, message: $0.message) },
                trustDomain: input.bundle.trustDomain.name,
                chain: verified?.chain.map { DistinguishedNameFormatter.string(from: $0.subject) }, claims: nil, includeClaims: false))
        } else if let verified {
            Output.line("OK: \(verified.id) (\(self.chainFile)) verified against the bundle of \(input.bundle.trustDomain)")
            for (index, certificate) in verified.chain.enumerated() {
                let subject = DistinguishedNameFormatter.string(from: certificate.subject)
                Output.line("  \(index): \(subject.isEmpty ? "(empty subject)" : subject)")
            }
        } else if let failure {
            Output.error("REJECTED: \(self.chainFile): \(failure.code): \(failure.message)")
        }
        if verified == nil { throw ExitCode(ExitStatus.rejected) }
    }
}

struct JWTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwt",
        abstract: "Verify and mint JWT-SVIDs.",
        subcommands: [JWTVerify.self, JWTMint.self]
    )
}

struct JWTVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a JWT-SVID against a SPIFFE bundle or a JWKS.",
        discussion: """
            The token is read from TOKEN_FILE, or from stdin when it is '-'; surrounding whitespace is ignored. The \
            bundle's trust domain is --trust-domain, else the one its CA certificates name, else the token's.
            """
    )

    @Option(help: ArgumentHelp("The keys: a SPIFFE bundle JWKS or a plain JWKS.", valueName: "file"))
    var bundle: String

    @Option(name: .customLong("trust-domain"), help: ArgumentHelp("The trust domain of the bundle.", valueName: "td"))
    var trustDomain: TrustDomain?

    @Option(help: ArgumentHelp("An audience this service accepts (repeatable; at least one).", valueName: "aud"))
    var audience: [String] = []

    @Option(help: ArgumentHelp("Verification time, RFC 3339 (default: now).", valueName: "time"))
    var at: RFC3339Time?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The file holding the token, or '-' for stdin.", valueName: "token-file"))
    var tokenFile: String

    func validate() throws {
        guard !self.audience.isEmpty else { throw ValidationError("Missing expected argument '--audience <aud>'") }
    }

    func run() async throws {
        let raw: Data?
        if self.tokenFile == "-" {
            raw = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            raw = FileManager.default.contents(atPath: self.tokenFile)
        }
        guard let raw else {
            Output.error("warden: \(self.tokenFile): cannot read the token")
            throw ExitCode(ExitStatus.badInput)
        }
        let token = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenTrustDomain = Self.unverifiedSubjectTrustDomain(token)
        let input = try BundleInput.load(self.bundle, trustDomain: self.trustDomain, fallback: tokenTrustDomain)
        if let note = input.assumptionNote(path: self.bundle) { Output.error(note) }
        var verified: JWTSVID?
        var failure: SPIFFEError?
        do {
            let verifier = try JWTSVIDVerifier(bundles: SPIFFEBundleSet([input.bundle]), audiences: Set(self.audience), cacheCapacity: 0)
            verified = try verifier.verify(token, at: self.at?.date, authorizer: .any)
        } catch {
            failure = error
        }
        if self.json {
            try Output.json(SVIDVerifyReport(
                valid: verified != nil, spiffeID: verified?.id.description,
                error: failure.map { VerifyReport.ErrorBody(code: $0.code.description, message: $0.message) },
                trustDomain: input.bundle.trustDomain.name, chain: nil, claims: verified?.claims, includeClaims: true))
        } else if let verified {
            Output.line("OK: \(verified.id) for [\(verified.audience.joined(separator: ", "))], expires \(verified.expiry.rfc3339)")
            for name in verified.claims.keys.sorted() {
                TextReport.field(name, verified.claims[name]!.description)
            }
        } else if let failure {
            Output.error("REJECTED: \(failure.code): \(failure.message)")
        }
        if verified == nil { throw ExitCode(ExitStatus.rejected) }
    }

    /// The trust domain of the token's `sub`, read without verifying anything, only to name the bundle's trust domain
    /// when nothing else does.
    static func unverifiedSubjectTrustDomain(_ token: String) -> TrustDomain? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        guard let data = Data(base64Encoded: payload),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let subject = object["sub"] as? String else { return nil }
        return (try? SPIFFEID(subject))?.trustDomain
    }
}

/// `--ttl`: `90s`, `5m`, `1h` or a number of seconds.
struct TTLArgument: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
        var text = Substring(argument)
        var multiplier: Int64 = 1
        if let last = text.last, let unit = units[last] {
            multiplier = unit
            text = text.dropLast()
        }
        guard let value = Int64(text), value > 0, value <= 86_400 * 366 / multiplier else { return nil }
        self.duration = .seconds(value * multiplier)
    }
}

struct JWTMint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mint",
        abstract: "Mint a JWT-SVID and print it.",
        discussion: "The algorithm follows from the key: ES256 (P-256), ES384 (P-384), RS256 (RSA), unless --algorithm says PS256/384/512 or RS384/512 for an RSA key."
    )

    @Option(help: ArgumentHelp("The signing key (PEM: PKCS#8, SEC 1 or PKCS#1).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("The key ID written into the header.", valueName: "kid"))
    var kid: String

    @Option(help: ArgumentHelp("The workload's SPIFFE ID.", valueName: "spiffe-id"))
    var sub: String

    @Option(help: ArgumentHelp("An audience (repeatable; at least one).", valueName: "aud"))
    var audience: [String] = []

    @Option(help: ArgumentHelp("Lifetime: 90s, 5m, 1h (default 5m).", valueName: "ttl"))
    var ttl: TTLArgument = TTLArgument(argument: "5m")!

    @Option(help: ArgumentHelp("The JWS algorithm, when the key allows several.", valueName: "alg"))
    var algorithm: String?

    func validate() throws {
        guard !self.audience.isEmpty else { throw ValidationError("Missing expected argument '--audience <aud>'") }
        guard (try? SPIFFEID(self.sub)) != nil else { throw ValidationError("--sub must be a SPIFFE ID, such as spiffe://example.org/workload") }
        if let algorithm, JWTAlgorithm(name: algorithm) == nil {
            throw ValidationError("--algorithm must be one of \(JWTAlgorithm.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let privateKey: PrivateKey
        do { privateKey = try PrivateKey.load(from: self.key) } catch { throw Output.inputFailure(error, file: self.key) }
        do {
            let signer = try JWTSigner(key: privateKey, keyID: self.kid, algorithm: self.algorithm.flatMap(JWTAlgorithm.init(name:)))
            let svid = try signer.mintSVID(subject: try SPIFFEID(self.sub), audience: self.audience, lifetime: self.ttl.duration)
            Output.line(svid.token.reveal())
        } catch let error as SPIFFEError {
            Output.error("warden: \(error.code): \(error.message)")
            throw ExitCode(ExitStatus.badInput)
        }
    }
}

struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Inspect trust bundles.",
        subcommands: [BundleInspect.self]
    )
}

struct BundleInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a bundle holds: PEM CA certificates, a SPIFFE bundle, or a JWKS."
    )

    @Option(name: .customLong("trust-domain"), help: ArgumentHelp("The trust domain of the bundle, if it does not name it.", valueName: "td"))
    var trustDomain: TrustDomain?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The bundle file.", valueName: "file"))
    var file: String

    struct Report: Encodable {
        struct Authority: Encodable {
            let subject: String
            let notAfter: Date
            let sha256Fingerprint: String
            let spiffeIDs: [String]
        }
        struct Key: Encodable {
            let kid: String
            let key: String
        }
        let format: BundleInput.Format
        let trustDomain: String?
        let sequenceNumber: UInt64?
        let refreshHintSeconds: Int64?
        let x509Authorities: [Authority]
        let jwtAuthorities: [Key]
        let skippedEntries: [String]

        private enum CodingKeys: String, CodingKey {
            case format, trustDomain, sequenceNumber, refreshHintSeconds, x509Authorities, jwtAuthorities, skippedEntries
        }

        /// Every member is present, null when it does not apply, so that consumers see one shape.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.format, forKey: .format)
            try container.encode(self.trustDomain, forKey: .trustDomain)
            try container.encode(self.sequenceNumber, forKey: .sequenceNumber)
            try container.encode(self.refreshHintSeconds, forKey: .refreshHintSeconds)
            try container.encode(self.x509Authorities, forKey: .x509Authorities)
            try container.encode(self.jwtAuthorities, forKey: .jwtAuthorities)
            try container.encode(self.skippedEntries, forKey: .skippedEntries)
        }
    }

    func run() async throws {
        let input = try BundleInput.load(self.file, trustDomain: self.trustDomain, fallback: nil)
        let bundle = input.bundle
        var authorities: [Report.Authority] = []
        for certificate in bundle.x509Authorities {
            let info = try CertificateInfo(certificate, derBytes: CertificateDecoder.derBytes(of: certificate))
            authorities.append(.init(
                subject: info.subject, notAfter: info.validity.notAfter, sha256Fingerprint: info.sha256Fingerprint,
                spiffeIDs: info.subjectAlternativeNames.uri.filter { $0.hasPrefix("spiffe://") }))
        }
        let report = Report(
            format: input.format, trustDomain: input.trustDomainSource == "unknown" ? nil : bundle.trustDomain.name,
            sequenceNumber: bundle.sequenceNumber, refreshHintSeconds: bundle.refreshHint?.components.seconds,
            x509Authorities: authorities,
            jwtAuthorities: bundle.jwtAuthorities.keys.sorted().map { .init(kid: $0, key: bundle.jwtAuthorities[$0]!.description) },
            skippedEntries: input.skippedEntries)
        if self.json {
            try Output.json(report)
            return
        }
        Output.line("Bundle: \(self.file) (\(input.format.rawValue))")
        TextReport.field("Trust domain", report.trustDomain ?? "not named (pass --trust-domain)")
        if let sequence = report.sequenceNumber { TextReport.field("Sequence", "\(sequence)") }
        if let hint = report.refreshHintSeconds { TextReport.field("Refresh hint", "\(hint) s") }
        TextReport.field("X.509 authorities", "\(authorities.count)")
        for authority in authorities {
            Output.line("    \(authority.subject.isEmpty ? "(empty subject)" : authority.subject), expires \(authority.notAfter.rfc3339)")
            Output.line("      SHA-256 \(authority.sha256Fingerprint)")
        }
        TextReport.field("JWT authorities", "\(report.jwtAuthorities.count)")
        for key in report.jwtAuthorities { Output.line("    \(key.kid): \(key.key)") }
        for skipped in input.skippedEntries { Output.line("  skipped: \(skipped)") }
    }
}
