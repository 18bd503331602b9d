import Logging
import Synchronization

/// Renders each log record to one line, metadata included, the way a real handler would print it.
public struct CapturingLogHandler: LogHandler {
    public final class Store: Sendable {
        public init() {}
        private let storage = Mutex<[String]>([])
        public var lines: [String] { self.storage.withLock { $0 } }
        public func append(_ line: String) { self.storage.withLock { $0.append(line) } }
    }

    let store: Store
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(store: Store) { self.store = store }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.store.append("\(event.level) \(event.message) \(rendered)")
    }
}
