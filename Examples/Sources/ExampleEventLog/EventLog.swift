import Foundation
import Synchronization
public import Warden
public import X509

/// What the mTLS demos (`MTLSRotation`, `WorkloadAPIDemo`) print: a line of text per event, or with `--json` one JSON object per line,
/// `{"t": seconds, "event": "handshake"|"rotation"|"request", "peerID": "...", "serial": "...", "ok": true|false,
/// "error": "..."}`. Notes (start-up, the summary) go to standard error in JSON mode, so that standard output is only
/// events.
public final class EventLog: Sendable {
    private struct State {
        var failedRequests = 0
        var requests = 0
    }

    private let json: Bool
    private let start = ContinuousClock.now
    private let state = Mutex(State())
    private let output = Mutex(FileHandle.standardOutput)

    public init(json: Bool) {
        self.json = json
    }

    public var failedRequests: Int { self.state.withLock { $0.failedRequests } }
    public var requests: Int { self.state.withLock { $0.requests } }

    public func emit(
        _ event: String,
        peerID: String? = nil,
        serial: String? = nil,
        ok: Bool = true,
        error: String? = nil
    ) {
        let elapsed = (ContinuousClock.now - self.start) / .milliseconds(1) / 1000
        if event == "request" {
            self.state.withLock { state in
                state.requests += 1
                if !ok { state.failedRequests += 1 }
            }
        }
        let line: String
        if self.json {
            // In the documented key order, which JSONEncoder does not keep.
            var fields = ["\"t\": \((elapsed * 1000).rounded() / 1000)", "\"event\": \(Self.quoted(event))"]
            if let peerID { fields.append("\"peerID\": \(Self.quoted(peerID))") }
            if let serial { fields.append("\"serial\": \(Self.quoted(serial))") }
            fields.append("\"ok\": \(ok)")
            if let error { fields.append("\"error\": \(Self.quoted(error))") }
            line = "{" + fields.joined(separator: ", ") + "}"
        } else {
            var text =
                String(format: "%7.3fs  ", elapsed) + event.padding(toLength: 10, withPad: " ", startingAt: 0)
                + (ok ? "ok" : "FAILED")
            if let peerID { text += "  \(peerID)" }
            if let serial { text += "  serial \(serial)" }
            if let error { text += "  \(error)" }
            line = text
        }
        self.write(line + "\n")
    }

    /// A line for the reader, not an event.
    public func note(_ text: String) {
        if self.json {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        } else {
            self.write(text + "\n")
        }
    }

    private func write(_ text: String) {
        // Unbuffered, under one lock: lines from the server's and the client's threads never interleave.
        self.output.withLock { try? $0.write(contentsOf: Data(text.utf8)) }
    }

    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// A certificate's serial number as Vault prints it: lowercase hex bytes joined by colons.
    public static func serial(of certificate: Certificate) -> String {
        certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
    }
}

extension EventLog {
    /// Prints a handshake's outcome, from a `SPIFFEPeerVerifier`'s observing callback.
    public func handshake(_ outcome: Result<VerifiedX509SVID, SPIFFEError>) {
        switch outcome {
        case .success(let svid):
            self.emit("handshake", peerID: svid.id.description, serial: EventLog.serial(of: svid.chain[0]))
        case .failure(let error):
            self.emit("handshake", ok: false, error: "\(error)")
        }
    }
}
