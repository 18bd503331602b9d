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
            result = .success(
                try verifier.verify(chain, at: self.at?.date, authorizer: self.authorize?.authorizer ?? .any)
            )
        } catch {
            result = .failure(error)
        }
        let verified = try? result.get()
        let failure: SPIFFEError? = if case .failure(let error) = result { error } else { nil }
        if self.json {
            try Output.json(
                SVIDVerifyReport(
                    valid: verified != nil,
                    spiffeID: verified?.id.description
                        ?? presented.flatMap { _ in try? X509SVID.validateLeaf(chain[0]).description },
                    error: failure.map { VerifyReport.ErrorBody(code: $0.code.description, message: $0.message) },
                    trustDomain: input.bundle.trustDomain.name,
                    chain: verified?.chain.map { DistinguishedNameFormatter.string(from: $0.subject) },
                    claims: nil,
                    includeClaims: false
                )
            )
        } else if let verified {
            Output.line(
                "OK: \(verified.id) (\(self.chainFile)) verified against the bundle of \(input.bundle.trustDomain)"
            )
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
