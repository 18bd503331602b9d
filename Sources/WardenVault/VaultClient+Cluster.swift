import AsyncHTTPClient
import Foundation
import Metrics
import NIOCore
import NIOHTTP1
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

    /// What the client knows of the node in use: whether it is the active one, and the search for it.
    struct ActiveNodeSearch: Sendable {
        /// While the node in use is not known to be active (before the first request, or a standby taken during an
        /// election): the earliest time to look for the active node again. `nil` once the node in use is active.
        var nextCheck: ContinuousClock.Instant?
        /// The search under way; requests arriving meanwhile wait for its answer instead of asking again.
        var inFlight: Task<Void, Never>?
        /// Whether no search has ended yet: the first choice of a node is not a failover.
        var isFirst: Bool
    }

    /// Whether the node in use is known to be the active one (always, with one address: a load balancer's business).
    var isOnActiveNode: Bool { self.activeSearch.withLock { $0.nextCheck == nil } }

    /// Whether a request is a read that must go to the active node. Since OpenBao 2.5 a standby answers reads from its
    /// own copy, which may lag the active node's: a token just made by a login, a secret just written. Reads of the
    /// node's own state (`sys/health`, `sys/seal-status`, `sys/leader`) may go anywhere.
    func requiresActiveNode(_ method: HTTPMethod, _ path: String) -> Bool {
        guard self.nodes.count > 1, method == .GET || method.rawValue == "LIST" else { return false }
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        return !["sys/health", "sys/seal-status", "sys/leader"].contains { trimmed.hasPrefix($0) }
    }

    /// Moves off the node at `failed`: to the active node if one of the others says it is, else to the first other
    /// node that answers as a standby (in the configured order after the failed one), else to the next one; returns
    /// the node to use. When another request moved first, its choice stands: concurrent failures move the client once.
    /// A standby chosen during an election is left for the active node as soon as one answers
    /// (``findActiveNodeIfDue()``); until then it takes writes (it forwards them) but no reads.
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

    /// When the node in use is not known to be active, asks every node `sys/health` at once and moves to the active
    /// one. At most one search runs at a time, and one starts at most every half second; a request arriving during a
    /// search waits for its answer (two seconds at most), so that the first reads of a new client are not turned away.
    func findActiveNodeIfDue() async {
        let now = ContinuousClock.now
        let search = self.activeSearch.withLock { state -> Task<Void, Never>? in
            if let inFlight = state.inFlight { return inFlight }
            guard let next = state.nextCheck, now >= next else { return nil }
            state.nextCheck = now + .milliseconds(500)
            let task = Task { await self.searchActiveNode() }
            state.inFlight = task
            return task
        }
        await search?.value
    }

    private func searchActiveNode() async {
        let deadline = NIODeadline.now() + .seconds(2)
        let active = await withTaskGroup(of: (Int, Role?).self) { group in
            for (index, node) in self.nodes.enumerated() {
                group.addTask { (index, await self.role(of: node, deadline: deadline)) }
            }
            var active: Int?
            for await (index, role) in group where role == .active {
                active = min(active ?? index, index)
            }
            return active
        }
        let isFirst = self.activeSearch.withLock { state in
            defer { state.isFirst = false }
            return state.isFirst
        }
        if let active {
            let current = self.nodeInUse.load(ordering: .acquiring)
            if active == current {
                self.activeSearch.withLock { $0.nextCheck = nil }
            } else if isFirst {
                self.choose(from: current, to: active)
            } else {
                _ = self.move(from: current, to: active, reason: "active node found", toStandby: false)
            }
        }
        self.activeSearch.withLock { $0.inFlight = nil }
    }

    /// The first choice of a new client: the active node, whichever of the addresses it is. Not a failover.
    private func choose(from: Int, to: Int) {
        guard self.nodeInUse.compareExchange(expected: from, desired: to, ordering: .acquiringAndReleasing).exchanged
        else { return }
        self.activeSearch.withLock { $0.nextCheck = nil }
        Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[to].address)]).record(1)
        self.logger.info("Vault active node chosen", metadata: ["address": "\(self.nodes[to].address)"])
    }

    /// Makes `to` the node in use if `from` still is; returns the node in use afterwards.
    func move(from: Int, to: Int, reason: String, toStandby: Bool) -> Int {
        let (exchanged, current) = self.nodeInUse.compareExchange(
            expected: from,
            desired: to,
            ordering: .acquiringAndReleasing
        )
        guard exchanged else { return current }
        self.activeSearch.withLock { $0.nextCheck = toStandby ? ContinuousClock.now + .milliseconds(500) : nil }
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
