import Foundation
import Logging
import Synchronization
public import WardenCore

extension BackoffPolicy {
    /// How the Workload API sources reopen a broken stream: 200 ms doubling to 10 s, full jitter.
    public static let workloadAPIReconnect = BackoffPolicy(
        initialDelay: .milliseconds(200),
        multiplier: 2,
        maximumDelay: .seconds(10),
        minimumDelay: .milliseconds(100),
        jitter: .full
    )
}

/// One Workload API stream kept open for a source: its latest value (or why there is none), reopened with jittered
/// backoff when it breaks, and a call to each listener when what the source serves changes.
final class WorkloadAPIStream<Element: Sendable, Value: Sendable>: Sendable {
    private struct State {
        var outcome: Result<Value, WorkloadAPIError>?
        var lastError: WorkloadAPIError?
        var lastGood: (value: Value, at: Date)?
        var task: Task<Void, Never>?
        var listeners: [@Sendable () -> Void] = []
    }

    private let what: String
    private let logger: Logger
    private let watch: @Sendable () -> AsyncThrowingStream<Element, any Error>
    private let select: @Sendable (Element) -> Result<Value, WorkloadAPIError>
    private let identity: @Sendable (Value) -> String
    private let metrics: WorkloadAPIMetrics
    private let state = Mutex(State())

    /// - Parameters:
    ///   - what: what the stream carries, for logs.
    ///   - watch: opens the stream.
    ///   - select: what the source serves from one message, or why it serves nothing.
    ///   - identity: when two values have the same identity, a message changed nothing the source serves.
    init(
        what: String,
        metrics: WorkloadAPIMetrics,
        logger: Logger,
        watch: @escaping @Sendable () -> AsyncThrowingStream<Element, any Error>,
        select: @escaping @Sendable (Element) -> Result<Value, WorkloadAPIError>,
        identity: @escaping @Sendable (Value) -> String
    ) {
        self.what = what
        self.logger = logger
        self.watch = watch
        self.select = select
        self.identity = identity
        self.metrics = metrics
    }

    var outcome: Result<Value, WorkloadAPIError>? { self.state.withLock { $0.outcome } }
    var lastError: WorkloadAPIError? { self.state.withLock { $0.lastError } }
    /// The last value the stream gave, and when.
    var lastGood: (value: Value, at: Date)? { self.state.withLock { $0.lastGood } }

    /// The stream's value, waiting at most `wait` for its first answer; the stream's failure when it has failed after
    /// giving one. Before the first answer only `invalidRequest` ends the wait early: an agent that is still starting,
    /// or that has not yet synced this workload's entry (`PermissionDenied`), is waited for.
    func value(within wait: Duration, from address: WorkloadAPIAddress) async throws -> Value {
        let deadline = ContinuousClock.now + wait
        while true {
            switch self.outcome {
            case .some(.success(let value)): return value
            case .some(.failure(let error)) where self.lastGood != nil || error.code == .invalidRequest: throw error
            case .some(.failure), .none:
                guard ContinuousClock.now < deadline else {
                    throw WorkloadAPIError(
                        .timeout,
                        "no \(self.what) from \(address) within \(wait); last status: "
                            + (self.lastError?.description ?? "none")
                    )
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    func onChange(_ body: @escaping @Sendable () -> Void) {
        self.state.withLock { $0.listeners.append(body) }
    }

    /// Opens the stream unless it is open; `InvalidArgument` (a bug, not a passing condition) ends the retries.
    func start(backoff policy: BackoffPolicy) {
        self.state.withLock { state in
            guard state.task == nil else { return }
            let watch = self.watch
            let metrics = self.metrics
            state.task = Task { [weak self] in
                var backoff = Backoff(policy: policy)
                var isFirst = true
                while !Task.isCancelled {
                    if !isFirst { metrics.recordReconnect() }
                    isFirst = false
                    do {
                        for try await element in watch() {
                            backoff.reset()
                            self?.record(element)
                        }
                        self?.record(failure: WorkloadAPIError(.unavailable, "the agent ended the stream"))
                    } catch let error as WorkloadAPIError {
                        self?.record(failure: error)
                        if error.code == .invalidRequest { break }
                    } catch {
                        self?.record(failure: WorkloadAPIError(.unavailable, "\(error)"))
                    }
                    guard let delay = backoff.nextDelay() else { break }
                    try? await Task.sleep(for: delay)
                }
                // Ended (a bug the agent refused, or the retries used up): the next fetch opens the stream again.
                self?.state.withLock { $0.task = nil }
            }
        }
    }

    func stop() {
        self.state.withLock { $0.task?.cancel() }
    }

    private func record(_ element: Element) {
        self.metrics.recordUpdate()
        self.record(self.select(element))
    }

    private func record(failure: WorkloadAPIError) {
        self.metrics.recordError(failure)
        self.record(.failure(failure))
    }

    private func record(_ outcome: Result<Value, WorkloadAPIError>) {
        let (changed, listeners) = self.state.withLock { state -> (Bool, [@Sendable () -> Void]) in
            let changed: Bool
            switch (state.outcome, outcome) {
            case (.success(let old), .success(let new)): changed = self.identity(old) != self.identity(new)
            case (.failure(let old), .failure(let new)): changed = old.code != new.code
            default: changed = true
            }
            state.outcome = outcome
            switch outcome {
            case .failure(let error): state.lastError = error
            case .success(let value): state.lastGood = (value, Date())
            }
            return (changed, state.listeners)
        }
        guard changed else { return }
        switch outcome {
        case .success(let value):
            self.logger.info("the Workload API sent a new \(self.what)", metadata: ["value": "\(value)"])
        case .failure(let error):
            self.logger.warning("the Workload API \(self.what) stream failed", metadata: ["error": "\(error)"])
        }
        for listener in listeners { listener() }
    }
}
