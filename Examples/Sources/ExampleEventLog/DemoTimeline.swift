import Foundation
import Synchronization
import Warden

/// Requests served and failed, counted from many tasks at once: what the Vault demos report.
public final class RequestCounters: Sendable {
    private let served = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init() {}

    public var ok: Int { self.served.load(ordering: .relaxed) }
    public var failed: Int { self.refused.load(ordering: .relaxed) }

    public func recordSuccess() { self.served.add(1, ordering: .relaxed) }
    public func recordFailure() { self.refused.add(1, ordering: .relaxed) }
}

/// What the Vault demos (`VaultOutageDemo`, `VaultFailoverDemo`) print: readable lines, or with `--json` one JSON object
/// per line, `{"t": seconds, "event": "...", "status": "...", "requestsOK": n, "requestsFailed": n}`, with `"node"`
/// too when the demo names one. A reader that goes away (`| head`) calls ``onOutputClosed``.
public final class DemoTimeline: Sendable {
    public let json: Bool
    private let start = Mutex(ContinuousClock.now)
    private let outputClosed = Mutex<(@Sendable () -> Void)?>(nil)

    public init(json: Bool) { self.json = json }

    /// Called when standard output is gone (the reader exited).
    public var onOutputClosed: (@Sendable () -> Void)? {
        get { self.outputClosed.withLock { $0 } }
        set { self.outputClosed.withLock { $0 = newValue } }
    }

    /// Counts from now: the timeline starts when the service starts, after the set-up.
    public func restart() { self.start.withLock { $0 = ContinuousClock.now } }

    /// Seconds since the start.
    public var elapsed: Double {
        (ContinuousClock.now - self.start.withLock { $0 }) / .milliseconds(1) / 1000
    }

    public func emit(_ event: String, node: String? = nil, status: String, _ counters: RequestCounters? = nil) {
        let t = (self.elapsed * 10).rounded() / 10
        if self.json {
            var object: [String: JSONValue] = [
                "t": .number(String(t)), "event": .string(event), "status": .string(status),
                "requestsOK": .number(counters?.ok ?? 0), "requestsFailed": .number(counters?.failed ?? 0),
            ]
            if let node { object["node"] = .string(node) }
            print(JSONValue.object(object).description)
        } else {
            let counts = counters.map { "  [ok \($0.ok), failed \($0.failed)]" } ?? ""
            let nodeColumn = node.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) + "  " } ?? ""
            print(
                String(format: "%5.1fs  ", t) + nodeColumn + status.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + "  \(event)\(counts)"
            )
        }
        if fflush(nil) != 0 { self.onOutputClosed?() }
    }

    /// A line a second in JSON; the readable timeline prints events only.
    public func tick(node: String? = nil, status: String, _ counters: RequestCounters) {
        if self.json { self.emit("tick", node: node, status: status, counters) }
    }
}
