import Foundation
import Warden
import X509

/// The fixtures `compare.sh` writes with `openssl`, so that Warden and the OpenSSL harness measure the same bytes.
public struct Fixtures: Sendable {
    public let leafDER: [UInt8]
    public let rsaRootDER: [UInt8]
    public let chainRoot: Certificate
    public let chainIntermediate: Certificate
    public let chainLeaf: Certificate
    public let csrKey: PrivateKey
    public let verificationTime: Date
    /// A JWT-SVID (ES256) the OpenSSL harness minted with `jwtKey`, kid `bench`, audience `bench`.
    public let jwtToken: String
    public let jwtKey: PrivateKey
    /// A CRL of 100,000 entries from the chain's intermediate, none of them the leaf.
    public let crl100kDER: [UInt8]

    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".fixtures").path

    /// The fixtures, read once; a missing file stops the program with what to run.
    public static let shared: Fixtures = {
        do {
            return try Fixtures.load()
        } catch {
            fatalError(
                "benchmark fixtures missing in \(Self.directory): run Benchmarks/compare.sh, which makes them (\(error))"
            )
        }
    }()

    static func load() throws -> Fixtures {
        func read(_ name: String) throws -> [UInt8] {
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/\(name)")))
        }
        func certificate(_ name: String) throws -> Certificate {
            try CertificateDecoder.decodeAll(read(name))[0].certificate
        }
        return Fixtures(
            leafDER: try read("leaf.der"),
            rsaRootDER: try read("rsa-root.der"),
            chainRoot: try certificate("root.pem"),
            chainIntermediate: try certificate("intermediate.pem"),
            chainLeaf: try certificate("leaf.der"),
            csrKey: try PrivateKey.load(from: "\(Self.directory)/csr-key.pem"),
            verificationTime: Date(),
            jwtToken: String(decoding: try read("token.jwt"), as: UTF8.self),
            jwtKey: try PrivateKey.load(from: "\(Self.directory)/jwt-key.pem"),
            crl100kDER: try read("crl-100k.der")
        )
    }
}
