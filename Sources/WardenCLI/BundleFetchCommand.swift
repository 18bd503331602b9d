import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import WardenTrust
import X509

/// `warden bundle fetch URL`: one fetch from a SPIFFE bundle endpoint, with the checks and limits
/// `TrustBundleManager` uses.
struct BundleFetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch a trust domain's bundle from its SPIFFE bundle endpoint.",
        discussion: """
            The checks are those of Warden's bundle endpoint client: only 200 is accepted, no redirect is followed, \
            the body is at most 4 MiB, the exchange ends within --timeout, and the body must be a SPIFFE bundle.

            https_web verifies the endpoint's certificate and host name against the system roots, or --cacert. \
            https_spiffe verifies its X509-SVID against --bootstrap-bundle and requires the SPIFFE ID --endpoint-id.

            Exit status: 0 fetched; 1 the endpoint failed (unreachable, TLS or SPIFFE identity not verified, HTTP \
            status, body over the limit, timeout); 2 bad usage or a malformed bundle.
            """
    )

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case httpsWeb = "https_web"
        case httpsSPIFFE = "https_spiffe"
    }

    @Argument(help: ArgumentHelp("The bundle endpoint's https URL.", valueName: "url"))
    var url: String

    @Option(help: "How the endpoint proves who it is.")
    var profile: Profile = .httpsWeb

    @Option(
        name: .customLong("endpoint-id"),
        help: ArgumentHelp("The endpoint's SPIFFE ID (https_spiffe).", valueName: "spiffe-id")
    )
    var endpointID: String?

    @Option(
        name: .customLong("bootstrap-bundle"),
        help: ArgumentHelp(
            "The endpoint trust domain's authorities, PEM or a SPIFFE bundle (https_spiffe).",
            valueName: "file"
        )
    )
    var bootstrapBundle: String?

    @Option(
        name: .customLong("cacert"),
        help: ArgumentHelp("PEM CA certificates to use instead of the system roots (https_web).", valueName: "file")
    )
    var caCertificates: String?

    @Option(
        name: .customLong("trust-domain"),
        help: ArgumentHelp("The trust domain whose bundle the endpoint serves.", valueName: "td")
    )
    var trustDomain: TrustDomain

    @Option(help: ArgumentHelp("The longest the fetch may take, in seconds.", valueName: "seconds"))
    var timeout: Int = 10

    @Flag(help: "Print the SPIFFE bundle document instead of a summary.")
    var json = false

    @Option(help: ArgumentHelp("Also write the SPIFFE bundle document to this file.", valueName: "file"))
    var out: String?

    func validate() throws {
        switch self.profile {
        case .httpsWeb:
            guard self.endpointID == nil, self.bootstrapBundle == nil else {
                throw ValidationError("--endpoint-id and --bootstrap-bundle belong to --profile https_spiffe")
            }
        case .httpsSPIFFE:
            guard self.endpointID != nil, self.bootstrapBundle != nil else {
                throw ValidationError("--profile https_spiffe needs --endpoint-id and --bootstrap-bundle")
            }
            guard self.caCertificates == nil else {
                throw ValidationError("--cacert belongs to --profile https_web")
            }
        }
        guard (1...600).contains(self.timeout) else { throw ValidationError("--timeout is 1 to 600 seconds") }
    }

    func run() async throws {
        guard let url = URL(string: self.url) else { throw ValidationError("\(self.url) is not a URL") }
        let profile: BundleEndpointProfile
        switch self.profile {
        case .httpsWeb:
            var roots: [Certificate]?
            if let path = self.caCertificates {
                do {
                    roots = try CertificateDecoder.certificates(from: PKIFile.read(path))
                } catch {
                    throw Output.inputFailure(error, file: path)
                }
            }
            profile = .httpsWeb(trustRoots: roots)
        case .httpsSPIFFE:
            let endpointID: SPIFFEID
            do {
                endpointID = try SPIFFEID(self.endpointID!)
            } catch {
                throw ValidationError("--endpoint-id: \(error.message)")
            }
            let bootstrap = try BundleInput.load(
                self.bootstrapBundle!,
                trustDomain: endpointID.trustDomain,
                fallback: nil
            )
            profile = .httpsSPIFFE(endpointID: endpointID, bootstrapBundle: bootstrap.bundle.x509Bundle)
        }

        let bundle: SPIFFEBundle
        do {
            let source = try SPIFFEBundleEndpointSource(
                url: url,
                trustDomain: self.trustDomain,
                profile: profile,
                timeout: .seconds(self.timeout)
            )
            bundle = try await source.fetchBundle()
        } catch {
            Output.error("warden: \(error.code): \(error.message)")
            let usage: Set<TrustError.Code> = [.invalidEndpoint, .malformedBundle]
            throw ExitCode(usage.contains(error.code) ? ExitStatus.badInput : ExitStatus.rejected)
        }

        let document = bundle.jsonEncoded()
        if let out = self.out {
            do {
                try AtomicFile.write(Array((document + "\n").utf8), to: out, permissions: 0o644)
            } catch {
                Output.error("warden: \(out): \(error)")
                throw ExitCode(ExitStatus.badInput)
            }
        }
        if self.json {
            Output.line(document)
            return
        }
        Output.line("Bundle: \(self.url) (\(profile.name))")
        try BundleInspect.Report(
            bundle,
            format: .spiffeBundle,
            trustDomainIsKnown: true,
            skippedEntries: bundle.skippedEntries
        ).printText()
        if let out = self.out { TextReport.field("Written to", out) }
    }
}
