import Foundation
import Warden

/// Reads a PEM or DER file, prints who each certificate belongs to and how long it has left, and verifies the first
/// one against a CA file when one is given.
///
///     swift run InspectCertificate Fixtures/example-leaf.pem Fixtures/example-ca.pem
@main
enum InspectCertificate {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard let file = arguments.first else {
            print("usage: InspectCertificate CERTIFICATE_FILE [CA_FILE]")
            exit(2)
        }
        do {
            let decoded = try CertificateDecoder.load(from: file)
            for certificate in decoded {
                let info = try CertificateInfo(certificate)
                let days = Int(info.validity.remaining(at: Date()).components.seconds / 86_400)
                print("\(info.subject.isEmpty ? "(empty subject)" : info.subject)")
                print(
                    "  SPIFFE/URI SANs: \(info.subjectAlternativeNames.uri), DNS SANs: \(info.subjectAlternativeNames.dns)"
                )
                print("  \(info.publicKey), expires \(info.validity.notAfter) (\(days) days left)")
            }
            if let caFile = arguments.dropFirst().first {
                let roots = try CertificateDecoder.load(from: caFile).map(\.certificate)
                do {
                    let chain = try await CertificateChainVerifier(roots: roots).verify(
                        leaf: decoded[0].certificate,
                        intermediates: decoded.dropFirst().map(\.certificate)
                    )
                    print("verified: \(chain.certificates.count) certificates up to a trusted root")
                } catch {
                    print("rejected: \(error.code): \(error.message)")
                }
            }
        } catch let error as PKIError {
            print("\(file): \(error.message)")
            exit(2)
        } catch {
            print("\(file): \(error)")
            exit(2)
        }
    }
}
