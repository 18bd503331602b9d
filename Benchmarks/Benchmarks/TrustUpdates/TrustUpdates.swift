import Crypto
import Foundation
import Logging
import Synchronization
import Warden
@_spi(Benchmarks) import WardenTrust
import X509

/// What a bundle update costs a `TrustBundleManager`, and what it costs its readers:
///
/// - `TRUST_APPLY`: applying an update of a bundle of 1,000 authorities (one authority replaced, the sequence
///   increased): canonical order, the diff, retention, the new snapshot handed to the verifiers.
/// - `TRUST_READS`: reading the snapshot (`manager.bundles`) from two threads, alone and while a third thread applies
///   updates as fast as it can; and the same for verifying an X509-SVID with a manager-fed verifier.
///
/// Medians of five rounds. Run it unpinned: `swift run -c release TrustUpdates` (Benchmarks/compare.sh does).
@main
enum TrustUpdates {
    static let trustDomain = try! TrustDomain("example.org")

    @inline(never)
    static func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

    static func authority(_ index: Int) throws -> (Certificate, P256.Signing.PrivateKey) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("CA \(index)") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400 * 365),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://example.org")])
            },
            issuerPrivateKey: .init(key)
        )
        return (certificate, key)
    }

    static func svid(issuer: Certificate, key: P256.Signing.PrivateKey) throws -> Certificate {
        let leafKey = P256.Signing.PrivateKey()
        let now = Date()
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(3600),
            issuer: issuer.subject,
            subject: try DistinguishedName { CommonName("workload") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://example.org/workload")])
            },
            issuerPrivateKey: .init(key)
        )
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Alternates between the base authorities plus `extras[0]` and plus `extras[1]`, with a rising sequence. The two
    /// bundles are built once, so that what is timed is the manager's work, not building a bundle.
    final class Updater: @unchecked Sendable {
        let manager: TrustBundleManager
        let bundles: [SPIFFEBundle]
        var sequence: UInt64 = 0

        init(manager: TrustBundleManager, base: [Certificate], extras: [Certificate]) {
            self.manager = manager
            self.bundles = extras.map {
                SPIFFEBundle(trustDomain: TrustUpdates.trustDomain, x509Authorities: base + [$0])
            }
        }

        func next() {
            self.sequence += 1
            var bundle = self.bundles[Int(self.sequence % 2)]
            bundle.sequenceNumber = self.sequence
            self.manager.apply(bundle)
        }
    }

    /// Reads per second in total from two threads running `read`, while `updater` (if any) applies updates on a
    /// third thread until the readers finish: `perSecond` of them, or as many as it can when `nil`.
    static func readRate(
        calls: Int,
        updater: Updater?,
        perSecond: Int? = nil,
        _ read: @escaping @Sendable () -> Void
    ) -> (Double, Int) {
        let stop = Atomic(false)
        let updates = Atomic(0)
        let updating = DispatchGroup()
        if let updater {
            updating.enter()
            Thread {
                while !stop.load(ordering: .relaxed) {
                    updater.next()
                    updates.add(1, ordering: .relaxed)
                    if let perSecond { Thread.sleep(forTimeInterval: 1 / Double(perSecond)) }
                }
                updating.leave()
            }.start()
        }
        let readers = DispatchGroup()
        let start = ContinuousClock.now
        for _ in 0..<2 {
            readers.enter()
            Thread {
                for _ in 0..<(calls / 2) { read() }
                readers.leave()
            }.start()
        }
        readers.wait()
        let elapsed = Self.seconds(ContinuousClock.now - start)
        stop.store(true, ordering: .relaxed)
        updating.wait()
        return (Double(calls) / elapsed, updates.load(ordering: .relaxed))
    }

    static func main() throws {
        let authorities = try (0..<1002).map { try Self.authority($0) }
        let base = authorities[0..<1000].map(\.0)
        let extras = [authorities[1000].0, authorities[1001].0]
        let workload = try Self.svid(issuer: base[0], key: authorities[0].1)
        let logger = Logger(label: "benchmark") { _ in SwiftLogNoOpLogHandler() }
        let manager = TrustBundleManager(logger: logger)
        let verifier = manager.makeX509SVIDVerifier()
        let updater = Updater(manager: manager, base: base, extras: extras)
        updater.next()
        precondition(manager.bundles[Self.trustDomain]?.x509Authorities.count == 1001)
        _ = try verifier.verify([workload], authorizer: .any)

        // Applying updates, one at a time.
        var perUpdate: [Double] = []
        for _ in 0..<5 {
            let count = 100
            let start = ContinuousClock.now
            for _ in 0..<count { updater.next() }
            perUpdate.append(Self.seconds(ContinuousClock.now - start) / Double(count))
        }
        let applied = Self.median(perUpdate)
        print("TRUST_APPLY authorities=1000 \(String(format: "%.1f", applied * 1e6)) us-per-update")

        // Reads from two threads, alone and during updates.
        let snapshotRead: @Sendable () -> Void = { Self.blackHole(manager.bundles[Self.trustDomain]) }
        let verification: @Sendable () -> Void = {
            Self.blackHole(try? verifier.verify([workload], authorizer: .any))
        }
        // Columns: reads/s while updates arrive, reads/s alone, their ratio, updates applied during the reads. At 10
        // updates a second the ratio is what a reader loses to the lock; flat out, the updater also takes a core of
        // this 2-core machine from the readers.
        for (name, read, calls) in [
            ("snapshot", snapshotRead, 4_000_000), ("svid_verify", verification, 40_000),
        ] {
            for (label, perSecond) in [("10/s", Optional(10)), ("flat-out", nil)] {
                var idle: [Double] = []
                var busy: [Double] = []
                var updates: [Int] = []
                for _ in 0..<5 {
                    idle.append(Self.readRate(calls: calls, updater: nil, read).0)
                    let (rate, count) = Self.readRate(calls: calls, updater: updater, perSecond: perSecond, read)
                    busy.append(rate)
                    updates.append(count)
                }
                let (a, b) = (Self.median(busy), Self.median(idle))
                print(
                    "TRUST_READS \(name) updates=\(label) \(Int(a)) \(Int(b)) \(String(format: "%.3f", a / b)) updates-during=\(Int(Self.median(updates.map(Double.init))))"
                )
            }
        }
    }
}
