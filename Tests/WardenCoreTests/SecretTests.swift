import Foundation
import InMemoryLogging
import Logging
import Synchronization
import Testing
import WardenCore
import WardenTestSupport

@Suite struct SecretTests {
    let value = "s.hunter2-very-secret-token"

    @Test func descriptionsNeverShowTheValue() {
        let secret = Secret(self.value)
        #expect(secret.description == "<redacted>")
        #expect(!secret.debugDescription.contains(self.value))
        #expect(!"\(secret)".contains(self.value))
        #expect(!String(reflecting: secret).contains(self.value))
        #expect(!String(describing: [secret]).contains(self.value))
        #expect(!String(describing: Optional(secret)).contains(self.value))
    }

    @Test func dumpAndMirrorNeverShowTheValue() {
        let secret = Secret(self.value)
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.isEmpty)
        #expect(!dumped.contains(self.value))
        #expect(Mirror(reflecting: secret).children.isEmpty)

        struct Config {
            let name = "db"
            let password: Secret<String>
        }
        var dumpedConfig = ""
        dump(Config(password: secret), to: &dumpedConfig)
        #expect(dumpedConfig.contains("db"))
        #expect(!dumpedConfig.contains(self.value))
    }

    @Test func revealReturnsTheValue() {
        #expect(Secret(self.value).reveal() == self.value)
        #expect(Secret(self.value).map(\.count).reveal() == self.value.count)
    }

    @Test func encodingIsRedactedUnlessAskedExplicitly() throws {
        struct Config: Codable { var token: Secret<String> }
        let config = Config(token: Secret(self.value))

        let redacted = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(redacted == #"{"token":"<redacted>"}"#)

        let encoder = JSONEncoder()
        encoder.userInfo[.revealSecrets] = true
        let revealed = String(decoding: try encoder.encode(config), as: UTF8.self)
        #expect(revealed.contains(self.value))

        let decoded = try JSONDecoder().decode(Config.self, from: Data(revealed.utf8))
        #expect(decoded.token.reveal() == self.value)
    }

    @Test func logMetadataNeverShowsTheValue() {
        let capture = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in capture.recordingEverything }
        let secret = Secret(self.value)
        logger.info(
            "logged in with \(secret)",
            metadata: [
                "token": secret.metadataValue,
                "converted": .stringConvertible(secret),
            ]
        )
        let lines = capture.lines
        #expect(lines.count == 1)
        #expect(lines.allSatisfy { !$0.contains(self.value) })
        #expect(lines.first?.contains("token=<redacted>") == true)
        #expect(lines.first?.contains("converted=<redacted>") == true)
    }
}
