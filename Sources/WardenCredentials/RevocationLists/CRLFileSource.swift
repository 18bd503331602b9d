import Foundation
public import WardenCore
public import WardenPKI

/// A CRL read from a file (PEM or DER), for the rotation engine: re-read every `rereadInterval` and when the list is
/// due, kept until its `nextUpdate` plus `grace`.
///
/// A second file, `deltaPath`, may hold the delta CRL to use with it; the pair is checked as ``RevocationList``
/// checks it. The signature is checked by the verifier that uses the list, against the issuer of the certificate
/// being checked.
public struct CRLFileSource: CredentialSource {
    public typealias Value = RevocationList

    public let path: String
    public let deltaPath: String?
    public let rereadInterval: Duration
    public let grace: Duration
    public let limits: CRLLimits
    private let clock: any WardenClock

    public init(
        path: String,
        deltaPath: String? = nil,
        rereadInterval: Duration = .seconds(60),
        grace: Duration = .seconds(3600),
        limits: CRLLimits = .default,
        clock: any WardenClock = SystemClock()
    ) {
        self.path = path
        self.deltaPath = deltaPath
        self.rereadInterval = rereadInterval
        self.grace = grace
        self.limits = limits
        self.clock = clock
    }

    public var name: String { "crl-file:\(self.path)" }

    public func fetch() async throws -> Credential<RevocationList> {
        let base = try CRLDecoder.load(from: self.path, limits: self.limits)
        guard base.count == 1 else {
            throw PKIError(.unexpectedObject, "'\(self.path)' holds \(base.count) CRLs; a CRL file source reads one")
        }
        let delta = try self.deltaPath.map { path throws(PKIError) in
            try CRLDecoder.crl(from: PKIFile.read(path, maximumSize: self.limits.maximumSize * 2), limits: self.limits)
        }
        let list = try RevocationList(base: base[0], delta: delta, location: self.path)
        RevocationListMetrics.record(list, source: self.name)
        return Credential(
            revocationList: list,
            fetchedAt: self.clock.now,
            refreshInterval: self.rereadInterval,
            grace: self.grace,
            sourceName: self.name
        )
    }
}
