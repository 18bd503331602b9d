public import Foundation

/// A credential that never changes: a constant, or a value read once from configuration.
public struct StaticCredentialSource<Value: Sendable>: CredentialSource {
    /// The name for logs, metrics and the inventory.
    public let name: String
    private let credential: Credential<Value>

    /// A source that always returns `value`, which never expires.
    public init(name: String, value: Value, kind: String = "static", owner: String? = nil, issuedAt: Date = Date()) {
        self.name = name
        self.credential = Credential(
            value: value,
            issuedAt: issuedAt,
            metadata: CredentialMetadata(sourceName: name, kind: kind, owner: owner, identifier: "static")
        )
    }

    /// A source that always returns `credential`.
    public init(name: String, credential: Credential<Value>) {
        self.name = name
        self.credential = credential
    }

    /// The constant credential.
    public func fetch() async throws -> Credential<Value> {
        self.credential
    }
}
