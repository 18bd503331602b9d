import Foundation
import Testing
import WardenCore
import WardenPKI
import WardenTestServers
import WardenTestSupport
import X509

/// CRLs made by `openssl ca -gencrl` and `openssl crl -gendelta`, read by Warden and compared with what `openssl crl
/// -text` and `openssl verify -crl_check` say about them.
@Suite(.enabled(if: ExternalTool.openssl.shouldRun, "openssl is not installed (Scripts/test.sh installs it)"))
struct CertificateRevocationListTests {
    static func read(_ path: String) throws -> [UInt8] { try PKIFile.read(path) }

    static func certificate(_ path: String) throws -> Certificate {
        try #require(CertificateDecoder.certificates(from: Self.read(path)).first)
    }

    /// `Serial Number: 1000` / `X509v3 CRL Reason Code:` lines of `openssl crl -text`, in order.
    static func opensslEntries(_ path: String) throws -> [(serial: String, reason: String?)] {
        let text = try OpenSSLCertificateAuthority.openssl(["crl", "-in", path, "-noout", "-text"])
        var entries: [(serial: String, reason: String?)] = []
        var lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.makeIterator()
        while let line = lines.next() {
            if line.hasPrefix("Serial Number: ") {
                entries.append((String(line.dropFirst("Serial Number: ".count)), nil))
            } else if line == "X509v3 CRL Reason Code:", let reason = lines.next(), !entries.isEmpty {
                entries[entries.count - 1].reason = reason
            }
        }
        return entries
    }

    static func opensslField(_ path: String, _ flag: String) throws -> String {
        let output = try OpenSSLCertificateAuthority.openssl([
            "crl", "-in", path, "-noout", flag, "-dateopt", "iso_8601",
        ])
        return String(output.split(separator: "=", maxSplits: 1).last ?? "").trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    /// OpenSSL's reason names, as `openssl crl -text` prints them.
    static let opensslReasonNames: [String: String] = [
        "keyCompromise": "Key Compromise", "cACompromise": "CA Compromise", "affiliationChanged": "Affiliation Changed",
        "superseded": "Superseded", "cessationOfOperation": "Cessation Of Operation",
        "certificateHold": "Certificate Hold", "unspecified": "Unspecified",
    ]

    @Test func aCRLFromOpenSSLAgreesWithOpenSSLText() throws {
        let ca = try OpenSSLCertificateAuthority(name: "CRL Test CA")
        let reasons: [String?] = ["keyCompromise", "superseded", nil, "cessationOfOperation", "affiliationChanged"]
        for (index, reason) in reasons.enumerated() {
            try ca.revoke(try ca.issue("leaf \(index)"), reason: reason)
        }
        try ca.issue("still good")
        let path = try ca.generateCRL("crl.pem")
        let crl = try CRLDecoder.crl(from: Self.read(path))
        try crl.verifySignature(issuer: Self.certificate(ca.certificatePath))

        #expect(crl.version == 2)
        #expect(DistinguishedNameFormatter.string(from: crl.issuer) == "CN=CRL Test CA")
        #expect(crl.number == CRLNumber(1))
        let dates = ISO8601DateFormatter()
        let lastUpdate = try Self.opensslField(path, "-lastupdate").replacingOccurrences(of: " ", with: "T")
        let nextUpdate = try Self.opensslField(path, "-nextupdate").replacingOccurrences(of: " ", with: "T")
        #expect(crl.thisUpdate == dates.date(from: lastUpdate))
        #expect(crl.nextUpdate == dates.date(from: nextUpdate))
        #expect(crl.authorityKeyIdentifier?.isEmpty == false)

        let theirs = try Self.opensslEntries(path)
        #expect(theirs.count == reasons.count)
        #expect(crl.revokedCertificates.count == theirs.count)
        for (entry, their) in zip(crl.revokedCertificates, theirs) {
            #expect(Hex.encode(entry.serialNumber.bytes) == their.serial)
            #expect(entry.reason.flatMap { Self.opensslReasonNames[$0.description] } == their.reason)
        }
        let good = try Self.certificate(ca.directory.file("still-good.pem"))
        #expect(crl.revokedCertificate(serialNumber: good.serialNumber) == nil)
        let revoked = try Self.certificate(ca.directory.file("leaf-0.pem"))
        #expect(crl.revokedCertificate(serialNumber: revoked.serialNumber)?.reason == .keyCompromise)
    }

    @Test func aDeltaCRLFromOpenSSLIsUsedOnlyWithItsBase() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "Delta CA")
        let early = try ca.issue("early")
        let late = try ca.issue("late")
        try ca.revoke(early, reason: "keyCompromise")
        let base = try ca.generateCRL("base.pem", lastUpdate: "20261101000000Z", nextUpdate: "20361101000000Z")
        try ca.revoke(late, reason: "superseded")
        let newer = try ca.generateCRL("newer.pem")
        let delta = try ca.generateDelta("delta.pem", new: newer, old: base)

        let baseCRL = try CRLDecoder.crl(from: Self.read(base))
        let deltaCRL = try CRLDecoder.crl(from: Self.read(delta))
        let newerCRL = try CRLDecoder.crl(from: Self.read(newer))
        #expect(deltaCRL.isDelta)
        #expect(deltaCRL.baseCRLNumber == baseCRL.number)
        #expect(
            try Self.opensslEntries(delta).map(\.serial)
                == deltaCRL.revokedCertificates.map { Hex.encode($0.serialNumber.bytes) }
        )

        let list = try RevocationList(base: baseCRL, delta: deltaCRL, location: base)
        let lateCertificate = try Self.certificate(late)
        let earlyCertificate = try Self.certificate(early)
        #expect(list.revokedCertificate(serialNumber: lateCertificate.serialNumber)?.reason == .superseded)
        #expect(list.revokedCertificate(serialNumber: earlyCertificate.serialNumber)?.reason == .keyCompromise)
        #expect(baseCRL.revokedCertificate(serialNumber: lateCertificate.serialNumber) == nil)

        // A delta is never used alone, nor with a complete CRL as new as itself.
        #expect(throws: PKIError(.malformedCRL, "")) { try RevocationList(base: deltaCRL, location: delta) }
        #expect(throws: PKIError(.malformedCRL, "")) {
            try RevocationList(base: newerCRL, delta: deltaCRL, location: newer)
        }
        // The one rule every pairing uses (the command line, Vault's CRL, the engine's sources).
        #expect(deltaCRL.extends(baseCRL))
        #expect(!deltaCRL.extends(newerCRL), "the complete list as new as the delta already has it")
        #expect(!deltaCRL.extends(deltaCRL), "a delta extends a complete list only")
        #expect(!baseCRL.extends(baseCRL), "a complete list extends nothing")

        let root = try Self.certificate(ca.certificatePath)
        let verifier = CertificateChainVerifier(
            roots: [root],
            revocation: .crl(from: [list], failureMode: .hardFail)
        )
        await #expect(throws: PKIError(.certificateRevoked, "")) {
            try await verifier.verify(leaf: lateCertificate)
        }
    }

    /// Warden's verdicts with scope `.leaf` and `.wholeChain` against `openssl verify -crl_check` and
    /// `-crl_check_all`, on a root, an intermediate and leaves, with the intermediate or a leaf revoked.
    @Test func verdictsAgreeWithOpenSSLVerifyCRLCheck() async throws {
        let root = try OpenSSLCertificateAuthority(name: "Verdict Root")
        let intermediate = try OpenSSLCertificateAuthority(name: "Verdict Intermediate", parent: root)
        let goodLeaf = try intermediate.issue("good leaf")
        let revokedLeaf = try intermediate.issue("revoked leaf")
        try intermediate.revoke(revokedLeaf, reason: "keyCompromise")
        let intermediateCRL = try intermediate.generateCRL("intermediate-crl.pem")
        let rootCleanCRL = try root.generateCRL("root-clean.pem")
        try root.revoke(intermediate.certificatePath, reason: "cACompromise")
        let rootRevokedCRL = try root.generateCRL("root-revoked.pem")

        let rootCertificate = try Self.certificate(root.certificatePath)
        let intermediateCertificate = try Self.certificate(intermediate.certificatePath)
        for (rootCRL, intermediateRevoked) in [(rootCleanCRL, false)] + [(rootRevokedCRL, true)] {
            let crlBundle = try intermediate.directory.write(
                "crls-\(intermediateRevoked).pem",
                String(decoding: try Self.read(intermediateCRL) + Self.read(rootCRL), as: UTF8.self)
            )
            let lists = try [
                RevocationList(base: CRLDecoder.crl(from: Self.read(intermediateCRL)), location: intermediateCRL),
                RevocationList(base: CRLDecoder.crl(from: Self.read(rootCRL)), location: rootCRL),
            ]
            for leafPath in [goodLeaf, revokedLeaf] {
                for (flag, scope) in [("-crl_check", RevocationPolicy.Scope.leaf), ("-crl_check_all", .wholeChain)] {
                    let theirs = try Subprocess.run(
                        try ExternalTool.openssl.require(),
                        [
                            "verify", flag, "-CAfile", root.certificatePath, "-untrusted", intermediate.certificatePath,
                            "-CRLfile", crlBundle, leafPath,
                        ]
                    )
                    let verifier = CertificateChainVerifier(
                        roots: [rootCertificate],
                        revocation: .crl(from: lists, failureMode: .hardFail, scope: scope)
                    )
                    var ours = true
                    var code: PKIError.Code?
                    do {
                        _ = try await verifier.verify(
                            leaf: Self.certificate(leafPath),
                            intermediates: [intermediateCertificate]
                        )
                    } catch {
                        ours = false
                        code = (error as? PKIError)?.code
                    }
                    #expect(
                        ours == (theirs.status == 0),
                        "\(leafPath) \(flag) intermediate revoked: \(intermediateRevoked); openssl: \(theirs.stdout) \(theirs.stderr); warden: \(code.map { "\($0)" } ?? "ok")"
                    )
                    if !ours { #expect(code == .certificateRevoked) }
                }
            }
        }
    }

    @Test func aRevokedLeafIsRejectedWithItsSerialDateReasonAndSource() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "Reason CA")
        let leafPath = try ca.issue("revoked")
        try ca.revoke(leafPath, reason: "keyCompromise")
        let crlPath = try ca.generateCRL("crl.pem")
        let crl = try CRLDecoder.crl(from: Self.read(crlPath))
        let leaf = try Self.certificate(leafPath)
        let verifier = CertificateChainVerifier(
            roots: [try Self.certificate(ca.certificatePath)],
            revocation: .crl(from: [try RevocationList(base: crl, location: crlPath)], failureMode: .softFail)
        )
        do {
            _ = try await verifier.verify(leaf: leaf, peerName: .dns("leaf.example"))
            Issue.record("a revoked leaf verified")
        } catch {
            #expect(error.code == .certificateRevoked)
            let revocation = try #require(error.revocation)
            #expect(revocation.serialNumber == leaf.serialNumber)
            #expect(revocation.reason == .keyCompromise)
            #expect(revocation.revocationDate == crl.revokedCertificates[0].revocationDate)
            #expect(revocation.source.contains(crlPath))
            #expect(error.message.contains("keyCompromise"))
            #expect(error.message.contains(Hex.encode(leaf.serialNumber.bytes, separator: UInt8(ascii: ":"))))
        }
    }

    @Test func staleListsAreUsedWithinGraceAndThenThePolicyDecides() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "Stale CA")
        let leafPath = try ca.issue("good")
        let crlPath = try ca.generateCRL(
            "crl.pem",
            lastUpdate: OpenSSLCertificateAuthority.generalizedTime(Date().addingTimeInterval(-86_400)),
            nextUpdate: OpenSSLCertificateAuthority.generalizedTime(Date().addingTimeInterval(86_400))
        )
        let list = try RevocationList(base: CRLDecoder.crl(from: Self.read(crlPath)), location: crlPath)
        let leaf = try Self.certificate(leafPath)
        let root = try Self.certificate(ca.certificatePath)
        let nextUpdate = try #require(list.nextUpdate)

        func verifier(_ mode: RevocationPolicy.FailureMode) -> CertificateChainVerifier {
            CertificateChainVerifier(roots: [root], revocation: .crl(from: [list], failureMode: mode))
        }
        // Within the hour of grace: accepted, and said to be stale.
        let withinGrace = try await verifier(.hardFail).verify(leaf: leaf, at: nextUpdate.addingTimeInterval(1800))
        #expect(withinGrace.revocationChecks.first?.status == .good(source: list.description, stale: true))
        // Past it: hard-fail rejects, soft-fail accepts and records why.
        let past = nextUpdate.addingTimeInterval(7200)
        await #expect(throws: PKIError(.revocationStatusUnknown, "")) {
            try await verifier(.hardFail).verify(leaf: leaf, at: past)
        }
        let soft = try await verifier(.softFail).verify(leaf: leaf, at: past)
        guard case .unknown(let reason)? = soft.revocationChecks.first?.status else {
            Issue.record("soft-fail did not record the unknown status")
            return
        }
        #expect(reason.contains("stale"))
        #expect(!soft.isRevocationStatusKnown)
    }

    @Test func aListFromAnotherIssuerGivesNoStatus() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "Same Name CA")
        let impostor = try OpenSSLCertificateAuthority(name: "Same Name CA")
        let leaf = try Self.certificate(try ca.issue("leaf"))
        let forged = try CRLDecoder.crl(from: Self.read(try impostor.generateCRL("forged.pem")))
        // Same issuer name, another key: the signature check refuses it.
        #expect(throws: PKIError(.invalidSignature, "")) {
            try forged.verifySignature(issuer: Self.certificate(ca.certificatePath))
        }
        let other = try OpenSSLCertificateAuthority(name: "Other CA")
        #expect(throws: PKIError(.crlIssuerMismatch, "")) {
            try forged.verifySignature(issuer: Self.certificate(other.certificatePath))
        }
        let verifier = CertificateChainVerifier(
            roots: [try Self.certificate(ca.certificatePath)],
            revocation: .crl(from: [try RevocationList(base: forged, location: "forged")], failureMode: .hardFail)
        )
        await #expect(throws: PKIError(.revocationStatusUnknown, "")) { try await verifier.verify(leaf: leaf) }
    }

    @Test func hostileCRLsGetTypedErrors() throws {
        let ca = try OpenSSLCertificateAuthority(name: "Hostile CA")
        for index in 0..<3 { try ca.revoke(try ca.issue("leaf \(index)"), reason: "keyCompromise") }
        let der = try PEM.decode(Self.read(try ca.generateCRL("crl.pem")))[0].derBytes
        let crl = try CertificateRevocationList(derEncoded: der)
        let issuer = try Self.certificate(ca.certificatePath)

        // Truncated at every length: typed, never a crash.
        for length in stride(from: 0, to: der.count, by: 7) {
            #expect(throws: PKIError.self) { try CertificateRevocationList(derEncoded: Array(der.prefix(length))) }
        }
        // A flipped bit in the signature: parses, does not verify.
        var tampered = der
        tampered[tampered.count - 3] ^= 0x01
        #expect(throws: PKIError(.invalidSignature, "")) {
            try CertificateRevocationList(derEncoded: tampered).verifySignature(issuer: issuer)
        }
        // Trailing bytes.
        #expect(throws: PKIError(.malformedCRL, "")) { try CertificateRevocationList(derEncoded: der + [0]) }
        // The entry limit is enforced before entries are decoded, and the size limit before anything.
        #expect(throws: PKIError(.inputTooLarge, "")) {
            try CertificateRevocationList(derEncoded: der, limits: CRLLimits(maximumEntries: 2))
        }
        #expect(throws: PKIError(.inputTooLarge, "")) {
            try CertificateRevocationList(derEncoded: der, limits: CRLLimits(maximumSize: der.count - 1))
        }
        // Mutated bytes: every outcome is a list or a typed error.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var mutated = der
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(
                    in: 0...255,
                    using: &generator
                )
            }
            _ = try? CertificateRevocationList(derEncoded: mutated)
        }
        #expect(crl.revokedCertificates.count == 3)
    }

    @Test func aCriticalExtensionWardenDoesNotProcessIsRefused() throws {
        let ca = try OpenSSLCertificateAuthority(
            name: "Critical CA",
            crlExtensions: "authorityKeyIdentifier = keyid:always\n1.3.6.1.4.1.55555.1 = critical,DER:05:00"
        )
        let path = try ca.generateCRL("crl.pem")
        #expect(throws: PKIError(.unhandledCriticalExtension, "")) { try CRLDecoder.crl(from: Self.read(path)) }
    }

    @Test func aListWhoseNextUpdateHasPassedIsStaleAtParseAndRefusedPastGrace() async throws {
        let ca = try OpenSSLCertificateAuthority(name: "Past CA")
        let leaf = try Self.certificate(try ca.issue("leaf"))
        let path = try ca.generateCRL("crl.pem", lastUpdate: "20200101000000Z", nextUpdate: "20200108000000Z")
        let crl = try CRLDecoder.crl(from: Self.read(path))
        #expect(crl.nextUpdate.map { $0 < Date() } == true)
        let verifier = CertificateChainVerifier(
            roots: [try Self.certificate(ca.certificatePath)],
            revocation: .crl(from: [try RevocationList(base: crl, location: path)], failureMode: .hardFail)
        )
        do {
            _ = try await verifier.verify(leaf: leaf)
            Issue.record("a stale CRL gave a status")
        } catch {
            #expect(error.code == .revocationStatusUnknown)
            #expect(error.message.contains("stale"))
        }
    }

    @Test func aPartitionedCRLCoversOnlyCertificatesNamingItsDistributionPoint() throws {
        let ca = try OpenSSLCertificateAuthority(
            name: "Partition CA",
            crlExtensions:
                "authorityKeyIdentifier = keyid:always\nissuingDistributionPoint = critical,@idp\n[ idp ]\nfullname = URI:http://crl.example/part1.crl\nonlyuser = TRUE"
        )
        let path = try ca.generateCRL("crl.pem")
        let crl = try CRLDecoder.crl(from: Self.read(path))
        #expect(crl.issuingDistributionPoint?.distributionPointURIs == ["http://crl.example/part1.crl"])
        #expect(crl.issuingDistributionPoint?.onlyContainsUserCertificates == true)
        let leaf = try Self.certificate(try ca.issue("leaf"))
        // The leaf names no distribution point, so this partition does not cover it.
        #expect(!crl.covers(leaf))
        #expect(!crl.covers(try Self.certificate(ca.certificatePath)))
    }
}
