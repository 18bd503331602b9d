public import Foundation
public import WardenCore

/// Who a credential belongs to and where it came from: what the inventory, the logs and the metrics show.
public struct CredentialMetadata: Hashable, Sendable, Codable {
    /// The source that issued it, for example `vault:database/creds/app` or `file:/run/svid/cert.pem`.
    public var sourceName: String
    /// What kind of credential it is, for example `database-credentials`, `x509-svid` or `api-key`.
    public var kind: String
    /// The team or service that owns it, for inventory reports.
    public var owner: String?
    /// The Vault lease ID, when the credential is a lease.
    public var leaseID: String?
    /// A non-secret identifier of this particular credential (a certificate's fingerprint, a KV version). Two
    /// credentials with the same identifier are the same credential: re-reading it is not a rotation.
    public var identifier: String?

    /// Creates metadata.
    public init(
        sourceName: String,
        kind: String,
        owner: String? = nil,
        leaseID: String? = nil,
        identifier: String? = nil
    ) {
        self.sourceName = sourceName
        self.kind = kind
        self.owner = owner
        self.leaseID = leaseID
        self.identifier = identifier
    }
}

/// A credential value together with its lifetime and origin.
///
/// The description and `dump` never show the value, whatever its type: only the metadata and the times.
public struct Credential<Value: Sendable>: Sendable {
    /// The credential itself: a password, a token, a certificate and its key.
    public var value: Value
    /// When the issuer created it. Refresh times are computed from this instant, not from when Warden fetched it,
    /// so that a credential served from a cache is not refreshed too late.
    public var issuedAt: Date
    /// When it stops working, or `nil` for a credential that does not expire (a static API key, a KV value).
    public var expiresAt: Date?
    /// When the source suggests refreshing it, overriding the engine's own schedule.
    public var refreshHint: Date?
    /// Whether the source can extend it in place (a renewable Vault lease or token).
    public var isRenewable: Bool
    /// Where it came from and who owns it.
    public var metadata: CredentialMetadata

    /// Creates a credential.
    public init(
        value: Value,
        issuedAt: Date,
        expiresAt: Date? = nil,
        refreshHint: Date? = nil,
        isRenewable: Bool = false,
        metadata: CredentialMetadata
    ) {
        self.value = value
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.refreshHint = refreshHint
        self.isRenewable = isRenewable
        self.metadata = metadata
    }

    /// The validity window, for a credential that expires.
    public var validity: ValidityWindow? {
        self.expiresAt.map { ValidityWindow(notBefore: self.issuedAt, notAfter: $0) }
    }

    /// Whether it is past its hard expiry at `date`.
    public func isExpired(at date: Date) -> Bool {
        self.expiresAt.map { date > $0 } ?? false
    }

    /// The same credential times and metadata around another value.
    public func map<NewValue: Sendable>(_ transform: (Value) throws -> NewValue) rethrows -> Credential<NewValue> {
        Credential<NewValue>(
            value: try transform(self.value),
            issuedAt: self.issuedAt,
            expiresAt: self.expiresAt,
            refreshHint: self.refreshHint,
            isRenewable: self.isRenewable,
            metadata: self.metadata
        )
    }
}

extension Credential: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The metadata and times, never the value.
    public var description: String {
        var parts = ["source: \(self.metadata.sourceName)", "kind: \(self.metadata.kind)", "issued: \(self.issuedAt)"]
        if let expiresAt { parts.append("expires: \(expiresAt)") }
        if let leaseID = self.metadata.leaseID { parts.append("lease: \(leaseID)") }
        return "Credential(\(parts.joined(separator: ", ")))"
    }

    /// The same as ``description``: never the value.
    public var debugDescription: String { self.description }

    /// A mirror without the value, so that `dump` and debuggers cannot print it.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "metadata": self.metadata, "issuedAt": self.issuedAt, "expiresAt": self.expiresAt as Any,
                "isRenewable": self.isRenewable,
            ],
            displayStyle: .struct
        )
    }
}
