import Foundation
import Testing
import WardenCore
import WardenTesting

@Suite struct ValidityWindowTests {
    let start = Date(timeIntervalSince1970: 1_000_000)
    var window: ValidityWindow { ValidityWindow(notBefore: self.start, notAfter: self.start.addingTimeInterval(1000)) }

    @Test func containsBothEndsAndNothingOutside() {
        #expect(self.window.contains(self.start))
        #expect(self.window.contains(self.start.addingTimeInterval(1000)))
        #expect(!self.window.contains(self.start.addingTimeInterval(-0.001)))
        #expect(!self.window.contains(self.start.addingTimeInterval(1000.001)))
        #expect(self.window.isExpired(at: self.start.addingTimeInterval(1000.001)))
        #expect(!self.window.isExpired(at: self.start.addingTimeInterval(1000)))
        #expect(self.window.isNotYetValid(at: self.start.addingTimeInterval(-1)))
    }

    @Test func lifetimeRemainingAndFraction() {
        #expect(self.window.lifetime == .seconds(1000))
        #expect(self.window.remaining(at: self.start.addingTimeInterval(250)) == .seconds(750))
        #expect(self.window.remaining(at: self.start.addingTimeInterval(5000)) == .zero)
        #expect(self.window.fractionElapsed(at: self.start.addingTimeInterval(250)) == 0.25)
        #expect(self.window.fractionElapsed(at: self.start.addingTimeInterval(-5)) == 0)
        #expect(self.window.fractionElapsed(at: self.start.addingTimeInterval(5000)) == 1)
        let empty = ValidityWindow(notBefore: self.start, notAfter: self.start.addingTimeInterval(-1))
        #expect(empty.lifetime == .zero)
        #expect(empty.fractionElapsed(at: self.start) == 1)
        #expect(
            ValidityWindow(issued: self.start, duration: .seconds(60)).notAfter == self.start.addingTimeInterval(60)
        )
    }

    @Test func refreshDateStaysWithinTheFractionsAndSpreads() {
        var generator = SeededRandomNumberGenerator(seed: 42)
        var offsets: [Double] = []
        for _ in 0..<2000 {
            let date = self.window.refreshDate(using: &generator)
            offsets.append(date.timeIntervalSince(self.start))
        }
        #expect(offsets.allSatisfy { $0 >= 500 && $0 <= 670 })
        // Jitter must actually spread a fleet: both ends of the range are reached.
        #expect(offsets.min()! < 510)
        #expect(offsets.max()! > 660)
    }

    @Test func refreshDateIsDeterministicForASeed() {
        var first = SeededRandomNumberGenerator(seed: 7)
        var second = SeededRandomNumberGenerator(seed: 7)
        for _ in 0..<10 {
            #expect(self.window.refreshDate(using: &first) == self.window.refreshDate(using: &second))
        }
    }

    @Test func refreshDateClampsOddRanges() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        #expect(self.window.refreshDate(between: 0.8...0.8, using: &generator) == self.start.addingTimeInterval(800))
        let clamped = self.window.refreshDate(between: 1.5...3, using: &generator)
        #expect(clamped == self.window.notAfter)
    }
}

@Suite struct WardenErrorTests {
    struct SampleError: WardenError {
        let code: String
        let message: String
    }

    @Test func errorsCompareAndHashByCodeOnly() {
        let a = SampleError(code: "expired", message: "at noon")
        let b = SampleError(code: "expired", message: "at midnight")
        let c = SampleError(code: "revoked", message: "at noon")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect(a.description == "expired: at noon")
    }
}
