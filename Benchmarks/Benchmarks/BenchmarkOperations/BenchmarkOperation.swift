import Crypto
import Foundation
import Logging
import Warden

/// One operation Warden is compared on, defined once: package-benchmark (allocations), the plain timing loop beside
/// the OpenSSL harness (throughput) and the callgrind runs (instructions) all run this same code.
///
/// `make()` does the set-up (parsing fixtures, building verifiers, one warm-up call) outside what is measured, and
/// returns the body: one operation per call.
public struct BenchmarkOperation: Sendable {
    public enum Body {
        case sync(() throws -> Void)
        /// swift-certificates' verifier is async, and so is Warden's chain verifier over it.
        case async(() async throws -> Void)
    }

    public let name: String
    public let make: @Sendable () async throws -> Body

    /// The operations compared with the OpenSSL harness, by the names both sides print, and `p256_verify_bare`, the
    /// floor a JWT-SVID verification is compared with.
    public static let all: [BenchmarkOperation] = [
        // The same operation as OpenSSL's d2i_X509 (which also caches the extensions), plus Warden's inspection.
        BenchmarkOperation(name: "cert_parse_p256_leaf") {
            let der = Fixtures.shared.leafDER
            return .sync { consume(try CertificateInfo(derEncoded: der)) }
        },
        BenchmarkOperation(name: "cert_parse_rsa_root") {
            let der = Fixtures.shared.rsaRootDER
            return .sync { consume(try CertificateInfo(derEncoded: der)) }
        },
        // Build, sign and encode: the work of X509_REQ_sign plus i2d_X509_REQ.
        BenchmarkOperation(name: "csr_create_p256") {
            let key = Fixtures.shared.csrKey
            return .sync {
                var builder = try CSRBuilder(subject: "CN=bench")
                builder.uris = ["spiffe://example.org/bench"]
                builder.dnsNames = ["bench.example.org"]
                consume(try builder.derEncoded(signingWith: key))
            }
        },
        // Pre-parsed certificates, as X509_verify_cert gets X509 objects.
        BenchmarkOperation(name: "chain_verify_p256_3level") {
            let fixtures = Fixtures.shared
            let verifier = CertificateChainVerifier(roots: [fixtures.chainRoot])
            let (leaf, intermediates, time) = (
                fixtures.chainLeaf, [fixtures.chainIntermediate], fixtures.verificationTime
            )
            _ = try await verifier.verify(leaf: leaf, intermediates: intermediates, at: time)
            return .async { consume(try await verifier.verify(leaf: leaf, intermediates: intermediates, at: time)) }
        },
        // The same verification, the leaf checked against its issuer's CRL of 100,000 entries: in steady state a
        // dictionary lookup (the list's signature is checked once, by the first call, and remembered by the list).
        BenchmarkOperation(name: "chain_verify_crl_100k") {
            let fixtures = Fixtures.shared
            let verifier = CertificateChainVerifier(
                roots: [fixtures.chainRoot],
                revocation: .crl(from: [Self.crl100k], failureMode: .hardFail)
            )
            let (leaf, intermediates, time) = (
                fixtures.chainLeaf, [fixtures.chainIntermediate], fixtures.verificationTime
            )
            _ = try await verifier.verify(leaf: leaf, intermediates: intermediates, at: time)
            return .async { consume(try await verifier.verify(leaf: leaf, intermediates: intermediates, at: time)) }
        },
        // The whole list decoded and indexed by serial number, as d2i_X509_CRL decodes it.
        BenchmarkOperation(name: "crl_parse_100k") {
            let der = Fixtures.shared.crl100kDER
            return .sync { consume(try CertificateRevocationList(derEncoded: der)) }
        },
        // The presented chain [leaf, intermediate] against a bundle holding the root: with the intermediate already
        // verified under this bundle snapshot, one signature check (the leaf's) per call.
        BenchmarkOperation(name: "svid_verify_p256_3level") {
            let fixtures = Fixtures.shared
            let bundle = SPIFFEBundle(trustDomain: trustDomain, x509Authorities: [fixtures.chainRoot])
            let verifier = X509SVIDVerifier(bundles: SPIFFEBundleSet([bundle]))
            let (chain, time) = ([fixtures.chainLeaf, fixtures.chainIntermediate], fixtures.verificationTime)
            _ = try verifier.verify(chain, at: time, authorizer: .any)
            return .sync { consume(try verifier.verify(chain, at: time, authorizer: .any)) }
        },
        // The same verification through a verifier a TrustBundleManager made and feeds (WardenTrust): it must cost
        // what a verifier made by hand costs.
        BenchmarkOperation(name: "svid_verify_manager_fed") {
            let fixtures = Fixtures.shared
            let bundle = SPIFFEBundle(trustDomain: trustDomain, x509Authorities: [fixtures.chainRoot])
            let manager = TrustBundleManager(logger: Logger(label: "benchmark") { _ in SwiftLogNoOpLogHandler() })
            manager.addSource(StaticBundleSource(bundle))
            let verifier = manager.makeX509SVIDVerifier()
            let running = Task { try await manager.run() }
            while manager.bundles[trustDomain] == nil { try await Task.sleep(for: .milliseconds(10)) }
            _ = running
            let (chain, time) = ([fixtures.chainLeaf, fixtures.chainIntermediate], fixtures.verificationTime)
            _ = try verifier.verify(chain, at: time, authorizer: .any)
            return .sync { consume(try verifier.verify(chain, at: time, authorizer: .any)) }
        },
        // The whole JWT-SVID check, no cache: split, base64url, JSON, header and claim rules, key lookup, signature.
        BenchmarkOperation(name: "jwt_svid_verify_es256") {
            let verifier = try jwtVerifier(cacheCapacity: 0)
            let (token, time) = (Fixtures.shared.jwtToken, Fixtures.shared.verificationTime)
            _ = try verifier.verify(token, at: time, authorizer: .any)
            return .sync { consume(try verifier.verify(token, at: time, authorizer: .any)) }
        },
        // The floor: swift-crypto's P-256 check of the same signature over the same signing input, nothing else.
        BenchmarkOperation(name: "p256_verify_bare") {
            let token = Array(Fixtures.shared.jwtToken.utf8)
            let dot = token.lastIndex(of: UInt8(ascii: "."))!
            let message = Array(token[..<dot])
            var signatureText = String(decoding: token[(dot + 1)...], as: UTF8.self)
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            signatureText += String(repeating: "=", count: (4 - signatureText.count % 4) % 4)
            let signature = Array(Data(base64Encoded: signatureText)!)
            let spki = PEM.encode(label: "PUBLIC KEY", derBytes: Fixtures.shared.jwtKey.subjectPublicKeyInfoDER)
            let key = try P256.Signing.PublicKey(pemRepresentation: spki)
            return .sync {
                let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
                precondition(key.isValidSignature(ecdsa, for: message))
            }
        },
    ]

    public static func named(_ name: String) -> BenchmarkOperation? {
        Self.all.first { $0.name == name }
    }

    public static let trustDomain = try! TrustDomain("example.org")

    /// The fixture CRL of 100,000 entries, parsed once per process: package-benchmark makes an operation again for
    /// every sample, and a parse costs a third of a second.
    static let crl100k: RevocationList = {
        do {
            return try RevocationList(
                base: CertificateRevocationList(derEncoded: Fixtures.shared.crl100kDER),
                location: "crl-100k.der"
            )
        } catch {
            fatalError("crl-100k.der in \(Fixtures.directory) does not parse: \(error)")
        }
    }()

    /// A JWT-SVID verifier for the fixture token; a `cacheCapacity` of 0 verifies every call in full.
    public static func jwtVerifier(cacheCapacity: Int) throws -> JWTSVIDVerifier {
        let bundle = SPIFFEBundle(
            trustDomain: Self.trustDomain,
            jwtAuthorities: ["bench": try JWTPublicKey(Fixtures.shared.jwtKey)]
        )
        return try JWTSVIDVerifier(
            bundles: SPIFFEBundleSet([bundle]),
            audiences: ["bench"],
            cacheCapacity: cacheCapacity
        )
    }
}

/// Keeps a result alive so that the optimizer cannot drop the work that made it.
@inline(never)
public func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
