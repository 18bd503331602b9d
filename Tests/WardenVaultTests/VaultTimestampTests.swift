import Foundation
import Testing

@testable import WardenVault

/// Vault's timestamps, without a server: the forms OpenBao and Vault write, and what is not a timestamp.
@Suite struct VaultTimestampTests {
    @Test func nanosecondsAreReadToTheMicrosecond() throws {
        let date = try #require(VaultTimestamp.date(from: "2018-03-22T02:24:06.945319214Z"))
        #expect(abs(date.timeIntervalSince1970 - 1_521_685_446.945319) < 1e-5)
    }

    @Test func wholeSecondsAndOffsets() throws {
        #expect(VaultTimestamp.date(from: "2018-03-22T02:24:06Z")?.timeIntervalSince1970 == 1_521_685_446)
        #expect(VaultTimestamp.date(from: "2018-03-22T04:24:06.5+02:00")?.timeIntervalSince1970 == 1_521_685_446.5)
    }

    @Test(arguments: [
        "", "yesterday", "0001-01-01T00:00:00Z", "2018-03-22T02:24:06.Z", "2018-03-22T02:24:06.1234567890Z",
        String(repeating: "9", count: 100),
    ])
    func notATimestampIsNil(_ text: String) {
        #expect(VaultTimestamp.date(from: text) == nil)
    }
}
