public import InMemoryLogging
import Logging

extension InMemoryLogHandler {
    /// A copy that records every level, trace included (the handler's own default is info). Copies share the entries.
    public var recordingEverything: InMemoryLogHandler {
        var copy = self
        copy.logLevel = .trace
        return copy
    }

    /// Each entry as one line, `level message key=value …`, the way a handler that prints would render it, so that a
    /// test can check that no value reaches a log line, metadata included.
    public var lines: [String] {
        self.entries.map { entry in
            let rendered = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return "\(entry.level) \(entry.message) \(rendered.joined(separator: " "))"
        }
    }
}
