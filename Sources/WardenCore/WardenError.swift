/// The shape every error in Warden takes.
///
/// Each module has one error struct (for example `PKIError`) with an opaque ``code`` that callers match on, and a
/// human ``message`` that names the rule or field that failed and what was found. Codes are structs over private
/// enums, so new codes can be added without breaking callers' exhaustive switches.
///
/// Equality and hashing consider the code only: two errors with the same code are the same failure, whatever the
/// message says. Messages never contain secret values.
public protocol WardenError: Error, Hashable, CustomStringConvertible, Sendable {
    /// The opaque code type of this error.
    associatedtype Code: Hashable, Sendable, CustomStringConvertible

    /// The rule or condition that failed, for matching in code.
    var code: Code { get }

    /// A human-readable sentence that names the rule or field that failed and what was found.
    var message: String { get }
}

extension WardenError {
    /// Errors with the same code are equal, whatever their messages say.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    /// `"<code>: <message>"`.
    public var description: String {
        "\(self.code): \(self.message)"
    }
}
