import Synchronization
import WardenCore

/// One call to a source, bounded in time and abandonable: the engine's only way of calling a source.
///
/// The call runs in a task of its own. The caller waits for it, for at most `timeout` on the clock's monotonic time,
/// or until the waiting task is cancelled; whichever comes first wins, and the call's task is then cancelled. A source
/// that ignores cancellation therefore cannot hold up the engine, a caller or a shutdown. If such a call still
/// produces a value after it lost, the value goes to `late`, never to the caller.
enum TimedCall {
    static func run<Value: Sendable>(
        timeout: Duration,
        clock: any WardenClock,
        timeoutError: @escaping @Sendable () -> any Error,
        late: @escaping @Sendable (Value) -> Void = { _ in },
        _ operation: @escaping @Sendable () async throws -> Value
    ) async -> Result<Value, any Error> {
        let gate = Gate<Value>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, any Error>, Never>) in
                // Already cancelled: resolved before anything started, and the source is never called.
                guard gate.install(continuation) else { return }
                let work = Task {
                    let result: Result<Value, any Error>
                    do { result = .success(try await operation()) } catch { result = .failure(error) }
                    if !gate.resolve(result, fromWork: true), case .success(let value) = result {
                        late(value)
                    }
                }
                let timer = Task {
                    do { try await clock.sleep(for: timeout) } catch { return }
                    gate.resolve(.failure(timeoutError()), fromWork: false)
                }
                gate.attach(work: work, timer: timer)
            }
        } onCancel: {
            gate.resolve(.failure(CancellationError()), fromWork: false)
        }
    }

    /// Resolves exactly once, then cancels the timer (before the waiter resumes, so that a manual clock no longer
    /// counts it) and, unless the work itself won, the work.
    private final class Gate<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Result<Value, any Error>, Never>?
            var result: Result<Value, any Error>?
            var work: Task<Void, Never>?
            var timer: Task<Void, Never>?
            var workWon = false
        }

        private let state = Mutex(State())

        /// Installs the waiter; `false` (and the waiter resumed) when the call was resolved before it started.
        func install(_ continuation: CheckedContinuation<Result<Value, any Error>, Never>) -> Bool {
            let early = self.state.withLock { state -> Result<Value, any Error>? in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            guard let early else { return true }
            continuation.resume(returning: early)
            return false
        }

        func attach(work: Task<Void, Never>, timer: Task<Void, Never>) {
            let resolved = self.state.withLock { state -> (Bool, Bool) in
                state.work = work
                state.timer = timer
                return (state.result != nil, state.workWon)
            }
            if resolved.0 {
                timer.cancel()
                if !resolved.1 { work.cancel() }
            }
        }

        @discardableResult
        func resolve(_ result: Result<Value, any Error>, fromWork: Bool) -> Bool {
            let taken = self.state.withLock {
                state -> (
                    CheckedContinuation<Result<Value, any Error>, Never>?, Task<Void, Never>?, Task<Void, Never>?
                )? in
                guard state.result == nil else { return nil }
                state.result = result
                state.workWon = fromWork
                defer { state.continuation = nil }
                return (state.continuation, fromWork ? nil : state.work, state.timer)
            }
            guard let (continuation, work, timer) = taken else { return false }
            timer?.cancel()
            work?.cancel()
            continuation?.resume(returning: result)
            return true
        }
    }
}
