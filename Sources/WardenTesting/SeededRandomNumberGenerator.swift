import WardenCore

/// A fast, deterministic random number generator (SplitMix64) for reproducible jitter in tests and simulations.
///
/// Not for cryptographic use. In production, use `SystemRandomNumberGenerator`, the default everywhere Warden
/// draws jitter.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var base: SplitMix64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        self.base = SplitMix64(seed: seed)
    }

    /// Returns the next value of the sequence.
    public mutating func next() -> UInt64 {
        self.base.next()
    }
}
