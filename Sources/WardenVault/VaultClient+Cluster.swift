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

    /// Moves off the node at `failed` to the first other node that `sys/health?standbyok=true` calls healthy (in the
    /// configured order after it), or to the next one when none does; returns the node to use. When another request
    /// moved first, its choice stands: concurrent failures move the client once, not once each.
    func failOver(from failed: Int, reason: VaultError, deadline: NIODeadline) async -> Int {
        let count = self.nodes.count
        var chosen = (failed + 1) % count
        for offset in 1..<count {
            let candidate = (failed + offset) % count
            if await self.isHealthy(self.nodes[candidate], deadline: deadline) {
                chosen = candidate
                break
            }
        }
        return self.move(from: failed, to: chosen, reason: "\(reason.code)")
    }

    /// Makes `to` the node in use if `from` still is; returns the node in use afterwards.
    func move(from: Int, to: Int, reason: String) -> Int {
        let (exchanged, current) = self.nodeInUse.compareExchange(
            expected: from,
            desired: to,
            ordering: .acquiringAndReleasing
        )
        guard exchanged else { return current }
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

    /// Whether `node` answers `sys/health` as an active node or a standby (200 with `standbyok`, 473 a performance
    /// standby), within two seconds and the request's deadline. Sent without a token.
    private func isHealthy(_ node: Node, deadline: NIODeadline) async -> Bool {
        let url = self.url(for: "sys/health", query: ["standbyok": "true", "perfstandbyok": "true"], node: node)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "X-Vault-Request", value: "true")
        let probeDeadline = min(deadline, NIODeadline.now() + .seconds(2))
        do {
            let response = try await self.httpClient.execute(request, deadline: probeDeadline, logger: nil)
            _ = try await response.body.collect(upTo: 64 * 1024)
            return response.status.code == 200 || response.status.code == 473
        } catch {
            return false
        }
    }
}
