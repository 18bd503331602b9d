import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import WardenSPIFFE
import X509

/// `warden bundle diff OLD NEW`: what a rollover changes, for an operator in the middle of one.
struct BundleDiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show the authorities added and removed between two bundles.",
        discussion: "Exit status 0 whether or not they differ; 2 when a bundle cannot be read."
    )

    @Option(
        name: .customLong("trust-domain"),
        help: ArgumentHelp("The trust domain of the bundles, if they do not name it.", valueName: "td")
    )
    var trustDomain: TrustDomain?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The bundle before.", valueName: "old"))
    var old: String

    @Argument(help: ArgumentHelp("The bundle after.", valueName: "new"))
    var new: String

    struct Report: Encodable {
        struct Authority: Encodable, Hashable {
            let subject: String
            let notAfter: Date
            let sha256Fingerprint: String
        }
        struct Key: Encodable, Hashable {
            let kid: String
            let key: String
        }
        struct Changes: Encodable {
            let added: [Authority]
            let removed: [Authority]
            let unchanged: Int
        }
        struct KeyChanges: Encodable {
            let added: [Key]
            let removed: [Key]
            let unchanged: Int
        }
        let x509Authorities: Changes
        let jwtAuthorities: KeyChanges
    }

    func run() async throws {
        let before = try BundleInput.load(self.old, trustDomain: self.trustDomain, fallback: nil).bundle
        let after = try BundleInput.load(self.new, trustDomain: self.trustDomain, fallback: nil).bundle
        let oldAuthorities = try Set(before.x509Authorities.map(Self.authority))
        let newAuthorities = try Set(after.x509Authorities.map(Self.authority))
        let oldKeys = Set(before.jwtAuthorities.map { Report.Key(kid: $0.key, key: $0.value.description) })
        let newKeys = Set(after.jwtAuthorities.map { Report.Key(kid: $0.key, key: $0.value.description) })
        let order: (Report.Authority, Report.Authority) -> Bool = { $0.sha256Fingerprint < $1.sha256Fingerprint }
        let report = Report(
            x509Authorities: .init(
                added: newAuthorities.subtracting(oldAuthorities).sorted(by: order),
                removed: oldAuthorities.subtracting(newAuthorities).sorted(by: order),
                unchanged: oldAuthorities.intersection(newAuthorities).count
            ),
            jwtAuthorities: .init(
                added: newKeys.subtracting(oldKeys).sorted { $0.kid < $1.kid },
                removed: oldKeys.subtracting(newKeys).sorted { $0.kid < $1.kid },
                unchanged: oldKeys.intersection(newKeys).count
            )
        )
        if self.json {
            try Output.json(report)
            return
        }
        Output.line("\(self.old) -> \(self.new)")
        TextReport.field(
            "X.509 authorities",
            "\(report.x509Authorities.added.count) added, \(report.x509Authorities.removed.count) removed, \(report.x509Authorities.unchanged) unchanged"
        )
        for authority in report.x509Authorities.added {
            Output.line(
                "  + \(authority.subject), expires \(authority.notAfter.rfc3339), SHA-256 \(authority.sha256Fingerprint)"
            )
        }
        for authority in report.x509Authorities.removed {
            Output.line(
                "  - \(authority.subject), expires \(authority.notAfter.rfc3339), SHA-256 \(authority.sha256Fingerprint)"
            )
        }
        TextReport.field(
            "JWT authorities",
            "\(report.jwtAuthorities.added.count) added, \(report.jwtAuthorities.removed.count) removed, \(report.jwtAuthorities.unchanged) unchanged"
        )
        for key in report.jwtAuthorities.added { Output.line("  + \(key.kid): \(key.key)") }
        for key in report.jwtAuthorities.removed { Output.line("  - \(key.kid): \(key.key)") }
    }

    static func authority(_ certificate: Certificate) throws -> Report.Authority {
        let info = try CertificateInfo(certificate, derBytes: CertificateDecoder.derBytes(of: certificate))
        return Report.Authority(
            subject: info.subject,
            notAfter: info.validity.notAfter,
            sha256Fingerprint: info.sha256Fingerprint
        )
    }
}
