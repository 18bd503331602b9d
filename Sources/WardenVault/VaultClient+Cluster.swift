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

    /// The node in use: with several addresses, the one found active before the first request (the first address
    /// until then), and after it fails the next active one, or during an election a standby that is sent nothing until
    /// the client finds the active node.
    public var currentAddress: String {
        self.nodes[self.nodeInUse].address
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

    /// The node in use and what the client knows of it, changed together under one lock: a request must never see the
    /// node of one change with the knowledge of another.
    struct ClusterState: Sendable {
        /// The index of the node requests go to.
        var inUse = 0
        /// Whether the node in use has answered `sys/health` as active (or served a request redirected to it as the
        /// active node) since it was taken. Always true with one address: a load balancer's business.
        var isActive: Bool
        /// While the node in use is not known to be active: the earliest time to look for the active node again.
        var nextCheck: ContinuousClock.Instant?
        /// The search under way, and the requests waiting for its answer.
        var inFlight = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        /// Whether no node has been chosen yet (found active, or failed over to): the first choice is not a failover.
        var isFirst = true

        init(nodeCount: Int) {
            // With several addresses the first may be a standby: the first request looks for the active node.
            self.isActive = nodeCount == 1
            self.nextCheck = nodeCount == 1 ? nil : ContinuousClock.now
        }
    }

    /// The index of the node in use.
    var nodeInUse: Int { self.cluster.withLock { $0.inUse } }

    /// The node in use if it is known to be active, else nil.
    var activeNodeInUse: Int? { self.cluster.withLock { $0.isActive ? $0.inUse : nil } }

    /// Whether a request must go to a node known to be active. Since OpenBao 2.5 a standby answers whatever does not
    /// write (reads, and requests such as transit's `decrypt` or a token lookup) from its own copy, which may lag the
    /// active node's: a secret just written, a token just made by a login. Requests about the node itself
    /// (`sys/health`, `sys/seal-status`, `sys/leader`) may go anywhere.
    func requiresActiveNode(_ path: String) -> Bool {
        guard self.nodes.count > 1 else { return false }
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        return !["sys/health", "sys/seal-status", "sys/leader"].contains { trimmed.hasPrefix($0) }
    }

    /// Moves off the node at `failed`: to the active node if one of the others says it is, else to the first other
    /// node that answers as a standby (in the configured order after the failed one), else to the next one; returns
    /// the node to use. When another request moved first, its choice stands: concurrent failures move the client once.
    /// A standby chosen during an election is not sent requests: they wait while the client looks for the active node
    /// (``findActiveNodeIfDue(deadline:)``, at most every half second while requests wait) and go there as soon as one
    /// answers.
    func failOver(from failed: Int, reason: VaultError, deadline: NIODeadline) async -> Int {
        // Another request moved already: take its choice without probing again.
        let current = self.nodeInUse
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

    /// When the node in use is not known to be active, asks every node `sys/health` at once and moves to the first
    /// that answers as active. One search runs at a time, and a request starts one at most every half second; a
    /// request arriving during a search waits for its answer (so that a new client's first requests are not turned
    /// away) until the search ends (two seconds at most), the request's `deadline` passes, or it is cancelled.
    func findActiveNodeIfDue(deadline: NIODeadline) async {
        let now = ContinuousClock.now
        let start = self.cluster.withLock { state -> Bool? in
            if state.inFlight { return false }
            guard let next = state.nextCheck, now >= next else { return nil }
            state.nextCheck = now + .milliseconds(500)
            state.inFlight = true
            return true
        }
        guard let start else { return }
        if start {
            // The search's own time, not the request's: requests of every deadline wait for it.
            let searchDeadline = NIODeadline.now() + .seconds(2)
            Task { await self.searchActiveNode(deadline: searchDeadline) }
        }
        let id = self.cluster.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        // Ends the wait at the request's deadline; removal under the lock makes the one resumption exclusive.
        let timer = Task {
            let left = (deadline - NIODeadline.now()).nanoseconds
            if left > 0 { try? await Task.sleep(for: .nanoseconds(left)) }
            self.cluster.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waits = self.cluster.withLock { state in
                    guard state.inFlight, !Task.isCancelled, NIODeadline.now() < deadline else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !waits { continuation.resume() }
            }
        } onCancel: {
            self.cluster.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func searchActiveNode(deadline: NIODeadline) async {
        let searchedFrom = self.nodeInUse
        let active = await withTaskGroup(of: (Int, Role?).self) { group in
            for (index, node) in self.nodes.enumerated() {
                group.addTask { (index, await self.role(of: node, deadline: deadline)) }
            }
            for await (index, role) in group where role == .active {
                group.cancelAll()  // the others' answers are not needed
                return Optional(index)
            }
            return nil
        }
        var moved: (from: Int, to: Int, isFirst: Bool)?
        let waiters = self.cluster.withLock { state in
            let isFirst = state.isFirst
            state.inFlight = false
            // A request that failed over meanwhile made its own choice; this answer is about the node it left.
            if let active, state.inUse == searchedFrom {
                state.isFirst = false
                if active != state.inUse || isFirst { moved = (state.inUse, active, isFirst) }
                state.inUse = active
                state.isActive = true
                state.nextCheck = nil
            }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        if let moved {
            if moved.isFirst {
                Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[moved.to].address)])
                    .record(1)
                if moved.from != moved.to {
                    self.logger.info(
                        "Vault active node chosen",
                        metadata: ["address": "\(self.nodes[moved.to].address)"]
                    )
                }
            } else {
                self.noteMove(from: moved.from, to: moved.to, reason: "active node found")
            }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Makes `to` the node in use if `from` still is (`toStandby`: a node not known to be active); returns the node in
    /// use afterwards.
    func move(from: Int, to: Int, reason: String, toStandby: Bool) -> Int {
        let current = self.cluster.withLock { state -> Int? in
            guard state.inUse == from else { return state.inUse }
            state.inUse = to
            state.isFirst = false
            state.isActive = !toStandby
            state.nextCheck = toStandby ? ContinuousClock.now + .milliseconds(500) : nil
            return nil
        }
        if let current { return current }
        self.noteMove(from: from, to: to, reason: reason)
        return to
    }

    /// The node at `index`, if in use, is known to be active now (it served a request a standby redirected to it).
    func confirmActive(_ index: Int) {
        self.cluster.withLock { state in
            guard state.inUse == index else { return }
            state.isActive = true
            state.nextCheck = nil
        }
    }

    /// The node at `index`, if in use, is no longer known to be active (it redirected a write elsewhere): the next
    /// request looks for the active node first.
    func forgetActive(_ index: Int) {
        self.cluster.withLock { state in
            guard state.inUse == index, state.isActive else { return }
            state.isActive = false
            state.nextCheck = ContinuousClock.now
        }
    }

    private func noteMove(from: Int, to: Int, reason: String) {
        self.failoverCount.add(1, ordering: .relaxed)
        Counter(label: "warden_vault_failovers_total").increment()
        Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[from].address)]).record(0)
        Gauge(label: "warden_vault_node_in_use", dimensions: [("address", self.nodes[to].address)]).record(1)
        self.logger.warning(
            "Vault node failed; moved to another",
            metadata: ["from": "\(self.nodes[from].address)", "to": "\(self.nodes[to].address)", "reason": "\(reason)"]
        )
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
