import Synchronization
import X509

/// Issuers and trust anchors that passed the per-certificate rules (``CertificateProfileRule``,
/// ``CertificateAuthorityRule``), so that the same intermediates and roots, met on every verification, are not decoded
/// and checked again. Only passes are kept: a failure is found again, with its message. Bounded: emptied when full.
final class VerifiedIssuerCache: Sendable {
    private struct Key: Hashable {
        var certificate: Certificate
        var isAnchor: Bool
    }

    private let passed = Mutex<Set<Key>>([])
    private let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func contains(_ certificate: Certificate, isAnchor: Bool) -> Bool {
        self.passed.withLock { $0.contains(Key(certificate: certificate, isAnchor: isAnchor)) }
    }

    func insert(_ certificate: Certificate, isAnchor: Bool) {
        self.passed.withLock { passed in
            if passed.count >= self.capacity { passed.removeAll(keepingCapacity: true) }
            passed.insert(Key(certificate: certificate, isAnchor: isAnchor))
        }
    }
}
