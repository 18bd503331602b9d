import Testing

@testable import WardenCore

/// The one duration parser: Warden's `90s`/`30d` and Go's compound form, as `step` and Vault write durations.
struct DurationParsingTests {
    @Test(arguments: [
        ("90", Duration.seconds(90)), ("90s", .seconds(90)), ("1500ms", .milliseconds(1500)), ("15m", .seconds(900)),
        ("12h", .seconds(43_200)), ("30d", .seconds(2_592_000)), ("1h15m", .seconds(4500)),
        ("2h45m30.5s", .milliseconds(9_930_500)), ("-1.5h", .seconds(-5400)), ("300us", .microseconds(300)),
        ("300µs", .microseconds(300)), ("7ns", .nanoseconds(7)), ("0.5", .milliseconds(500)),
    ])
    func parses(_ text: String, _ expected: Duration) {
        #expect(Duration.parsing(text) == expected, "\(text)")
    }

    @Test(arguments: ["", "s", "h1", "1x", "1h-5m", "1..5s", "1e3s", "-", "1 h", "inf", "nan", "99999999999999d"])
    func refuses(_ text: String) {
        #expect(Duration.parsing(text) == nil, "\(text)")
    }
}
