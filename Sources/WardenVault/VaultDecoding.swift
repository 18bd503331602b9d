import Foundation
import WardenCore

/// Decodes a secret's JSON into a caller's `Decodable` type without letting a value reach an error message.
enum VaultDecoding {
    static func decode<T: Decodable & Sendable>(
        _ type: T.Type,
        from value: JSONValue,
        label: String
    ) throws -> Secret<T> {
        do {
            return Secret(try JSONDecoder().decode(type, from: Data(value.jsonBytes)))
        } catch let error as DecodingError {
            throw VaultError(
                .malformedResponse,
                "\(label): the secret does not decode as \(type): \(Self.describe(error))"
            )
        }
    }

    /// Where and how decoding failed, by key path and kind only: DecodingError's own descriptions may quote the data.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "key '\(key.stringValue)' is missing at \(path(context))"
        case .typeMismatch(let expected, let context):
            return "\(path(context)) is not a \(expected)"
        case .valueNotFound(let expected, let context):
            return "\(path(context)) is null, not a \(expected)"
        case .dataCorrupted(let context):
            return "\(path(context)) is not valid"
        @unknown default:
            return "it does not match the type"
        }
    }
}
