public import WardenCredentials
public import WardenSPIFFE
import X509

/// An X509-SVID the Workload API issued to this workload: the checked SVID (chain and key), its trust domain's bundle
/// as the agent sent it, and the operator's hint.
///
/// The description names the SPIFFE ID, the serial and the expiry, never the key.
public struct WorkloadX509SVID: Sendable, CustomStringConvertible {
    /// The SVID: its SPIFFE ID, chain (leaf first) and private key, checked by the X509-SVID rules.
    public let svid: WardenSPIFFE.X509SVID
    /// The X.509 authorities of the SVID's trust domain, sent with it.
    public let bundle: X509Bundle
    /// The operator's name for this SVID among several (`hint`), empty when none was given.
    public let hint: String

    /// The SPIFFE ID.
    public var id: SPIFFEID { self.svid.id }

    /// The SVID as the rotation engine and WardenNIOSSL's reloader take it.
    public var certificateAndKey: CertificateAndKey {
        CertificateAndKey(
            chain: self.svid.certificates,
            privateKey: self.svid.privateKey,
            bundle: self.bundle.authorities
        )
    }

    public var description: String {
        "WorkloadX509SVID(\(self.id), serial: \(self.svid.leaf.serialNumber), expires: \(self.svid.leaf.notValidAfter))"
    }
}

/// One answer of `FetchX509SVID`: every X509-SVID the workload may use, the default first, and the X.509 bundles it
/// should trust (its own trust domain's and each federated one's).
public struct X509Context: Sendable, CustomStringConvertible {
    /// The SVIDs, at least one; the first is the default.
    public let svids: [WorkloadX509SVID]
    /// The X.509 bundles by trust domain: each SVID's own, and the federated ones.
    public let bundles: [TrustDomain: X509Bundle]

    /// The default SVID, the agent's first.
    public var defaultSVID: WorkloadX509SVID { self.svids[0] }

    public var description: String {
        "X509Context(svids: \(self.svids.map(\.id.description)), bundles: \(self.bundles.keys.sorted()))"
    }
}
