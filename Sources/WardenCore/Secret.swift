public import Logging

/// A value that must never be printed, logged or encoded by accident: a token, a password, a private key.
///
/// `description`, `debugDescription`, `dump`, string interpolation, swift-log metadata and `Encodable` all show
/// ``redactedPlaceholder`` instead of the value. Read the value with ``reveal()``, which is easy to find in review.
///
/// ```swift
/// let token = Secret("s.abc123")
/// logger.info("logged in", metadata: ["token": token.metadataValue])   // token=<redacted>
/// request.headers.add(name: "X-Vault-Token", value: token.reveal())
/// ```
///
/// Encoding reveals the value only when the encoder opts in explicitly with
/// `CodingUserInfoKey/revealSecrets` in its `userInfo`; decoding always reads the plain value, so a configuration
/// file can hold a secret.
public struct Secret<Value: Sendable>: Sendable {
    /// The text shown wherever the value would have been.
    public static var redactedPlaceholder: String { "<redacted>" }

    private let value: Value

    /// Wraps a value so that it never prints.
    public init(_ value: Value) {
        self.value = value
    }

    /// Returns the secret value itself.
    ///
    /// Call this only where the value must leave the process (a request header, a database login), never to log it.
    public func reveal() -> Value {
        self.value
    }

    /// Transforms the secret value without revealing it, keeping the result secret.
    public func map<NewValue: Sendable>(_ transform: (Value) throws -> NewValue) rethrows -> Secret<NewValue> {
        Secret<NewValue>(try transform(self.value))
    }

    /// The value to put in swift-log metadata: always ``redactedPlaceholder``.
    public var metadataValue: Logger.MetadataValue {
        .string(Self.redactedPlaceholder)
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible {
    /// Always ``redactedPlaceholder``.
    public var description: String { Self.redactedPlaceholder }

    /// `Secret(<redacted>)`, never the value.
    public var debugDescription: String { "Secret(\(Self.redactedPlaceholder))" }
}

extension Secret: CustomReflectable {
    /// A mirror with no children, so that `dump` and debuggers cannot reach the value.
    public var customMirror: Mirror {
        Mirror(self, children: [], displayStyle: .struct)
    }
}

extension Secret: CustomLeafReflectable {}

extension Secret: Equatable where Value: Equatable {
    /// Compares the values. For byte strings prefer a constant-time comparison such as swift-crypto's
    /// `safeCompare`; this one exists for tests and configuration.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.value == rhs.value
    }
}

extension CodingUserInfoKey {
    /// The key that lets an encoder write the real value of a ``Secret``.
    ///
    /// Set `encoder.userInfo[.revealSecrets] = true` only when you mean to write secrets out, for example to a
    /// credentials file with mode 0600.
    public static var revealSecrets: CodingUserInfoKey {
        // The initializer fails only for an empty string.
        CodingUserInfoKey(rawValue: "dev.warden.reveal-secrets")!
    }
}

extension Secret: Encodable where Value: Encodable {
    /// Encodes ``redactedPlaceholder``, or the value when the encoder's `userInfo` holds `true` for
    /// `CodingUserInfoKey/revealSecrets`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if encoder.userInfo[.revealSecrets] as? Bool == true {
            try container.encode(self.value)
        } else {
            try container.encode(Self.redactedPlaceholder)
        }
    }
}

extension Secret: Decodable where Value: Decodable {
    /// Decodes the plain value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(try container.decode(Value.self))
    }
}
