import ArgumentParser
import Foundation
import WardenCore
import WardenPKI

struct CSRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csr",
        abstract: "Create and inspect certificate signing requests (PKCS#10).",
        subcommands: [CSRCreate.self, CSRInspect.self]
    )
}

struct CSRCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a CSR signed by a private key, as PEM."
    )

    @Option(help: ArgumentHelp("The private key (PKCS#8, SEC 1 or PKCS#1 PEM).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("The subject as an RFC 4514 string, for example \"CN=svc,O=Example\".", valueName: "dn"))
    var subject: String = ""

    @Option(name: .customLong("dns"), help: ArgumentHelp("A DNS name SAN (repeatable).", valueName: "name"))
    var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: ArgumentHelp("An IP address SAN (repeatable).", valueName: "addr"))
    var ipAddresses: [String] = []

    @Option(
        name: .customLong("uri"),
        help: ArgumentHelp("A URI SAN, such as a SPIFFE ID (repeatable).", valueName: "uri")
    )
    var uris: [String] = []

    @Option(name: .customLong("email"), help: ArgumentHelp("An email SAN (repeatable).", valueName: "addr"))
    var emails: [String] = []

    @Option(help: ArgumentHelp("Write the CSR here instead of stdout.", valueName: "file"))
    var out: String?

    func run() async throws {
        let key: PrivateKey
        do {
            key = try PrivateKey.load(from: self.key)
        } catch { throw Output.inputFailure(error, file: self.key) }
        let pem: String
        do {
            var builder = try CSRBuilder(subject: self.subject)
            builder.dnsNames = self.dnsNames
            builder.ipAddresses = self.ipAddresses
            builder.uris = self.uris
            builder.emails = self.emails
            pem = try builder.pemEncoded(signingWith: key)
        } catch { throw Output.inputFailure(error) }
        if let out = self.out {
            do {
                try AtomicFile.write(Array(pem.utf8), to: out, permissions: 0o644)
            } catch { throw Output.inputFailure(error, file: out) }
        } else {
            print(pem, terminator: "")
        }
    }
}

struct CSRInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a CSR and whether its self-signature is valid (exit status 1 when it is not)."
    )

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The CSR (PEM or DER).", valueName: "file"))
    var file: String

    func run() async throws {
        let info: CSRInfo
        do {
            info = try CSRInfo(CSRDecoder.load(from: self.file))
        } catch { throw Output.inputFailure(error, file: self.file) }
        if self.json {
            try Output.json(info)
        } else {
            let field = TextReport.field
            Output.line("\(self.file): certificate signing request")
            field("Subject", info.subject.isEmpty ? "(empty)" : info.subject)
            field("Public key", info.publicKey.description)
            field("Signature algorithm", info.signatureAlgorithm)
            field("Signature", info.signatureValid ? "valid" : "INVALID")
            TextReport.subjectAlternativeNames(info.subjectAlternativeNames)
            if let usage = info.keyUsage { field("Key usage", usage.joined(separator: ", ")) }
            if let usage = info.extendedKeyUsage { field("Extended key usage", usage.joined(separator: ", ")) }
        }
        if !info.signatureValid {
            if !self.json {
                Output.error("warden: \(self.file): the CSR's signature does not verify with its public key")
            }
            throw ExitCode(ExitStatus.rejected)
        }
    }
}
