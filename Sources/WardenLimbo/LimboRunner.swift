import Foundation
import WardenPKI
import X509

/// Runs x509-limbo cases through ``CertificateChainVerifier`` with every feature it can express: DNS, IP and email
/// peer names, the extended key usage the case's kind implies (serverAuth for SERVER, clientAuth for CLIENT) or
/// lists, and a maximum chain depth.
enum LimboRunner {
    static let harness = "warden"

    /// Features this harness cannot express: a case that has one is SKIPPED, with why.
    static let unsupportedFeatures: [String: String] = [
        "has-crl": "CRLs are not checked yet",
        // RFC 5280 §4.2.1.12: a leaf without the extension may be used for any purpose, and anyExtendedKeyUsage
        // allows every one; the Web PKI's stricter reading is not Warden's default.
        "pedantic-webpki-eku": "Warden reads extended key usage as RFC 5280 does, not as the Web PKI's profile",
        "pedantic-public-suffix-wildcard": "Warden has no public suffix list",
        // RFC 5280 §6.1.1 (d): a trust anchor is its name and key; Warden does not hold it to a certificate profile.
        "pedantic-rfc5280": "Warden does not apply the certificate profile to trust anchors",
    ]

    static func run(_ suite: LimboSuite) async -> LimboResults {
        var results: [LimboResults.Result] = []
        for testcase in suite.testcases {
            results.append(await Self.run(testcase))
        }
        return LimboResults(version: 1, harness: Self.harness, results: results)
    }

    static func run(_ testcase: LimboCase) async -> LimboResults.Result {
        func result(_ actual: String, _ context: String?) -> LimboResults.Result {
            LimboResults.Result(id: testcase.id, actualResult: actual, context: context)
        }
        if let feature = testcase.features?.first(where: { Self.unsupportedFeatures[$0] != nil }) {
            return result("SKIPPED", Self.unsupportedFeatures[feature])
        }
        if !(testcase.keyUsage ?? []).isEmpty {
            return result("SKIPPED", "the verifier takes no required key usage")
        }
        let usages: [ExtendedKeyUsage.Usage]
        do { usages = try Self.extendedKeyUsages(testcase) } catch { return result("SKIPPED", "\(error)") }
        let peerNames: [PeerName]
        do { peerNames = try Self.peerNames(testcase) } catch { return result("SKIPPED", "\(error)") }
        var time = Date()
        if let text = testcase.validationTime {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions =
                text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            guard let parsed = formatter.date(from: text) else {
                return result("SKIPPED", "unreadable validation time \(text)")
            }
            // DER times are whole seconds (RFC 5280 §4.1.2.5): compare at the second the validation time falls in.
            time = Date(timeIntervalSince1970: parsed.timeIntervalSince1970.rounded(.down))
        }

        let roots: [Certificate]
        let intermediates: [Certificate]
        let leaf: Certificate
        do {
            roots = try testcase.trustedCerts.map { try Certificate(pemEncoded: $0) }
            intermediates = try testcase.untrustedIntermediates.map { try Certificate(pemEncoded: $0) }
            leaf = try Certificate(pemEncoded: testcase.peerCertificate)
        } catch {
            return result("FAILURE", "a certificate does not parse: \(error)")
        }
        var limits = VerificationLimits.default
        if let depth = testcase.maxChainDepth { limits.maximumIntermediates = depth }
        let verifier = CertificateChainVerifier(roots: roots, limits: limits)
        // One verification per name and usage: each must hold.
        for peerName in peerNames.isEmpty ? [nil] : peerNames.map(Optional.some) {
            for usage in usages {
                do {
                    _ = try await verifier.verify(
                        leaf: leaf,
                        intermediates: intermediates,
                        at: time,
                        peerName: peerName,
                        extendedKeyUsage: usage
                    )
                } catch {
                    return result("FAILURE", "\(error.code): \(error.message)")
                }
            }
        }
        return result("SUCCESS", nil)
    }

    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    static func extendedKeyUsages(_ testcase: LimboCase) throws -> [ExtendedKeyUsage.Usage] {
        let listed = testcase.extendedKeyUsage ?? []
        if listed.isEmpty { return [testcase.validationKind == "CLIENT" ? .clientAuth : .serverAuth] }
        return try listed.map { name in
            switch name {
            case "serverAuth": return .serverAuth
            case "clientAuth": return .clientAuth
            case "codeSigning": return .codeSigning
            case "emailProtection": return .emailProtection
            case "timeStamping": return .timeStamping
            case "OCSPSigning": return .ocspSigning
            case "anyExtendedKeyUsage": return .any
            default: throw Unsupported(description: "extended key usage \(name)")
            }
        }
    }

    static func peerNames(_ testcase: LimboCase) throws -> [PeerName] {
        let fields = (testcase.expectedPeerName.map { [$0] } ?? []) + (testcase.expectedPeerNames ?? [])
        return try fields.map { field in
            switch field.kind {
            case "DNS": return .dns(field.value)
            case "IP": return .ipAddress(field.value)
            case "RFC822": return .email(field.value)
            default: throw Unsupported(description: "peer name kind \(field.kind)")
            }
        }
    }
}
