import Foundation
import SwiftASN1
import Testing
import WardenCore
import WardenPKI
import WardenSPIFFE
import WardenTestSupport
import WardenTesting
import X509

/// The X509-SVID verifier: go-spiffe's `verify_test.go` scenarios (EXPECTED.md §4), then the rules go-spiffe's `Verify`
/// skips, the path rules, the per-snapshot cache and the authorizers.
@Suite struct X509SVIDVerifierTests {
    static let now = TestPKI.epoch
    let domain1 = try! TrustDomain("domain1.test")
    let domain2 = try! TrustDomain("domain2.test")
    let ca1: TestPKI.Issued
    let ca2: TestPKI.Issued
    let leaf1: TestPKI.Issued

    init() throws {
        self.ca1 = try TestPKI.issue(subject: "CN=CA 1,O=domain1", isCA: true)
        self.ca2 = try TestPKI.issue(subject: "CN=CA 2,O=domain2", isCA: true)
        self.leaf1 = try Self.svid("spiffe://domain1.test/workload", issuer: self.ca1)
    }

    static func svid(
        _ uri: String?,
        issuer: TestPKI.Issued,
        keyUsage: KeyUsage = KeyUsage(digitalSignature: true),
        isCA: Bool = false,
        extraURIs: [String] = [],
        notAfter: Date = TestPKI.epoch.addingTimeInterval(3600)
    ) throws -> TestPKI.Issued {
        let sans = ([uri].compactMap { $0 } + extraURIs).map(GeneralName.uniformResourceIdentifier)
        return try TestPKI.issue(
            subject: "",
            issuer: issuer,
            isCA: isCA,
            keyUsage: keyUsage,
            sans: sans,
            sanCritical: true,
            notAfter: notAfter
        )
    }

    func verifier(_ bundles: [SPIFFEBundle]) -> X509SVIDVerifier {
        X509SVIDVerifier(bundles: SPIFFEBundleSet(bundles), clock: ManualClock(now: Self.now))
    }

    func bundle1(_ authorities: [Certificate]) -> SPIFFEBundle {
        SPIFFEBundle(trustDomain: self.domain1, x509Authorities: authorities)
    }

    func expect(
        _ code: SPIFFEError.Code,
        _ chain: [Certificate],
        bundles: [SPIFFEBundle],
        mentioning: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let verifier = self.verifier(bundles)
        do {
            let verified = try verifier.verify(chain, authorizer: .any)
            Issue.record("expected \(code), verified \(verified)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
            if let mentioning {
                #expect(error.message.contains(mentioning), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
    }

    // MARK: go-spiffe's scenarios

    @Test func validLeafAgainstItsBundle() throws {
        let verified = try self.verifier([self.bundle1([self.ca1.certificate])]).verify(
            [self.leaf1.certificate],
            authorizer: .any
        )
        #expect(verified.id.description == "spiffe://domain1.test/workload")
        #expect(verified.chain == [self.leaf1.certificate, self.ca1.certificate])
    }

    @Test func emptyChain() {
        self.expect(.emptyChain, [], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func noBundleForTheLeafsTrustDomain() {
        self.expect(
            .untrustedTrustDomain,
            [self.leaf1.certificate],
            bundles: [SPIFFEBundle(trustDomain: self.domain2, x509Authorities: [self.ca1.certificate])],
            mentioning: "domain1.test"
        )
    }

    @Test func bundleWithoutAuthorities() {
        self.expect(.unknownIssuer, [self.leaf1.certificate], bundles: [self.bundle1([])])
    }

    @Test func leafWithAnotherScheme() throws {
        let leaf = try Self.svid("sparfe://domain1.test/workload", issuer: self.ca1)
        self.expect(.wrongScheme, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    /// The CA of another trust domain cannot vouch for domain1's IDs, even when filed under domain1.
    @Test func bundleHoldingAnotherTrustDomainsCA() {
        self.expect(.unknownIssuer, [self.leaf1.certificate], bundles: [self.bundle1([self.ca2.certificate])])
    }

    @Test func leafWithoutURISAN() throws {
        let leaf = try Self.svid(nil, issuer: self.ca1, extraURIs: [])
        let withDNS = try TestPKI.issue(subject: "CN=x", issuer: self.ca1, sans: [.dnsName("x.example")])
        self.expect(.leafMissingSPIFFEID, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
        self.expect(.leafMissingSPIFFEID, [withDNS.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func leafWithTwoURISANs() throws {
        let leaf = try Self.svid("spiffe://domain1.test/a", issuer: self.ca1, extraURIs: ["spiffe://domain1.test/b"])
        self.expect(.leafHasMultipleURISANs, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func leafThatIsACA() throws {
        let leaf = try Self.svid(
            "spiffe://domain1.test/workload",
            issuer: self.ca1,
            keyUsage: KeyUsage(digitalSignature: true),
            isCA: true
        )
        self.expect(.leafIsCA, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func leafWithKeyCertSignOrCRLSign() throws {
        let certSign = try Self.svid(
            "spiffe://domain1.test/w",
            issuer: self.ca1,
            keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true)
        )
        let crlSign = try Self.svid(
            "spiffe://domain1.test/w",
            issuer: self.ca1,
            keyUsage: KeyUsage(digitalSignature: true, cRLSign: true)
        )
        self.expect(.leafHasKeyCertSign, [certSign.certificate], bundles: [self.bundle1([self.ca1.certificate])])
        self.expect(.leafHasCRLSign, [crlSign.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func expiredLeaf() throws {
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        let after = self.leaf1.certificate.notValidAfter.addingTimeInterval(1)
        let error = try #require(throws: SPIFFEError.self) {
            try verifier.verify([self.leaf1.certificate], at: after, authorizer: .any)
        }
        #expect(error.code == .expired)
        #expect(error.message.contains("the leaf"))
        let before = self.leaf1.certificate.notValidBefore.addingTimeInterval(-1)
        #expect(throws: SPIFFEError(.notYetValid, "")) {
            try verifier.verify([self.leaf1.certificate], at: before, authorizer: .any)
        }
    }

    // MARK: what go-spiffe's Verify skips

    @Test func leafWithoutDigitalSignatureOrWithRootID() throws {
        let noDigitalSignature = try Self.svid(
            "spiffe://domain1.test/w",
            issuer: self.ca1,
            keyUsage: KeyUsage(keyEncipherment: true)
        )
        let rootID = try Self.svid("spiffe://domain1.test", issuer: self.ca1)
        self.expect(
            .leafMissingDigitalSignature,
            [noDigitalSignature.certificate],
            bundles: [self.bundle1([self.ca1.certificate])]
        )
        self.expect(.leafSPIFFEIDHasRootPath, [rootID.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    // MARK: paths

    @Test func threeLevelChainThroughAPresentedIntermediate() throws {
        let intermediate = try TestPKI.issue(subject: "CN=Intermediate", issuer: self.ca1, isCA: true)
        let leaf = try Self.svid("spiffe://domain1.test/api", issuer: intermediate)
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        let verified = try verifier.verify([leaf.certificate, intermediate.certificate], authorizer: .any)
        #expect(verified.chain == [leaf.certificate, intermediate.certificate, self.ca1.certificate])
        // Missing the intermediate: no path.
        #expect(throws: SPIFFEError(.unknownIssuer, "")) {
            try verifier.verify([leaf.certificate], authorizer: .any)
        }
    }

    @Test func intermediateThatIsNotACAOrLacksKeyCertSign() throws {
        let notCA = try TestPKI.issue(
            subject: "CN=Not a CA",
            issuer: self.ca1,
            isCA: false,
            keyUsage: KeyUsage(keyCertSign: true)
        )
        let noCertSign = try TestPKI.issue(
            subject: "CN=No cert sign",
            issuer: self.ca1,
            isCA: true,
            keyUsage: KeyUsage(cRLSign: true)
        )
        for (intermediate, code) in [
            (notCA, SPIFFEError.Code.issuerNotCA), (noCertSign, .issuerMissingKeyCertSign),
        ] {
            let leaf = try Self.svid("spiffe://domain1.test/api", issuer: intermediate)
            self.expect(
                code,
                [leaf.certificate, intermediate.certificate],
                bundles: [self.bundle1([self.ca1.certificate])]
            )
        }
    }

    @Test func forgedSignature() throws {
        // Same subject as CA 1, different key: the leaf names CA 1 as issuer, but CA 1's key did not sign it.
        let impostor = try TestPKI.issue(subject: "CN=CA 1,O=domain1", isCA: true)
        let leaf = try Self.svid("spiffe://domain1.test/workload", issuer: impostor)
        self.expect(.invalidSignature, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func expiredIntermediate() throws {
        let intermediate = try TestPKI.issue(
            subject: "CN=Old",
            issuer: self.ca1,
            isCA: true,
            notAfter: Self.now.addingTimeInterval(-1)
        )
        let leaf = try Self.svid("spiffe://domain1.test/api", issuer: intermediate)
        self.expect(
            .expired,
            [leaf.certificate, intermediate.certificate],
            bundles: [self.bundle1([self.ca1.certificate])],
            mentioning: "certificate 2"
        )
    }

    @Test func pathLengthConstraint() throws {
        let constrained = try TestPKI.issue(subject: "CN=Root pathlen 0", isCA: true, pathLength: 0)
        let intermediate = try TestPKI.issue(subject: "CN=Below", issuer: constrained, isCA: true)
        let leaf = try Self.svid("spiffe://domain1.test/api", issuer: intermediate)
        self.expect(
            .pathLengthExceeded,
            [leaf.certificate, intermediate.certificate],
            bundles: [self.bundle1([constrained.certificate])]
        )
    }

    @Test func unhandledCriticalExtension() throws {
        let unknown = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 99999, 1], critical: true, value: [0x05, 0x00])
        let leaf = try TestPKI.issue(
            subject: "",
            issuer: self.ca1,
            keyUsage: KeyUsage(digitalSignature: true),
            sans: [.uniformResourceIdentifier("spiffe://domain1.test/w")],
            sanCritical: true,
            extraExtensions: [unknown]
        )
        self.expect(.unhandledCriticalExtension, [leaf.certificate], bundles: [self.bundle1([self.ca1.certificate])])
    }

    @Test func uriNameConstraints() throws {
        func constrainedCA(permitted: [GeneralName]) throws -> TestPKI.Issued {
            let constraints = NameConstraints(permittedSubtrees: permitted)
            return try TestPKI.issue(
                subject: "CN=Constrained",
                isCA: true,
                extraExtensions: [try Certificate.Extension(constraints, critical: true)]
            )
        }
        let exact = try constrainedCA(permitted: [.uniformResourceIdentifier("domain1.test")])
        let inside = try Self.svid("spiffe://domain1.test/w", issuer: exact)
        #expect(
            try self.verifier([self.bundle1([exact.certificate])]).verify([inside.certificate], authorizer: .any).id
                .path == "/w"
        )
        let other = try constrainedCA(permitted: [.uniformResourceIdentifier("domain2.test")])
        let outside = try Self.svid("spiffe://domain1.test/w", issuer: other)
        self.expect(.nameConstraintsViolated, [outside.certificate], bundles: [self.bundle1([other.certificate])])
        let directory = try constrainedCA(permitted: [.directoryName(TestPKI.name("O=Example"))])
        let unprocessed = try Self.svid("spiffe://domain1.test/w", issuer: directory)
        self.expect(
            .nameConstraintsViolated,
            [unprocessed.certificate],
            bundles: [self.bundle1([directory.certificate])],
            mentioning: "fails closed"
        )
    }

    // MARK: the cache and bundle changes

    @Test func aBundleChangeForgetsVerifiedIntermediates() throws {
        let intermediate = try TestPKI.issue(subject: "CN=Intermediate", issuer: self.ca1, isCA: true)
        let leafA = try Self.svid("spiffe://domain1.test/a", issuer: intermediate)
        let leafB = try Self.svid("spiffe://domain1.test/b", issuer: intermediate)
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        _ = try verifier.verify([leafA.certificate, intermediate.certificate], authorizer: .any)
        // Second leaf through the remembered intermediate verifies, and so does its path to the authority.
        #expect(try verifier.verify([leafB.certificate, intermediate.certificate], authorizer: .any).chain.count == 3)
        // CA 1 is rotated out: the intermediate it signed must no longer verify.
        verifier.updateBundles(SPIFFEBundleSet([self.bundle1([self.ca2.certificate])]))
        #expect(throws: SPIFFEError(.unknownIssuer, "")) {
            try verifier.verify([leafB.certificate, intermediate.certificate], authorizer: .any)
        }
    }

    @Test func validityIsCheckedOnEveryCallEvenForRememberedIntermediates() throws {
        let intermediate = try TestPKI.issue(
            subject: "CN=Short-lived",
            issuer: self.ca1,
            isCA: true,
            notAfter: Self.now.addingTimeInterval(60)
        )
        let leaf = try Self.svid(
            "spiffe://domain1.test/a",
            issuer: intermediate,
            notAfter: Self.now.addingTimeInterval(3600)
        )
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        _ = try verifier.verify([leaf.certificate, intermediate.certificate], authorizer: .any)
        #expect(throws: SPIFFEError(.expired, "")) {
            try verifier.verify(
                [leaf.certificate, intermediate.certificate],
                at: Self.now.addingTimeInterval(120),
                authorizer: .any
            )
        }
    }

    @Test func aRememberedIntermediateDoesNotVouchForALeafItDidNotSign() throws {
        let intermediate = try TestPKI.issue(subject: "CN=Intermediate", issuer: self.ca1, isCA: true)
        let impostor = try TestPKI.issue(subject: "CN=Intermediate", isCA: true)
        let good = try Self.svid("spiffe://domain1.test/a", issuer: intermediate)
        let forged = try Self.svid("spiffe://domain1.test/admin", issuer: impostor)
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        _ = try verifier.verify([good.certificate, intermediate.certificate], authorizer: .any)
        #expect(throws: SPIFFEError(.invalidSignature, "")) {
            try verifier.verify([forged.certificate, intermediate.certificate], authorizer: .any)
        }
    }

    // MARK: authorizers

    @Test func authorizers() throws {
        let verifier = self.verifier([self.bundle1([self.ca1.certificate])])
        let chain = [self.leaf1.certificate]
        let id = try SPIFFEID("spiffe://domain1.test/workload")
        _ = try verifier.verify(chain, authorizer: .any)
        _ = try verifier.verify(chain, authorizer: .id(id))
        _ = try verifier.verify(chain, authorizer: .oneOf([id, try SPIFFEID("spiffe://domain1.test/other")]))
        _ = try verifier.verify(chain, authorizer: .memberOf(self.domain1))
        _ = try verifier.verify(chain, authorizer: SPIFFEIDAuthorizer("workloads") { $0.path.hasPrefix("/work") })
        for denying in [
            SPIFFEIDAuthorizer.id(try SPIFFEID("spiffe://domain1.test/other")), .memberOf(self.domain2), .oneOf([]),
            SPIFFEIDAuthorizer("nobody") { _ in false },
        ] {
            let error = try #require(throws: SPIFFEError.self) { try verifier.verify(chain, authorizer: denying) }
            #expect(error.code == .unauthorized)
            #expect(error.message.contains(denying.description))
        }
    }
}
