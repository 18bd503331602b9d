extension Duration {
    /// A duration as people write one: `90` (seconds), `90s`, `1500ms`, `2m`, `1h`; `nil` when it is not one. The
    /// sign is the caller's to check. Shared by `VAULT_CLIENT_TIMEOUT` and the command line's `--timeout`.
    package static func parsing(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite else { return nil }
            return .milliseconds(Int64(number * scale * 1000))
        }
        guard let seconds = Double(text), seconds.isFinite else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}
