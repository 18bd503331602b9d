import Foundation
import SwiftASN1
import Testing
import WardenCore
import WardenPKI
import WardenTestSupport
import WardenTesting
import X509

@Suite struct ChainVerifierTests {
    let now = TestPKI.epoch

    func verify(
        _ chain: TestPKI.Chain,
        leaf: TestPKI.Issued? = nil,
        intermediates: [TestPKI.Issued]? = nil,
        at time: Date? = nil,
        dnsName: String? = nil,
        usage: ExtendedKeyUsage.Usage? = nil
    ) async -> Outcome {
        do {
            return .valid(
                try await CertificateChainVerifier(roots: [chain.root.certificate]).verify(
                    leaf: (leaf ?? chain.leaf).certificate,
                    intermediates: (intermediates ?? [chain.intermediate]).map(\.certificate),
                    at: time ?? self.now,
                    dnsName: dnsName,
                    extendedKeyUsage: usage
                )
            )
        } catch {
            return .invalid(error)
        }
    }

    /// A verification's return or throw, so that each test asserts on either.
    enum Outcome {
        case valid(VerifiedCertificateChain)
        case invalid(PKIError)

        var isValid: Bool { self.chain != nil }
        var chain: [Certificate]? {
            if case .valid(let verified) = self { return verified.certificates }
            return nil
        }
        var error: PKIError? {
            if case .invalid(let error) = self { return error }
            return nil
        }
    }

    @Test(arguments: [KeyType.p256, .p384, .ed25519, .rsa2048])
    func aGoodChainVerifiesLeafToRoot(type: KeyType) async throws {
        let chain = try TestPKI.chain(keyType: type)
        let result = await self.verify(chain, dnsName: "leaf.example.com", usage: .serverAuth)
        #expect(result.chain == [chain.leaf.certificate, chain.intermediate.certificate, chain.root.certificate])
        #expect(result.error == nil)
    }

    @Test func theClockGivesTheTimeWhenNoneIsPassed() async throws {
        let chain = try TestPKI.chain()
        let clock = ManualClock(now: self.now)
        let verifier = CertificateChainVerifier(roots: [chain.root.certificate], clock: clock)
        _ = try await verifier.verify(leaf: chain.leaf.certificate, intermediates: [chain.intermediate.certificate])
        clock.advance(by: .seconds(86_400 * 400))
        let late = await #expect(throws: PKIError.self) {
            try await verifier.verify(leaf: chain.leaf.certificate, intermediates: [chain.intermediate.certificate])
        }
        #expect(late?.code == .expired)
    }

    @Test func expiredAndNotYetValidAreNamed() async throws {
        let chain = try TestPKI.chain()
        let expired = await self.verify(chain, at: self.now.addingTimeInterval(86_400 * 366))
        #expect(expired.error?.code == .expired)
        #expect(expired.error?.message.contains("the leaf (CN=leaf.example.com") == true)
        let early = await self.verify(chain, at: self.now.addingTimeInterval(-86_400 * 2))
        #expect(early.error?.code == .notYetValid)
    }

    @Test func anExpiredIntermediateIsNamed() async throws {
        let chain = try TestPKI.chain()
        let intermediate = try TestPKI.issue(
            subject: "CN=Warden Test Intermediate,O=Warden Tests",
            key: chain.intermediate.key,
            issuer: chain.root,
            isCA: true,
            notAfter: self.now.addingTimeInterval(-10)
        )
        let result = await self.verify(chain, intermediates: [intermediate])
        #expect(result.error?.code == .expired)
        #expect(result.error?.message.contains("certificate 2 of the chain") == true)
    }

    @Test func aMissingIntermediateIsAnUnknownIssuer() async throws {
        let chain = try TestPKI.chain()
        let result = await self.verify(chain, intermediates: [])
        #expect(result.error?.code == .unknownIssuer)
        #expect(result.error?.message.contains("CN=Warden Test Intermediate") == true)
    }

    @Test func anImpostorIssuerIsAnInvalidSignature() async throws {
        let chain = try TestPKI.chain()
        // Same name as the real intermediate, signed by the root, but a different key.
        let impostor = try TestPKI.issue(
            subject: "CN=Warden Test Intermediate,O=Warden Tests",
            issuer: chain.root,
            isCA: true
        )
        let result = await self.verify(chain, intermediates: [impostor])
        #expect(result.error?.code == .invalidSignature)
    }

    @Test func anIssuerThatIsNotACAIsRejected() async throws {
        let chain = try TestPKI.chain()
        let notCA = try TestPKI.issue(
            subject: "CN=Not a CA",
            issuer: chain.root,
            keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true)
        )
        let leaf = try TestPKI.issue(subject: "CN=leaf", issuer: notCA)
        let result = await self.verify(chain, leaf: leaf, intermediates: [notCA])
        #expect(result.error?.code == .issuerNotCA)
        let noConstraints = try TestPKI.issue(
            subject: "CN=No constraints",
            issuer: chain.root,
            includeBasicConstraints: false,
            keyUsage: KeyUsage(keyCertSign: true)
        )
        let leaf2 = try TestPKI.issue(subject: "CN=leaf2", issuer: noConstraints)
        #expect(await self.verify(chain, leaf: leaf2, intermediates: [noConstraints]).error?.code == .issuerNotCA)
    }

    @Test func anIssuerWithoutKeyCertSignIsRejected() async throws {
        let chain = try TestPKI.chain()
        let intermediate = try TestPKI.issue(
            subject: "CN=CRL only",
            issuer: chain.root,
            isCA: true,
            keyUsage: KeyUsage(cRLSign: true)
        )
        let leaf = try TestPKI.issue(subject: "CN=leaf", issuer: intermediate)
        #expect(
            await self.verify(chain, leaf: leaf, intermediates: [intermediate]).error?.code == .issuerMissingKeyCertSign
        )
    }

    @Test func pathLengthIsEnforced() async throws {
        let chain = try TestPKI.chain()  // intermediate has pathLength 0
        let second = try TestPKI.issue(subject: "CN=Second level", issuer: chain.intermediate, isCA: true)
        let leaf = try TestPKI.issue(subject: "CN=deep leaf", issuer: second)
        let result = await self.verify(chain, leaf: leaf, intermediates: [chain.intermediate, second])
        #expect(result.error?.code == .pathLengthExceeded)
    }

    @Test func theDNSNameMustMatch() async throws {
        let chain = try TestPKI.chain()
        #expect(await self.verify(chain, dnsName: "leaf.example.com").isValid)
        let result = await self.verify(chain, dnsName: "other.example.com")
        #expect(result.error?.code == .hostnameMismatch)
        #expect(result.error?.message.contains("leaf.example.com") == true)
    }

    @Test func theExtendedKeyUsageMustAllowThePurpose() async throws {
        let chain = try TestPKI.chain()
        let leaf = try TestPKI.issue(subject: "CN=client", issuer: chain.intermediate, extendedKeyUsage: [.clientAuth])
        #expect(await self.verify(chain, leaf: leaf, usage: .clientAuth).isValid)
        #expect(await self.verify(chain, leaf: leaf, usage: .serverAuth).error?.code == .extendedKeyUsageMismatch)
        let noEKU = try TestPKI.issue(subject: "CN=any", issuer: chain.intermediate)
        #expect(await self.verify(chain, leaf: noEKU, usage: .serverAuth).isValid)
    }

    @Test func aCriticalSANWithAnEmptySubjectIsAccepted() async throws {
        // The trap: RFC 5280 §4.2.1.6 requires this shape (every X509-SVID has it); RFC5280Policy alone refuses it.
        let chain = try TestPKI.chain()
        let svid = try TestPKI.issue(
            subject: "",
            issuer: chain.intermediate,
            sans: [.uniformResourceIdentifier("spiffe://example.org/workload")],
            sanCritical: true
        )
        let result = await self.verify(chain, leaf: svid)
        #expect(result.isValid, "\(String(describing: result.error))")
    }

    @Test func anUnknownCriticalExtensionIsRejected() async throws {
        let chain = try TestPKI.chain()
        let oddity = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 99_999, 1], critical: true, value: [0x05, 0x00])
        let leaf = try TestPKI.issue(subject: "CN=odd", issuer: chain.intermediate, extraExtensions: [oddity])
        let result = await self.verify(chain, leaf: leaf)
        #expect(result.error?.code == .unhandledCriticalExtension)
        #expect(result.error?.message.contains("1.3.6.1.4.1.99999.1") == true)
    }

    /// An X509-SVID has a critical SAN beside a subject, which RFC 5280 only advises against; a server verified by
    /// name is held to the CA/Browser Forum's rule, which forbids it.
    @Test func aCriticalSANBesideASubjectIsRefusedOnlyForAServerName() async throws {
        let chain = try TestPKI.chain()
        let leaf = try TestPKI.issue(
            subject: "O=SPIRE",
            issuer: chain.intermediate,
            sans: [.uniformResourceIdentifier("spiffe://example.org/api"), .dnsName("api.example.org")],
            sanCritical: true
        )
        #expect(await self.verify(chain, leaf: leaf).isValid)
        let named = await self.verify(chain, leaf: leaf, dnsName: "api.example.org")
        #expect(named.error?.code == .invalidSubjectAlternativeName)
    }

    @Test func aCACertificateAsTheLeafIsRefused() async throws {
        let chain = try TestPKI.chain()
        let result = await self.verify(chain, leaf: chain.intermediate, intermediates: [])
        #expect(result.error?.code == .endEntityIsCA)
    }

    @Test func theCommonNameIsNeverReadAsAName() async throws {
        let chain = try TestPKI.chain(leafSANs: [.dnsName("other.example.com")], leafSubject: "CN=leaf.example.com")
        let result = await self.verify(chain, dnsName: "leaf.example.com")
        #expect(result.error?.code == .hostnameMismatch)
    }

    /// Many same-named intermediates with distinct keys: path building stops at the budget, with its error.
    @Test func pathBuildingStopsAtItsBudget() async throws {
        let chain = try TestPKI.chain()
        var decoys: [Certificate] = []
        for _ in 0..<8 {
            decoys.append(
                try TestPKI.issue(subject: "CN=Warden Test Intermediate,O=Warden Tests", issuer: chain.root, isCA: true)
                    .certificate
            )
        }
        let verifier = CertificateChainVerifier(
            roots: [chain.root.certificate],
            limits: VerificationLimits(maximumIssuerCandidates: 4)
        )
        await #expect(throws: PKIError.self) {
            _ = try await verifier.verify(leaf: chain.leaf.certificate, intermediates: decoys, at: self.now)
        }
        do {
            _ = try await verifier.verify(leaf: chain.leaf.certificate, intermediates: decoys, at: self.now)
        } catch {
            #expect(error.code == .verificationBudgetExceeded)
        }
    }
}
