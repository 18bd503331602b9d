import Benchmark
import Crypto
import Foundation
import Warden

/// WardenSPIFFE's hot paths, each beside the peer it is compared with in `compare.sh`.
enum SPIFFEBenchmarks {
    /// Calls per sample of the sub-microsecond benchmarks, so that the harness's own cost per sample does not count.
    static let cacheCallsPerSample = 1_000

    static let trustDomain = try! TrustDomain("example.org")

    static func jwtVerifier(cacheCapacity: Int) -> JWTSVIDVerifier {
        let bundle = SPIFFEBundle(
            trustDomain: Self.trustDomain,
            jwtAuthorities: ["bench": try! JWTPublicKey(fixtures.jwtKey)]
        )
        return try! JWTSVIDVerifier(
            bundles: SPIFFEBundleSet([bundle]),
            audiences: ["bench"],
            cacheCapacity: cacheCapacity
        )
    }

    static func register() {
        // The whole JWT-SVID check, no cache: split, base64url, JSON, header and claim rules, key lookup, signature.
        Benchmark("jwt_svid_verify_es256") { benchmark in
            let verifier = Self.jwtVerifier(cacheCapacity: 0)
            let token = fixtures.jwtToken
            let time = fixtures.verificationTime
            _ = try verifier.verify(token, at: time, authorizer: .any)
            try Batch.run(benchmark) { blackHole(try verifier.verify(token, at: time, authorizer: .any)) }
        }

        // The floor: swift-crypto's P-256 check of the same signature over the same signing input, nothing else.
        Benchmark("p256_verify_bare") { benchmark in
            let token = Array(fixtures.jwtToken.utf8)
            let dot = token.lastIndex(of: UInt8(ascii: "."))!
            let message = Array(token[..<dot])
            var signatureText = String(decoding: token[(dot + 1)...], as: UTF8.self)
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            signatureText += String(repeating: "=", count: (4 - signatureText.count % 4) % 4)
            let signature = Array(Data(base64Encoded: signatureText)!)
            let key = try P256.Signing.PublicKey(pemRepresentation: try JWTPublicKeyPEM.p256(fixtures.jwtKey))
            try Batch.run(benchmark) {
                let ecdsa = try P256.Signing.ECDSASignature(rawRepresentation: signature)
                precondition(key.isValidSignature(ecdsa, for: message))
            }
        }

        // A token seen before: hash, lookup, time window and authorizer. Each sample is `cacheCallsPerSample` calls.
        Benchmark(
            "jwt_svid_cache_hit",
            configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], maxDuration: .seconds(3))
        ) { benchmark in
            let verifier = Self.jwtVerifier(cacheCapacity: 1024)
            let token = fixtures.jwtToken
            let time = fixtures.verificationTime
            _ = try verifier.verify(token, at: time, authorizer: .any)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                for _ in 0..<Self.cacheCallsPerSample {
                    blackHole(try verifier.verify(token, at: time, authorizer: .any))
                }
            }
        }

        // The presented chain [leaf, intermediate] against a bundle holding the root: with the intermediate already
        // verified under this bundle snapshot, one signature check (the leaf's) per call.
        Benchmark("svid_verify_p256_3level") { benchmark in
            let bundle = SPIFFEBundle(trustDomain: Self.trustDomain, x509Authorities: [fixtures.chainRoot])
            let verifier = X509SVIDVerifier(bundles: SPIFFEBundleSet([bundle]))
            let chain = [fixtures.chainLeaf, fixtures.chainIntermediate]
            let time = fixtures.verificationTime
            _ = try verifier.verify(chain, at: time, authorizer: .any)
            try Batch.run(benchmark) { blackHole(try verifier.verify(chain, at: time, authorizer: .any)) }
        }
    }
}

/// The P-256 public key of a private key as PEM, for the bare swift-crypto benchmark.
enum JWTPublicKeyPEM {
    static func p256(_ key: PrivateKey) throws -> String {
        PEM.encode(label: "PUBLIC KEY", derBytes: key.subjectPublicKeyInfoDER)
    }
}
