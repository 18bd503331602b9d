public import Logging
public import Metrics
public import WardenCore
public import WardenCredentials

extension RotatingCredentialProvider {
    /// Creates a provider whose refresh and retry jitter is drawn from `randomSeed`, so that a test on a
    /// ``ManualClock`` sees the same schedule on every run.
    ///
    /// ```swift
    /// let clock = ManualClock()
    /// let provider = RotatingCredentialProvider(source: source, clock: clock, randomSeed: 42)
    /// ```
    public convenience init(
        source: Source,
        policy: RotationPolicy = RotationPolicy(),
        owner: String? = nil,
        purpose: String? = nil,
        clock: any WardenClock,
        logger: Logger = Logger(label: "warden.credentials"),
        metricsFactory: (any MetricsFactory)? = nil,
        inventory: CredentialInventory? = nil,
        randomSeed: UInt64
    ) {
        self.init(
            source: source,
            policy: policy,
            owner: owner,
            purpose: purpose,
            clock: clock,
            logger: logger,
            metricsFactory: metricsFactory,
            inventory: inventory,
            seed: randomSeed
        )
    }
}
