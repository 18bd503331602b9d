extension Duration {
    /// A duration as people write one: `90` (seconds), `90s`, `1500ms`, `15m`, `12h`, `30d`, and Go's compound form
    /// (`1h15m`, `2h45m30.5s`, `300ms`, `-1.5h`; units `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, and Warden's `d`), so
    /// that scripts written for Go tools (`step`, Vault) read the same; `nil` when it is not one. The sign is the
    /// caller's to check. Shared by `VAULT_CLIENT_TIMEOUT` and the command line's durations.
    package static func parsing(_ text: String) -> Duration? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else { return nil }
        if rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) {
            guard let seconds = Double(rest), seconds.isFinite else { return nil }
            return Self.seconds(sign * seconds)
        }
        var total = 0.0
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? rest.endIndex
            guard numberEnd > rest.startIndex, let number = Double(rest[..<numberEnd]), number.isFinite else {
                return nil
            }
            rest = rest[numberEnd...]
            // Longest first: `ms` before `m`.
            guard let (suffix, scale) = Self.units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(suffix.count)
            total += number * scale
        }
        return Self.seconds(sign * total)
    }

    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
    ]

    private static func seconds(_ value: Double) -> Duration? {
        // Int64 nanoseconds hold ±292 years.
        guard value.isFinite, abs(value) < 9e9 else { return nil }
        return .nanoseconds(Int64((value * 1e9).rounded()))
    }
}
