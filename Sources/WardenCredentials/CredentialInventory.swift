public import Foundation
import Synchronization

/// The ``RotatingCredentialProvider``s that report to it, for an inventory page or an audit log: what each credential
/// is, who owns it, when it expires and when it last rotated. Opt-in: a provider reports to the inventory given to
/// its initializer (none by default), so that tests and libraries do not share one process-wide registry.
///
/// ```swift
/// let inventory = CredentialInventory()          // or CredentialInventory.shared, for one per process
/// let database = RotatingCredentialProvider(source: databaseCredentials, owner: "payments", inventory: inventory)
/// for entry in inventory.entries() where entry.status != "fresh" {
///     logger.warning("credential not fresh", metadata: ["name": "\(entry.name)", "status": "\(entry.status)"])
/// }
/// ```
public final class CredentialInventory: Sendable {
    /// One machine identity: a credential a provider holds, or one found elsewhere (a certificate `warden scan`
    /// found on disk or on an endpoint). It never contains the credential's value.
    ///
    /// The same model serves both, so that an inventory page, the Prometheus exposition
    /// (`WardenPrometheus.InventoryExposition`) and the alert rules treat a rotated credential and a forgotten file
    /// alike: what it is, who owns it, where it comes from, whether anything rotates it, and when it expires.
    public struct Entry: Hashable, Sendable, Codable {
        /// The credential's name: the provider's source name, or where a scan found it.
        public var name: String
        /// The credential's kind (`certificate`, `database`, `token`…), once known.
        public var kind: String?
        /// The owner tag.
        public var owner: String?
        /// What the credential is for, when its owner said so.
        public var purpose: String?
        /// Where it comes from: the source's name (`vault:pki/issue/web`), a file path, or `host:port`.
        public var source: String?
        /// Whether a ``RotatingCredentialProvider`` rotates it (`false` for what a scan found).
        public var isManaged: Bool
        /// When the held credential's current lifetime began (issued, or last renewed), when known.
        public var notBefore: Date?
        /// When the held credential expires.
        public var expiresAt: Date?
        /// When a different credential last replaced the held one.
        public var lastRotation: Date?
        /// When the last refresh succeeded.
        public var lastSuccess: Date?
        /// The run of failed refreshes under way, if any.
        public var failure: CredentialFailure?
        /// The provider's ``CredentialStatus/name``; ``unmanagedStatus`` for what a scan found.
        public var status: String

        /// The status of an entry no provider rotates.
        public static let unmanagedStatus = "unmanaged"

        /// Decodes an entry, including one encoded before `purpose`, `source`, `isManaged`, `notBefore` and `failure`
        /// existed (a provider's report: `isManaged` is then true).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decode(String.self, forKey: .name)
            self.kind = try container.decodeIfPresent(String.self, forKey: .kind)
            self.owner = try container.decodeIfPresent(String.self, forKey: .owner)
            self.purpose = try container.decodeIfPresent(String.self, forKey: .purpose)
            self.source = try container.decodeIfPresent(String.self, forKey: .source)
            self.isManaged = try container.decodeIfPresent(Bool.self, forKey: .isManaged) ?? true
            self.notBefore = try container.decodeIfPresent(Date.self, forKey: .notBefore)
            self.expiresAt = try container.decodeIfPresent(Date.self, forKey: .expiresAt)
            self.lastRotation = try container.decodeIfPresent(Date.self, forKey: .lastRotation)
            self.lastSuccess = try container.decodeIfPresent(Date.self, forKey: .lastSuccess)
            self.failure = try container.decodeIfPresent(CredentialFailure.self, forKey: .failure)
            self.status = try container.decode(String.self, forKey: .status)
        }

        /// Creates an entry, for a credential that no provider holds (a provider makes its own).
        public init(
            name: String,
            kind: String? = nil,
            owner: String? = nil,
            purpose: String? = nil,
            source: String? = nil,
            isManaged: Bool = false,
            notBefore: Date? = nil,
            expiresAt: Date? = nil,
            lastRotation: Date? = nil,
            lastSuccess: Date? = nil,
            failure: CredentialFailure? = nil,
            status: String = Entry.unmanagedStatus
        ) {
            self.name = name
            self.kind = kind
            self.owner = owner
            self.purpose = purpose
            self.source = source
            self.isManaged = isManaged
            self.notBefore = notBefore
            self.expiresAt = expiresAt
            self.lastRotation = lastRotation
            self.lastSuccess = lastSuccess
            self.failure = failure
            self.status = status
        }
    }

    /// A process-wide inventory, for applications that want one; providers report to it only when given it.
    public static let shared = CredentialInventory()

    private struct WeakProvider: @unchecked Sendable {
        weak var provider: (any InventoryReporting)?
    }

    private let providers = Mutex<[ObjectIdentifier: WeakProvider]>([:])

    /// Creates an empty inventory.
    public init() {}

    func register(_ provider: some InventoryReporting) {
        self.providers.withLock { $0[ObjectIdentifier(provider)] = WeakProvider(provider: provider) }
    }

    func unregister(_ id: ObjectIdentifier) {
        _ = self.providers.withLock { $0.removeValue(forKey: id) }
    }

    /// A report of every live provider, sorted by name.
    public func entries() -> [Entry] {
        // Take the providers out first: each report takes its provider's lock, never under this one.
        let providers = self.providers.withLock { $0.values.compactMap(\.provider) }
        return providers.map { $0.inventoryEntry() }.sorted { ($0.name, $0.owner ?? "") < ($1.name, $1.owner ?? "") }
    }
}

/// What a provider tells the inventory.
protocol InventoryReporting: AnyObject, Sendable {
    func inventoryEntry() -> CredentialInventory.Entry
}
