import AsyncHTTPClient
import Foundation
import Metrics
import NIOCore
import Synchronization

// MARK: high availability: one node at a time, the next healthy one when it fails

extension VaultClient {
    /// One of ``VaultConfiguration/addresses``, parsed.
    struct Node: Sendable, Equatable {
        let address: String
        let scheme: String
        /// The name requests carry: the address's host, or the TLS server name.
        let host: String
        let port: Int
        let path: String

        func isOrigin(of url: URL) -> Bool {
            url.scheme?.lowercased() == self.scheme && url.host == self.host
                && (url.port ?? (self.scheme == "https" ? 443 : 80)) == self.port
        }
    }

    /// The address requests go to now: the first of ``VaultConfiguration/addresses`` until it fails.
    public var currentAddress: String {
        self.nodes[self.nodeInUse.load(ordering: .acquiring)].address
    }

    /// How many times the client has moved to another node because the one in use failed (or redirected to another).
    public var failovers: Int { self.failoverCount.load(ordering: .relaxed) }

    /// How many answers said a leader election was under way (a standby with no active node to forward to).
    public var electionsSeen: Int { self.electionCount.load(ordering: .relaxed) }

    /// Whether a failure is the node's rather than the request's: the next healthy node may answer it.
    static func isNodeFailure(_ error: VaultError) -> Bool {
        switch error.code {
        case .transport, .unavailable, .sealed, .standby: true
        default: false
        }
    }

    /// Moves off the node at `failed`: to the active node if one of the others says it is, else to the first other
    /// node that answers as a standby (in the configured order after the failed one), else to the next one; returns
    /// the node to use. When another request moved first, its choice stands: concurrent failures move the client once.
    /// A standby chosen during an election is left for the active node as soon as one answers (``moveToActiveIfDue(deadline:)``),
    /// so that reads go where the writes before them went.
    func failOver(from failed: Int, reason: VaultError, deadline: NIODeadline) async -> Int {
        // Another request moved already: take its choice without probing again.
        let current = self.nodeInUse.load(ordering: .acquiring)
        guard current == failed else { return current }
        let count = self.nodes.count
        var chosen = (failed + 1) % count
        var standby: Int?
        for offset in 1..<count {
            let candidate = (failed + offset) % count
            switch await self.role(of: self.nodes[candidate], deadline: deadline) {
            case .active?:
                return self.move(from: failed, to: candidate, reason: "\(reason.code)", toStandby: false)
            case .standby?:
                if standby == nil { standby = candidate }
            case nil:
                continue
            }
        }
        if let standby { chosen = standby }
        return self.move(from: failed, to: chosen, reason: "\(reason.code)", toStandby: true)
    }

    /// When the node in use was chosen as a standby, asks the nodes (at most every half second) whether one is active
    /// now, and moves there.
    func moveToActiveIfDue(deadline: NIODeadline) async {
        let now = ContinuousClock.now
        let due = self.activeCheck.withLock { check -> Bool in
            guard let next = check, now >= next else { return false }
            check = now + .milliseconds(500)
            return true
        }
        guard due else { return }
        let current = self.nodeInUse.load(ordering: .acquiring)
        for (index, node) in self.nodes.enumerated() {
            if await self.role(of: node, deadline: deadline) == .active {
                if index != current {
                    _ = self.move(from: current, to: index, reason: "active node found", toStandby: false)
                }
                self.activeCheck.withLock { $0 = nil }
                return
            }
        }
    }

    /// Makes `to` the node in use if `from` still is; returns the node in use afterwards.
    func move(from: Int, to: Int, reason: String, toStandby: Bool) -> Int {
        let (exchanged, current) = self.nodeInUse.compareExchange(
            expected: from,
            desired: to,
            ordering: .acquiringAndReleasing
        )
        guard exchanged else { return current }
        self.activeCheck.withLock { $0 = toStandby ? ContinuousClock.now + .milliseconds(500) : nil }
        self.failoverCount.add(1, ordering: .relaxed)
        Counter(label: "warden_vault_failovers_total").increment()
        Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[from].address)]).record(0)
        Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[to].address)]).record(1)
        self.logger.warning(
            "Vault node failed; moved to another",
            metadata: ["from": "\(self.nodes[from].address)", "to": "\(self.nodes[to].address)", "reason": "\(reason)"]
        )
        return to
    }

    /// Notes an answer that says a leader election is under way.
    func noteElection() {
        self.electionCount.add(1, ordering: .relaxed)
        Counter(label: "warden_vault_elections_seen_total").increment()
    }

    enum Role { case active, standby }

    /// What `node` answers `sys/health` (no token, within two seconds and the request's deadline): active (200), a
    /// standby (429, or 473 for a performance standby), or nil (sealed, uninitialized, or no answer).
    func role(of node: Node, deadline: NIODeadline) async -> Role? {
        let url = self.url(for: "sys/health", query: [:], node: node)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "X-Vault-Request", value: "true")
        let probeDeadline = min(deadline, NIODeadline.now() + .seconds(2))
        do {
            let response = try await self.httpClient.execute(request, deadline: probeDeadline, logger: nil)
            _ = try await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200: return .active
            case 429, 473: return .standby
            default: return nil
            }
        } catch {
            return nil
        }
    }
}
