/// What Warden accepts from the Workload API before it parses a certificate: a local agent is trusted to issue
/// identities, not to be bug-free.
public struct WorkloadAPILimits: Sendable, Hashable {
    /// The largest message, in bytes: 4 MiB by default, gRPC's own default. A larger one ends the call with
    /// ``WorkloadAPIError/Code/responseTooLarge``.
    public var maximumMessageSize: Int = 4 << 20
    /// The most X509-SVIDs or JWT-SVIDs in one message: 256 by default.
    public var maximumSVIDs: Int = 256
    /// The most bundles (the workload's own trust domain and federated ones) in one message: 1,024 by default.
    public var maximumBundles: Int = 1024

    /// The defaults.
    public init() {}
}
