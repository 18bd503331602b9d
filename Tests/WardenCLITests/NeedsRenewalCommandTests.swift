import Foundation
import Testing
import WardenPKI
import WardenTestServers
import WardenTestSupport

/// `warden cert needs-renewal` keeps `step certificate needs-renewal`'s contract: exit 0 needs renewal, 1 does not, 2
/// no such file, 255 anything else; 66% of the lifetime used by default. (step itself is not installed here: the
/// cases are step's documented arithmetic, on certificates with known lifetimes.)
struct NeedsRenewalCommandTests {
    let directory: TemporaryDirectory

    init() throws {
        self.directory = try TemporaryDirectory()
    }

    /// A certificate valid from `usedDays` ago for `lifetimeDays`.
    func certificate(_ name: String, usedDays: Double, lifetimeDays: Double) throws -> String {
        let notBefore = Date().addingTimeInterval(-usedDays * 86_400)
        let issued = try TestPKI.issue(
            subject: "CN=\(name)",
            notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(lifetimeDays * 86_400)
        )
        return try self.directory.write("\(name).pem", issued.pem)
    }

    func status(_ arguments: [String]) throws -> Int32 {
        try WardenCommandTests.warden(["cert", "needs-renewal"] + arguments).status
    }

    @Test func sixtySixPercentOfTheLifetimeIsTheDefault() throws {
        #expect(try self.status([self.certificate("used-70", usedDays: 70, lifetimeDays: 100)]) == 0)
        #expect(try self.status([self.certificate("used-60", usedDays: 60, lifetimeDays: 100)]) == 1)
        #expect(try self.status([self.certificate("expired", usedDays: 120, lifetimeDays: 100)]) == 0)
    }

    @Test func aPercentageOrADurationMayBeGiven() throws {
        let file = try self.certificate("used-60", usedDays: 60, lifetimeDays: 100)  // 40 days left
        #expect(try self.status([file, "--expires-in", "50%"]) == 0)
        #expect(try self.status([file, "--expires-in", "75%"]) == 1)
        // 40 days left, less the moments since the certificate was made; X.509's whole seconds can put notAfter up
        // to a second later, so the boundary is tested an hour either side.
        #expect(try self.status([file, "--expires-in", "961h"]) == 0)
        #expect(try self.status([file, "--expires-in", "959h"]) == 1)
        #expect(try self.status([file, "--expires-in", "30d"]) == 1)
        #expect(try self.status([file, "--expires-in", "1000h30m"]) == 0)
    }

    @Test func bundleChecksEveryCertificateVerbosePrints() throws {
        let fresh = try self.certificate("fresh", usedDays: 1, lifetimeDays: 100)
        let old = try self.certificate("old", usedDays: 90, lifetimeDays: 100)
        let both = try self.directory.write(
            "both.pem",
            (try String(contentsOfFile: fresh, encoding: .utf8)) + (try String(contentsOfFile: old, encoding: .utf8))
        )
        #expect(try self.status([both]) == 1)
        let verbose = try WardenCommandTests.warden(["cert", "needs-renewal", "--bundle", "--verbose", both])
        #expect(verbose.status == 0)
        #expect(verbose.stdout == "certificate needs renewal\n")
    }

    @Test func aMissingFileIsTwoAndOtherErrors255() throws {
        #expect(try self.status([self.directory.file("absent.pem")]) == 2)
        let garbage = try self.directory.write("garbage.pem", "not a certificate")
        #expect(try self.status([garbage]) == 255)
        let file = try self.certificate("any", usedDays: 1, lifetimeDays: 10)
        #expect(try self.status([file, "--expires-in", "150%"]) == 255)
        #expect(try self.status([file, "--expires-in", "soon"]) == 255)
    }
}
