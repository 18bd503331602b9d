public import Foundation
public import WardenCore

/// A version of a KV v2 secret: its data (a `Secret`) and metadata.
public struct VaultKVSecret: Sendable, CustomStringConvertible {
    /// The key/value pairs.
    public let data: Secret<[String: JSONValue]>
    /// The version number.
    public let version: Int
    /// When this version was written.
    public let createdTime: Date?
    /// The custom metadata of the secret.
    public let customMetadata: [String: String]

    /// `VaultKVSecret(version: 3, keys: [api-key])`; never the values.
    public var description: String {
        "VaultKVSecret(version: \(self.version), keys: [\(self.data.reveal().keys.sorted().joined(separator: ", "))])"
    }
}

/// The metadata of a KV v2 secret: its versions and settings.
public struct VaultKVMetadata: Sendable {
    /// The newest version.
    public let currentVersion: Int
    /// The oldest version kept.
    public let oldestVersion: Int
    /// How many versions are kept (0: the mount's default).
    public let maxVersions: Int
    /// Whether writes must carry check-and-set.
    public let casRequired: Bool
    /// Every version kept, by number.
    public let versions: [Int: VaultKVVersion]
}

/// One version of a KV v2 secret, as its metadata describes it.
public struct VaultKVVersion: Hashable, Sendable {
    /// When it was written.
    public let createdTime: Date?
    /// Whether it is soft-deleted (`deletion_time` set); ``VaultKV2/undelete(_:versions:)`` restores it.
    public let isDeleted: Bool
    /// Whether it is destroyed for good.
    public let isDestroyed: Bool
}

/// The KV version 2 engine at a mount: versioned secrets, check-and-set writes, soft delete, undelete and destroy.
public struct VaultKV2: Sendable {
    let client: VaultClient
    /// The mount path, such as `secret`.
    public let mount: String

    /// Reads the newest version of `path`, or `version`.
    ///
    /// - Throws: ``VaultError/Code/notFound`` when there is no such secret or version, or it is soft-deleted or
    ///   destroyed.
    public func read(_ path: String, version: Int? = nil) async throws -> VaultKVSecret {
        let response = try await self.client.read(
            "\(self.mount)/data/\(path)",
            query: version.map { ["version": String($0)] } ?? [:]
        )
        let metadata = response.data?["metadata"]?.objectValue ?? [:]
        guard let data = response.data?["data"]?.objectValue else {
            // A soft-deleted or destroyed version answers 404 with its metadata and null data.
            throw VaultError(
                .notFound,
                "GET /v1/\(self.mount)/data/\(path): version \(metadata["version"]?.int64Value.map(String.init) ?? "?") is deleted or destroyed",
                status: 404
            )
        }
        return VaultKVSecret(
            data: Secret(data),
            version: Int(metadata["version"]?.int64Value ?? 0),
            createdTime: metadata["created_time"]?.stringValue.flatMap(VaultTimestamp.date(from:)),
            customMetadata: (metadata["custom_metadata"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        )
    }

    /// Reads the newest version of `path`, or `version`, and decodes its data as `T` (a struct of the secret's keys,
    /// say), kept in a `Secret`.
    ///
    /// ```swift
    /// struct APIKey: Decodable { var key: String; var owner: String }
    /// let apiKey = try await vault.kv2().read("payments/api", as: APIKey.self).reveal()
    /// ```
    ///
    /// - Throws: as ``read(_:version:)``, and ``VaultError/Code/malformedResponse`` naming the key that does not
    ///   decode (never its value).
    public func read<T: Decodable & Sendable>(
        _ path: String,
        version: Int? = nil,
        as type: T.Type
    ) async throws -> Secret<T> {
        let secret = try await self.read(path, version: version)
        return try VaultDecoding.decode(type, from: .object(secret.data.reveal()), label: "\(self.mount)/data/\(path)")
    }

    /// Writes a new version; with `checkAndSet`, only if the current version is that number (0: only if absent).
    ///
    /// - Returns: the new version number.
    /// - Throws: ``VaultError/Code/invalidRequest`` when the check-and-set version does not match.
    @discardableResult
    public func write(_ path: String, _ data: [String: JSONValue], checkAndSet: Int? = nil) async throws -> Int {
        var body: [String: JSONValue] = ["data": .object(data)]
        if let checkAndSet { body["options"] = ["cas": .number(checkAndSet)] }
        let response = try await self.client.write("\(self.mount)/data/\(path)", .object(body))
        return Int(response?.data?["version"]?.int64Value ?? 0)
    }

    /// Soft-deletes the newest version (it can be undeleted), or the given versions.
    public func delete(_ path: String, versions: [Int] = []) async throws {
        if versions.isEmpty {
            try await self.client.delete("\(self.mount)/data/\(path)")
        } else {
            try await self.client.write(
                "\(self.mount)/delete/\(path)",
                ["versions": .array(versions.map { .number($0) })]
            )
        }
    }

    /// Restores soft-deleted versions.
    public func undelete(_ path: String, versions: [Int]) async throws {
        try await self.client.write(
            "\(self.mount)/undelete/\(path)",
            ["versions": .array(versions.map { .number($0) })]
        )
    }

    /// Destroys versions for good.
    public func destroy(_ path: String, versions: [Int]) async throws {
        try await self.client.write("\(self.mount)/destroy/\(path)", ["versions": .array(versions.map { .number($0) })])
    }

    /// The secret's metadata.
    public func metadata(_ path: String) async throws -> VaultKVMetadata {
        let data = try await self.client.read("\(self.mount)/metadata/\(path)").data ?? [:]
        var versions: [Int: VaultKVVersion] = [:]
        for (key, value) in data["versions"]?.objectValue ?? [:] {
            guard let number = Int(key) else { continue }
            let deletion = value["deletion_time"]?.stringValue ?? ""
            versions[number] = VaultKVVersion(
                createdTime: value["created_time"]?.stringValue.flatMap(VaultTimestamp.date(from:)),
                isDeleted: !deletion.isEmpty,
                isDestroyed: value["destroyed"]?.boolValue ?? false
            )
        }
        return VaultKVMetadata(
            currentVersion: Int(data["current_version"]?.int64Value ?? 0),
            oldestVersion: Int(data["oldest_version"]?.int64Value ?? 0),
            maxVersions: Int(data["max_versions"]?.int64Value ?? 0),
            casRequired: data["cas_required"]?.boolValue ?? false,
            versions: versions
        )
    }

    /// Lists the keys under `path`.
    public func list(_ path: String = "") async throws -> [String] {
        try await self.client.list("\(self.mount)/metadata/\(path)").data?["keys"]?.arrayValue?.compactMap(
            \.stringValue
        ) ?? []
    }
}

extension VaultClient {
    /// The KV v2 engine mounted at `mount` (default `secret`).
    public func kv2(mount: String = "secret") -> VaultKV2 { VaultKV2(client: self, mount: mount) }
}
