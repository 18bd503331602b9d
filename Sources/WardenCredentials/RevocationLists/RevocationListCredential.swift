public import Foundation
public import WardenPKI

extension Credential where Value == RevocationList {
    /// A CRL as the rotation engine holds it: valid from its `thisUpdate` until its `nextUpdate` plus `grace` (a
    /// list without `nextUpdate` counts as due at its `thisUpdate`), refreshed every `refreshInterval` and at the
    /// latest when the next list is due, so that a revocation reaches relying services within one interval.
    ///
    /// Records the list's gauges (``RevocationListMetrics``) as a side effect of nothing: call
    /// ``RevocationListMetrics/record(_:source:factory:)`` from a source that wants them.
    public init(
        revocationList list: RevocationList,
        fetchedAt now: Date,
        refreshInterval: Duration,
        grace: Duration,
        sourceName: String
    ) {
        let due = list.nextUpdate ?? list.base.thisUpdate
        var hint = now.addingTimeInterval(refreshInterval.timeInterval)
        if due > now { hint = min(hint, due) }
        self.init(
            value: list,
            issuedAt: min(list.base.thisUpdate, now),
            expiresAt: due.addingTimeInterval(grace.timeInterval),
            refreshHint: hint,
            metadata: CredentialMetadata(
                sourceName: sourceName,
                kind: "crl",
                identifier: list.delta.flatMap(\.number).map { "\(list.base.number.map(\.description) ?? "?")+\($0)" }
                    ?? list.base.number?.description
            )
        )
    }
}
