import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

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
        var verified: VerifiedJWTSVID?
        var failure: SPIFFEError?
        do {
            let verifier = try JWTSVIDVerifier(
                bundles: SPIFFEBundleSet([input.bundle]),
                audiences: Set(self.audience),
                cacheCapacity: 0
            )
            verified = try verifier.verify(token, at: self.at?.date, authorizer: .any)
        } catch {
            failure = error
        }
        if self.json {
            try Output.json(
                SVIDVerifyReport(
                    valid: verified != nil,
                    spiffeID: verified?.id.description,
                    error: failure.map { VerifyReport.ErrorBody(code: $0.code.description, message: $0.message) },
                    trustDomain: input.bundle.trustDomain.name,
                    chain: nil,
                    claims: verified?.claims,
                    includeClaims: true
                )
            )
        } else if let verified {
            Output.line(
                "OK: \(verified.id) for [\(verified.audience.joined(separator: ", "))], expires \(verified.expiry.rfc3339)"
            )
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
            let subject = (try? JSONValue(parsing: Array(data)))?["sub"]?.stringValue
        else { return nil }
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
        discussion:
            "The algorithm follows from the key: ES256 (P-256), ES384 (P-384), RS256 (RSA), unless --algorithm says PS256/384/512 or RS384/512 for an RSA key."
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
        guard (try? SPIFFEID(self.sub)) != nil else {
            throw ValidationError("--sub must be a SPIFFE ID, such as spiffe://example.org/workload")
        }
        if let algorithm, JWTAlgorithm(name: algorithm) == nil {
            throw ValidationError("--algorithm must be one of \(JWTAlgorithm.all.map(\.name).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let privateKey: PrivateKey
        do { privateKey = try PrivateKey.load(from: self.key) } catch {
            throw Output.inputFailure(error, file: self.key)
        }
        do {
            let signer = try JWTSigner(
                key: privateKey,
                keyID: self.kid,
                algorithm: self.algorithm.flatMap(JWTAlgorithm.init(name:))
            )
            let svid = try signer.mintSVID(
                subject: try SPIFFEID(self.sub),
                audience: self.audience,
                lifetime: self.ttl.duration
            )
            Output.line(svid.token.reveal())
        } catch let error as SPIFFEError {
            Output.error("warden: \(error.code): \(error.message)")
            throw ExitCode(ExitStatus.badInput)
        }
    }
}
