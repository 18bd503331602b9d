import Synchronization
import X509

/// What one verification has spent of its ``VerificationLimits``, shared by the intermediates store (which hands
/// out issuer candidates) and the policy (which compares names with constraints).
final class VerificationBudget: Sendable {
    let limits: VerificationLimits
    private let state = Mutex<(candidates: Int, comparisons: Int, exhausted: String?)>((0, 0, nil))

    init(_ limits: VerificationLimits) {
        self.limits = limits
    }

    /// What ran out, if anything did.
    var exhausted: String? { self.state.withLock { $0.exhausted } }

    /// Takes up to `count` issuer candidates; how many may be tried.
    func takeCandidates(_ count: Int) -> Int {
        self.state.withLock { state in
            let left = self.limits.maximumIssuerCandidates - state.candidates
            guard count <= left else {
                state.candidates = self.limits.maximumIssuerCandidates
                state.exhausted =
                    state.exhausted ?? "more than \(self.limits.maximumIssuerCandidates) candidate issuers to try"
                return max(left, 0)
            }
            state.candidates += count
            return count
        }
    }

    /// Takes `count` name-constraint comparisons, or none when they would exceed the limit.
    func takeComparisons(_ count: Int) -> Bool {
        self.state.withLock { state in
            guard count <= self.limits.maximumNameConstraintComparisons - state.comparisons else {
                state.exhausted =
                    state.exhausted
                    ?? "more than \(self.limits.maximumNameConstraintComparisons) name-constraint comparisons"
                return false
            }
            state.comparisons += count
            return true
        }
    }
}

/// The intermediates, handed to swift-certificates' path builder through a budget: once the budget is spent it
/// finds no more issuers, so that the search ends.
final class BudgetedCertificateStore: CustomCertificateStore {
    private let bySubject: [DistinguishedName: [Certificate]]
    private let budget: VerificationBudget

    init(_ certificates: [Certificate], budget: VerificationBudget) {
        self.bySubject = Dictionary(grouping: certificates, by: \.subject)
        self.budget = budget
    }

    subscript(subject: DistinguishedName) -> [Certificate]? {
        get async {
            guard let candidates = self.bySubject[subject] else { return nil }
            let allowed = self.budget.takeCandidates(candidates.count)
            return allowed == 0 ? nil : Array(candidates.prefix(allowed))
        }
    }

    func contains(_ certificate: Certificate) async -> Bool {
        self.bySubject[certificate.subject]?.contains(certificate) ?? false
    }

    func append(contentsOf certificates: some Sequence<Certificate>) {
        preconditionFailure("the verifier never adds to its intermediates")
    }

    static func == (lhs: BudgetedCertificateStore, rhs: BudgetedCertificateStore) -> Bool { lhs === rhs }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
