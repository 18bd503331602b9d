import Foundation
import Logging
import SwiftASN1
import Synchronization
import WardenCore
@_spi(FixedExpiryValidationTime) import X509

/// Applies a ``RevocationPolicy`` to a chain ``CertificateChainVerifier`` has verified.
struct RevocationChecker {
    let policy: RevocationPolicy

    private enum Finding {
        case revoked(CertificateRevocation)
        case good(source: String, stale: Bool)
        case unknown(String)
    }

    func check(_ chain: [Certificate], at time: Date, fixedTime: Bool) async throws(PKIError) -> [RevocationCheck] {
        guard chain.count > 1 else { return [] }
        let indices = self.policy.scope == .leaf ? 0..<1 : 0..<(chain.count - 1)
        let lists = self.policy.revocationLists?.currentRevocationLists() ?? []
        var checks: [RevocationCheck] = []
        for index in indices {
            let certificate = chain[index]
            let issuer = chain[index + 1]
            var findings: [Finding] = []
            if self.policy.revocationLists != nil {
                findings.append(self.crlFinding(certificate, issuer: issuer, index: index, lists: lists, at: time))
            }
            if let ocsp = self.policy.ocsp, !findings.contains(where: { if case .revoked = $0 { true } else { false } })
            {
                findings.append(
                    await self.ocspFinding(
                        certificate,
                        issuer: issuer,
                        index: index,
                        ocsp: ocsp,
                        at: time,
                        fixedTime: fixedTime
                    )
                )
            }
            checks.append(try self.decide(findings, certificate: certificate, index: index))
        }
        return checks
    }

    /// The CRL half alone, synchronously: for TLS verification callbacks, which cannot wait for a responder.
    func checkRevocationLists(_ chain: [Certificate], at time: Date) throws(PKIError) -> [RevocationCheck] {
        guard chain.count > 1 else { return [] }
        let indices = self.policy.scope == .leaf ? 0..<1 : 0..<(chain.count - 1)
        let lists = self.policy.revocationLists?.currentRevocationLists() ?? []
        var checks: [RevocationCheck] = []
        for index in indices {
            let finding = self.crlFinding(chain[index], issuer: chain[index + 1], index: index, lists: lists, at: time)
            checks.append(try self.decide([finding], certificate: chain[index], index: index))
        }
        return checks
    }

    /// A revoked finding throws; a good one is the status; without either, the failure mode decides.
    private func decide(_ findings: [Finding], certificate: Certificate, index: Int) throws(PKIError) -> RevocationCheck
    {
        let name = CertificateNaming.name(certificate, at: index)
        if case .revoked(let revocation)? = findings.first(where: { if case .revoked = $0 { true } else { false } }) {
            let reason = revocation.reason.map { " (\($0))" } ?? ""
            throw PKIError(
                revoked: revocation,
                "\(name), serial \(Hex.encode(revocation.serialNumber.bytes, separator: UInt8(ascii: ":"))), was revoked at \(CertificateNaming.format(revocation.revocationDate))\(reason), per \(revocation.source)"
            )
        }
        if case .good(let source, let stale)? = findings.first(where: { if case .good = $0 { true } else { false } }
        ) {
            if stale {
                self.policy.logger.warning(
                    "revocation status from a stale CRL, within the grace period",
                    metadata: ["certificate": "\(name)", "source": "\(source)"]
                )
            }
            return RevocationCheck(
                certificateIndex: index,
                serialNumber: certificate.serialNumber,
                status: .good(source: source, stale: stale)
            )
        }
        let reasons = findings.compactMap { if case .unknown(let reason) = $0 { reason } else { nil } }
            .joined(separator: "; ")
        switch self.policy.failureMode {
        case .hardFail:
            throw PKIError(
                .revocationStatusUnknown,
                "the revocation status of \(name), serial \(Hex.encode(certificate.serialNumber.bytes, separator: UInt8(ascii: ":"))), is unknown: \(reasons)"
            )
        case .softFail:
            self.policy.logger.warning(
                "revocation status unknown; accepted because the policy is soft-fail",
                metadata: ["certificate": "\(name)", "reason": "\(reasons)"]
            )
            return RevocationCheck(
                certificateIndex: index,
                serialNumber: certificate.serialNumber,
                status: .unknown(reason: reasons)
            )
        }
    }

    private func crlFinding(
        _ certificate: Certificate,
        issuer: Certificate,
        index: Int,
        lists: [RevocationList],
        at time: Date
    ) -> Finding {
        var reasons: [String] = []
        var best: Finding?
        let grace = self.policy.staleGrace.timeInterval
        for list in lists where list.issuer == certificate.issuer {
            do {
                try list.verifySignatures(issuer: issuer)
            } catch {
                reasons.append(error.message)
                continue
            }
            guard list.base.covers(certificate) else {
                reasons.append("\(list) does not cover it (issuing distribution point)")
                continue
            }
            guard list.base.thisUpdate <= time.addingTimeInterval(60) else {
                reasons.append("\(list) is not valid until \(CertificateNaming.format(list.base.thisUpdate))")
                continue
            }
            let nextUpdate = list.nextUpdate ?? list.base.thisUpdate
            let stale = nextUpdate < time
            guard nextUpdate.addingTimeInterval(grace) >= time else {
                reasons.append("\(list) is stale: its next update was due at \(CertificateNaming.format(nextUpdate))")
                continue
            }
            if let entry = list.revokedCertificate(serialNumber: certificate.serialNumber) {
                return .revoked(
                    CertificateRevocation(
                        certificateIndex: index,
                        serialNumber: certificate.serialNumber,
                        revocationDate: entry.revocationDate,
                        reason: entry.reason,
                        source: list.description
                    )
                )
            }
            if best == nil || !stale { best = .good(source: list.description, stale: stale) }
        }
        if let best { return best }
        if reasons.isEmpty {
            let issuerName = DistinguishedNameFormatter.string(from: certificate.issuer)
            reasons.append("no CRL of '\(issuerName)' is configured")
        }
        return .unknown(reasons.joined(separator: "; "))
    }

    private func ocspFinding(
        _ certificate: Certificate,
        issuer: Certificate,
        index: Int,
        ocsp: OCSPChecking,
        at time: Date,
        fixedTime: Bool
    ) async -> Finding {
        let key = OCSPResponseCache.Key(
            issuer: issuer,
            serialNumber: certificate.serialNumber
        )
        if let answer = ocsp.cache.answer(for: key, at: time) {
            return Self.finding(answer, certificate: certificate, index: index)
        }
        let recorder = RecordingOCSPRequester(transport: ocsp.transport)
        // swift-certificates' OCSP policy runs inside a `Verifier` (its chain type cannot be made directly), on the
        // two-certificate path the response is about; the path itself was verified already.
        var verifier = Verifier(rootCertificates: CertificateStore([issuer])) {
            HandledExtensionsPolicy()
            if fixedTime {
                OCSPVerifierPolicy(failureMode: .hard, requester: recorder, fixedExpiryValidationTime: time)
            } else {
                OCSPVerifierPolicy(failureMode: .hard, requester: recorder)
            }
        }
        let result: PolicyEvaluationResult
        switch await verifier.validate(leaf: certificate, intermediates: CertificateStore()) {
        case .validCertificate:
            result = .meetsPolicy
        case .couldNotValidate(let failures):
            result = .failsToMeetPolicy(
                reason: failures.first.map { "\($0.policyFailureReason)" } ?? "the OCSP check found no path"
            )
        }
        guard let (uri, bytes) = recorder.response else {
            switch result {
            case .meetsPolicy: return .unknown("it names no OCSP responder")
            case .failsToMeetPolicy(let reason): return .unknown("OCSP: \(reason)")
            }
        }
        guard let answer = OCSPResponseReader.answer(in: bytes, serialNumber: certificate.serialNumber, responder: uri)
        else {
            return .unknown("OCSP responder \(uri) sent no answer for the certificate")
        }
        let accepted: Bool
        switch result {
        case .meetsPolicy:
            accepted = true
        case .failsToMeetPolicy(let reason):
            // swift-certificates refuses a two-certificate chain whose issuer names a responder, as it would a root
            // that does; here the issuer is the checked certificate's issuer, not the anchor, and its own check
            // comes next in a whole-chain scope.
            if reason.description == "root certificate is not allowed to have an OCSP URI" {
                accepted = true
            } else if case .revoked = answer.status, reason.description.hasPrefix("revoked through OCSP") {
                accepted = true
            } else {
                return .unknown("OCSP responder \(uri): \(reason)")
            }
        }
        guard accepted else { return .unknown("OCSP responder \(uri) gave no usable answer") }
        ocsp.cache.insert(answer, for: key, at: time)
        return Self.finding(answer, certificate: certificate, index: index)
    }

    private static func finding(_ answer: OCSPAnswer, certificate: Certificate, index: Int) -> Finding {
        switch answer.status {
        case .good:
            return .good(source: "OCSP responder \(answer.responder)", stale: false)
        case .revoked(let date, let reason):
            return .revoked(
                CertificateRevocation(
                    certificateIndex: index,
                    serialNumber: certificate.serialNumber,
                    revocationDate: date,
                    reason: reason,
                    source: "OCSP responder \(answer.responder)"
                )
            )
        case .unknown:
            return .unknown("OCSP responder \(answer.responder) does not know the certificate")
        }
    }
}

/// Declares the extensions Warden's chain policy handles, so that the `Verifier` the OCSP policy runs in accepts
/// the certificates the chain verification accepted.
private struct HandledExtensionsPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = CriticalExtensionRule.handled

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        .meetsPolicy
    }
}

/// Hands swift-certificates' OCSP policy the transport's response, remembering it; a transport failure becomes a
/// terminal error, which the policy never accepts.
final class RecordingOCSPRequester: OCSPRequester {
    private let transport: any OCSPTransport
    private let recorded = Mutex<(String, [UInt8])?>(nil)

    init(transport: any OCSPTransport) {
        self.transport = transport
    }

    var response: (String, [UInt8])? { self.recorded.withLock { $0 } }

    func query(request: [UInt8], uri: String) async -> OCSPRequesterQueryResult {
        do {
            let bytes = try await self.transport.send(request: request, to: uri)
            self.recorded.withLock { $0 = (uri, bytes) }
            return .response(bytes)
        } catch {
            return .terminalError(OCSPTransportFailure(uri: uri, underlying: "\(error)"))
        }
    }
}

struct OCSPTransportFailure: Error, CustomStringConvertible {
    let uri: String
    let underlying: String
    var description: String { "no answer from OCSP responder \(self.uri): \(self.underlying)" }
}
