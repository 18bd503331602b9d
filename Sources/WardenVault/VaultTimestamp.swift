import Foundation

/// Vault's timestamps: RFC 3339 in UTC with up to nine fractional digits (`2026-11-26T09:21:43.945319214Z`), or
/// Go's zero time for "never" (`0001-01-01T00:00:00Z`).
enum VaultTimestamp {
    /// The instant, to the microsecond; `nil` for text that is not such a timestamp, or for Go's zero time.
    static func date(from text: String) -> Date? {
        guard text.utf8.count <= 64 else { return nil }
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: "."),
            let end = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" })
        {
            let digits = text[text.index(after: dot)..<end]
            guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
            fraction = Double("0." + digits) ?? 0
            base = String(text[..<dot]) + String(text[end...])
        }
        guard let seconds = ISO8601DateFormatter().date(from: base) else { return nil }
        if seconds.timeIntervalSince1970 < -62_000_000_000 { return nil }  // Go's zero time: year 1
        return seconds.addingTimeInterval(fraction)
    }
}
