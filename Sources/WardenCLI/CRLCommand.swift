import ArgumentParser
import Foundation
import WardenCore
import WardenCredentials
import WardenPKI
import WardenTrust
import X509

struct CRLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl",
        abstract: "Inspect certificate revocation lists.",
        subcommands: [CRLInspect.self]
    )
}

struct CRLInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a CRL: its issuer, numbers, dates and entries.",
        discussion: """
            FILE is PEM or DER. With --issuer, the CRL's signature is checked against that certificate: exit 1 when \
            it does not verify.
            """
    )

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Option(help: ArgumentHelp("The issuing CA's certificate, to check the CRL's signature.", valueName: "file"))
    var issuer: String?

    @Argument(help: ArgumentHelp("The CRL file.", valueName: "file"))
    var file: String

    func run() async throws {
        let crls: [CertificateRevocationList]
        do { crls = try CRLDecoder.load(from: self.file) } catch { throw Output.inputFailure(error, file: self.file) }
        var signatureFailure: PKIError?
        if let issuer {
            let certificate: Certificate
            do {
                certificate = try CertificateDecoder.load(from: issuer)[0].certificate
            } catch { throw Output.inputFailure(error, file: issuer) }
            for crl in crls {
                do { try crl.verifySignature(issuer: certificate) } catch { signatureFailure = error }
            }
        }
        let reports = crls.map { InspectedCRL($0, signatureValid: self.issuer == nil ? nil : signatureFailure == nil) }
        if self.json {
            try Output.json(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports))
        } else {
            for report in reports { report.print() }
        }
        if let signatureFailure {
            Output.error("FAILED: \(self.file): \(signatureFailure.code): \(signatureFailure.message)")
            throw ExitCode(ExitStatus.rejected)
        }
    }
}

struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try self.value.encode(to: encoder) }
}

/// What `warden crl inspect` reports about one CRL.
struct InspectedCRL: Encodable {
    struct Entry: Encodable {
        let serialNumber: String
        let revocationDate: Date
        let reason: String?
        let invalidityDate: Date?
    }

    let issuer: String
    let version: Int
    let crlNumber: String?
    let deltaCRLIndicator: String?
    let thisUpdate: Date
    let nextUpdate: Date?
    let signatureAlgorithm: String
    let signatureValid: Bool?
    let authorityKeyIdentifier: String?
    let distributionPoints: [String]?
    let onlyContainsUserCertificates: Bool?
    let onlyContainsCACertificates: Bool?
    let entryCount: Int
    let entries: [Entry]

    init(_ crl: CertificateRevocationList, signatureValid: Bool?) {
        self.issuer = DistinguishedNameFormatter.string(from: crl.issuer)
        self.version = crl.version
        self.crlNumber = crl.number?.description
        self.deltaCRLIndicator = crl.baseCRLNumber?.description
        self.thisUpdate = crl.thisUpdate
        self.nextUpdate = crl.nextUpdate
        self.signatureAlgorithm = ObjectIdentifierNames.signatureAlgorithmName(crl.signatureAlgorithm)
        self.signatureValid = signatureValid
        self.authorityKeyIdentifier = crl.authorityKeyIdentifier.map { Hex.encode($0, separator: UInt8(ascii: ":")) }
        self.distributionPoints = crl.issuingDistributionPoint?.distributionPointURIs
        self.onlyContainsUserCertificates = crl.issuingDistributionPoint?.onlyContainsUserCertificates
        self.onlyContainsCACertificates = crl.issuingDistributionPoint?.onlyContainsCACertificates
        self.entryCount = crl.revokedCertificates.count
        self.entries = crl.revokedCertificates.map {
            Entry(
                serialNumber: Hex.encode($0.serialNumber.bytes),
                revocationDate: $0.revocationDate,
                reason: $0.reason?.description,
                invalidityDate: $0.invalidityDate
            )
        }
    }

    func print() {
        Output.line(self.deltaCRLIndicator == nil ? "CRL" : "Delta CRL")
        TextReport.field("Issuer", self.issuer)
        TextReport.field("Version", "\(self.version)")
        if let crlNumber { TextReport.field("CRL number", crlNumber) }
        if let deltaCRLIndicator { TextReport.field("Base CRL number", deltaCRLIndicator) }
        TextReport.field("This update", self.thisUpdate.rfc3339)
        TextReport.field("Next update", self.nextUpdate?.rfc3339 ?? "(none)")
        TextReport.field("Signature", self.signatureAlgorithm)
        if let signatureValid { TextReport.field("Signature valid", signatureValid ? "yes" : "NO") }
        if let authorityKeyIdentifier { TextReport.field("Authority key ID", authorityKeyIdentifier) }
        if let distributionPoints { TextReport.field("Distribution point", distributionPoints.joined(separator: ", ")) }
        TextReport.field("Entries", "\(self.entryCount)")
        for entry in self.entries {
            Output.line(
                "    \(entry.serialNumber)  revoked \(entry.revocationDate.rfc3339)\(entry.reason.map { "  \($0)" } ?? "")"
            )
        }
    }

    private enum CodingKeys: String, CodingKey {
        case issuer, version, crlNumber, deltaCRLIndicator, thisUpdate, nextUpdate, signatureAlgorithm, signatureValid
        case authorityKeyIdentifier, distributionPoints, onlyContainsUserCertificates, onlyContainsCACertificates
        case entryCount, entries
    }

    /// Optional fields are present as null, so that consumers see one shape.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.issuer, forKey: .issuer)
        try container.encode(self.version, forKey: .version)
        try container.encode(self.crlNumber, forKey: .crlNumber)
        try container.encode(self.deltaCRLIndicator, forKey: .deltaCRLIndicator)
        try container.encode(self.thisUpdate, forKey: .thisUpdate)
        try container.encode(self.nextUpdate, forKey: .nextUpdate)
        try container.encode(self.signatureAlgorithm, forKey: .signatureAlgorithm)
        try container.encode(self.signatureValid, forKey: .signatureValid)
        try container.encode(self.authorityKeyIdentifier, forKey: .authorityKeyIdentifier)
        try container.encode(self.distributionPoints, forKey: .distributionPoints)
        try container.encode(self.onlyContainsUserCertificates, forKey: .onlyContainsUserCertificates)
        try container.encode(self.onlyContainsCACertificates, forKey: .onlyContainsCACertificates)
        try container.encode(self.entryCount, forKey: .entryCount)
        try container.encode(self.entries, forKey: .entries)
    }
}

/// The revocation options of `warden cert verify`.
struct RevocationOptions: ParsableArguments {
    @Option(
        name: .customLong("crl"),
        help: ArgumentHelp(
            "A CRL to check the chain against: a file (PEM or DER, a complete CRL and its delta may share one) or an http(s) URL. Repeatable.",
            valueName: "file-or-url"
        )
    )
    var crls: [String] = []

    @Flag(help: "Ask the OCSP responder each checked certificate names.")
    var ocsp = false

    @Option(
        help: ArgumentHelp(
            "When a certificate's status cannot be had: hard rejects (the default), soft accepts and says so.",
            valueName: "soft|hard"
        )
    )
    var revocation: FailureMode?

    @Option(
        name: .customLong("revocation-scope"),
        help: ArgumentHelp("Which certificates are checked: leaf (the default) or chain (all but the root).")
    )
    var scope: Scope = .leaf

    enum FailureMode: String, ExpressibleByArgument, CaseIterable {
        case soft
        case hard
    }

    enum Scope: String, ExpressibleByArgument, CaseIterable {
        case leaf
        case chain
    }

    func validate() throws {
        if self.revocation != nil && self.crls.isEmpty && !self.ocsp {
            throw ValidationError("--revocation needs --crl or --ocsp")
        }
    }

    /// The policy the options ask for, with every CRL read (files) or fetched (URLs).
    func policy() async throws -> RevocationPolicy {
        guard !self.crls.isEmpty || self.ocsp else { return .none }
        var all: [(CertificateRevocationList, String)] = []
        for location in self.crls {
            let lower = location.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                do {
                    let list = try await HTTPCRLSource(url: location).fetch().value
                    all.append((list.base, location))
                    if let delta = list.delta { all.append((delta, location)) }
                } catch { throw Output.inputFailure(error, file: location) }
            } else {
                do {
                    all += try CRLDecoder.load(from: location).map { ($0, location) }
                } catch { throw Output.inputFailure(error, file: location) }
            }
        }
        var lists: [RevocationList] = []
        let deltas = all.filter { $0.0.isDelta }
        for (base, location) in all where !base.isDelta {
            // A delta is used with the complete CRL it extends, when one was given.
            let delta = deltas.first { delta, _ in delta.extends(base) }
            do {
                lists.append(try RevocationList(base: base, delta: delta?.0, location: location))
            } catch { throw Output.inputFailure(error, file: location) }
        }
        return RevocationPolicy(
            revocationLists: self.crls.isEmpty ? nil : lists,
            ocsp: self.ocsp ? OCSPChecking(transport: HTTPOCSPRequester()) : nil,
            failureMode: self.revocation == .soft ? .softFail : .hardFail,
            scope: self.scope == .leaf ? .leaf : .wholeChain
        )
    }
}
