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
    /// One provider's report. It never contains the credential's value.
    public struct Entry: Hashable, Sendable, Codable {
        /// The source's name.
        public var name: String
        /// The credential's kind, once one has been fetched.
        public var kind: String?
        /// The owner tag.
        public var owner: String?
        /// When the held credential expires.
        public var expiresAt: Date?
        /// When a different credential last replaced the held one.
        public var lastRotation: Date?
        /// When the last refresh succeeded.
        public var lastSuccess: Date?
        /// The provider's ``CredentialStatus/name``.
        public var status: String
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
