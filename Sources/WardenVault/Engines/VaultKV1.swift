public import WardenCore

/// The KV version 1 engine at a mount: one unversioned value per path.
public struct VaultKV1: Sendable {
    let client: VaultClient
    /// The mount path.
    public let mount: String

    /// Reads `path`.
    public func read(_ path: String) async throws -> Secret<[String: JSONValue]> {
        Secret(try await self.client.read("\(self.mount)/\(path)").data ?? [:])
    }

    /// Writes `path`, replacing what was there.
    public func write(_ path: String, _ data: [String: JSONValue]) async throws {
        try await self.client.write("\(self.mount)/\(path)", .object(data))
    }

    /// Deletes `path`.
    public func delete(_ path: String) async throws {
        try await self.client.delete("\(self.mount)/\(path)")
    }

    /// Lists the keys under `path`.
    public func list(_ path: String = "") async throws -> [String] {
        try await self.client.list("\(self.mount)/\(path)").data?["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

extension VaultClient {
    /// The KV v1 engine mounted at `mount`.
    public func kv1(mount: String) -> VaultKV1 { VaultKV1(client: self, mount: mount) }
}
