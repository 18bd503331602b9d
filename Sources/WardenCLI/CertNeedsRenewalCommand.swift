import ArgumentParser
import Foundation
import WardenCore
import WardenPKI
import X509

/// `warden cert needs-renewal`, with `step certificate needs-renewal`'s contract, so that scripts written for step
/// work unchanged.
struct CertNeedsRenewal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "needs-renewal",
        abstract: "Exit 0 when a certificate needs renewal, 1 when it does not.",
        discussion: """
            As step certificate needs-renewal: a certificate needs renewal when it has used 66% of its lifetime (the \
            default), a given percentage of it (--expires-in 75%), or expires within a given duration \
            (--expires-in 720h, 30d, 1h15m). Only the first certificate of FILE is checked unless --bundle is given. \
            Exit status: 0 needs renewal, 1 does not, 2 FILE does not exist, 255 any other error.
            """
    )

    static let defaultPercentUsed = 66

    @Option(
        name: .customLong("expires-in"),
        help: ArgumentHelp(
            "A percentage of the lifetime used (75%) or a duration left (720h, 30d).",
            valueName: "percent|duration"
        )
    )
    var expiresIn: String?

    @Flag(help: "Check every certificate of the file, in order, not only the first.")
    var bundle = false

    @Flag(name: [.short, .long], help: "Print 'certificate needs renewal' when it does.")
    var verbose = false

    @Argument(help: ArgumentHelp("The certificate file (PEM or DER).", valueName: "file"))
    var file: String

    /// When a certificate needs renewal: a share of its lifetime used, or a time left.
    enum Threshold: Equatable {
        case percentUsed(Int)
        case remaining(Duration)

        init?(_ text: String?) {
            guard let text else {
                self = .percentUsed(CertNeedsRenewal.defaultPercentUsed)
                return
            }
            if text.hasSuffix("%") {
                guard let percent = Int(text.dropLast()), (0...100).contains(percent) else { return nil }
                self = .percentUsed(percent)
            } else {
                guard let duration = Duration.parsing(text) else { return nil }
                self = .remaining(duration)
            }
        }

        /// step's arithmetic: the whole percentage of the lifetime used, in minutes, at least the threshold; or the
        /// duration at least the time left.
        func needsRenewal(notBefore: Date, notAfter: Date, now: Date) -> Bool {
            let remaining = notAfter.timeIntervalSince(now)
            switch self {
            case .percentUsed(let threshold):
                let total = notAfter.timeIntervalSince(notBefore)
                guard total > 0 else { return true }
                let used = (1 - (remaining / 60) / (total / 60)) * 100
                return Int(used) >= threshold
            case .remaining(let duration):
                return duration.timeInterval >= remaining
            }
        }
    }

    func run() async throws {
        guard let threshold = Threshold(self.expiresIn) else {
            Output.error(
                "warden: --expires-in '\(self.expiresIn ?? "")' is neither a percentage (0-100%) nor a duration"
            )
            throw ExitCode(255)
        }
        guard FileManager.default.fileExists(atPath: self.file) else {
            Output.error("warden: \(self.file): no such file")
            throw ExitCode(2)
        }
        let certificates: [Certificate]
        do {
            certificates = try CertificateDecoder.load(from: self.file).map(\.certificate)
        } catch {
            _ = Output.inputFailure(error, file: self.file)
            throw ExitCode(255)
        }
        let now = Date()
        for certificate in self.bundle ? certificates : Array(certificates.prefix(1))
        where threshold.needsRenewal(
            notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter,
            now: now
        ) {
            if self.verbose { Output.line("certificate needs renewal") }
            return
        }
        throw ExitCode(1)
    }
}
