import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Inspect, compare and fetch trust bundles.",
        subcommands: [BundleInspect.self, BundleDiff.self, BundleFetch.self]
    )
}

struct BundleInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a bundle holds: PEM CA certificates, a SPIFFE bundle, or a JWKS."
    )

    @Option(
        name: .customLong("trust-domain"),
        help: ArgumentHelp("The trust domain of the bundle, if it does not name it.", valueName: "td")
    )
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
            case format, trustDomain, sequenceNumber, refreshHintSeconds, x509Authorities, jwtAuthorities,
                skippedEntries
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
        let report = try Report(
            input.bundle,
            format: input.format,
            trustDomainIsKnown: input.trustDomainSource != "unknown",
            skippedEntries: input.skippedEntries
        )
        if self.json {
            try Output.json(report)
            return
        }
        Output.line("Bundle: \(self.file) (\(input.format.rawValue))")
        report.printText()
    }
}

extension BundleInspect.Report {
    init(_ bundle: SPIFFEBundle, format: BundleInput.Format, trustDomainIsKnown: Bool, skippedEntries: [String]) throws
    {
        var authorities: [Authority] = []
        for certificate in bundle.x509Authorities {
            let info = try CertificateInfo(certificate, derBytes: CertificateDecoder.derBytes(of: certificate))
            authorities.append(
                .init(
                    subject: info.subject,
                    notAfter: info.validity.notAfter,
                    sha256Fingerprint: info.sha256Fingerprint,
                    spiffeIDs: info.subjectAlternativeNames.uri.filter { $0.hasPrefix("spiffe://") }
                )
            )
        }
        self.init(
            format: format,
            trustDomain: trustDomainIsKnown ? bundle.trustDomain.name : nil,
            sequenceNumber: bundle.sequenceNumber,
            refreshHintSeconds: bundle.refreshHint?.components.seconds,
            x509Authorities: authorities,
            jwtAuthorities: bundle.jwtAuthorities.keys.sorted().map {
                .init(kid: $0, key: bundle.jwtAuthorities[$0]!.description)
            },
            skippedEntries: skippedEntries
        )
    }

    /// The text form, under a heading line the command prints first.
    func printText() {
        TextReport.field("Trust domain", self.trustDomain ?? "not named (pass --trust-domain)")
        if let sequence = self.sequenceNumber { TextReport.field("Sequence", "\(sequence)") }
        if let hint = self.refreshHintSeconds { TextReport.field("Refresh hint", "\(hint) s") }
        TextReport.field("X.509 authorities", "\(self.x509Authorities.count)")
        for authority in self.x509Authorities {
            Output.line(
                "    \(authority.subject.isEmpty ? "(empty subject)" : authority.subject), expires \(authority.notAfter.rfc3339)"
            )
            Output.line("      SHA-256 \(authority.sha256Fingerprint)")
        }
        TextReport.field("JWT authorities", "\(self.jwtAuthorities.count)")
        for key in self.jwtAuthorities { Output.line("    \(key.kid): \(key.key)") }
        for skipped in self.skippedEntries { Output.line("  skipped: \(skipped)") }
    }
}
