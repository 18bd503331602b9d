public import Foundation

/// What changed when a provider got a new value.
public struct RotationEvent<Value: Sendable>: Sendable {
    /// The kind of change.
    public enum Kind: String, Hashable, Sendable {
        /// The first value.
        case initial
        /// A different credential replaced the old one; the old one stays valid until it expires, so both overlap.
        case rotated
        /// The same credential was extended in place.
        case renewed
        /// The provider shut down and revoked its credential.
        case revoked
    }

    /// The kind of change.
    public let kind: Kind
    /// The credential before the change; `nil` for ``Kind/initial``.
    public let old: Credential<Value>?
    /// The credential after the change; `nil` for ``Kind/revoked``.
    public let new: Credential<Value>?
    /// When the change happened.
    public let date: Date
}
