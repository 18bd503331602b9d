import Foundation
public import WardenCore

/// The transit engine at a mount: encryption, decryption, signing and verification with keys that never leave Vault.
public struct VaultTransit: Sendable {
    let client: VaultClient
    /// The mount path, such as `transit`.
    public let mount: String

    /// Encrypts `plaintext` with key `key`; returns Vault's ciphertext (`vault:v1:…`).
    public func encrypt(key: String, plaintext: Secret<[UInt8]>) async throws -> String {
        let response = try await self.client.write(
            "\(self.mount)/encrypt/\(key)",
            ["plaintext": .string(Data(plaintext.reveal()).base64EncodedString())]
        )
        guard let ciphertext = response?.data?["ciphertext"]?.stringValue else {
            throw VaultError(.malformedResponse, "POST /v1/\(self.mount)/encrypt/\(key): no ciphertext")
        }
        return ciphertext
    }

    /// Decrypts Vault ciphertext with key `key`.
    public func decrypt(key: String, ciphertext: String) async throws -> Secret<[UInt8]> {
        let response = try await self.client.write("\(self.mount)/decrypt/\(key)", ["ciphertext": .string(ciphertext)])
        guard let text = response?.data?["plaintext"]?.stringValue, let bytes = Data(base64Encoded: text) else {
            throw VaultError(.malformedResponse, "POST /v1/\(self.mount)/decrypt/\(key): no plaintext")
        }
        return Secret(Array(bytes))
    }

    /// Signs `input` with key `key`; returns Vault's signature (`vault:v1:…`).
    public func sign(key: String, input: [UInt8]) async throws -> String {
        let response = try await self.client.write(
            "\(self.mount)/sign/\(key)",
            ["input": .string(Data(input).base64EncodedString())]
        )
        guard let signature = response?.data?["signature"]?.stringValue else {
            throw VaultError(.malformedResponse, "POST /v1/\(self.mount)/sign/\(key): no signature")
        }
        return signature
    }

    /// Verifies a signature Vault made over `input` with key `key`.
    public func verify(key: String, input: [UInt8], signature: String) async throws -> Bool {
        let response = try await self.client.write(
            "\(self.mount)/verify/\(key)",
            ["input": .string(Data(input).base64EncodedString()), "signature": .string(signature)]
        )
        return response?.data?["valid"]?.boolValue ?? false
    }
}

extension VaultClient {
    /// The transit engine mounted at `mount` (default `transit`).
    public func transit(mount: String = "transit") -> VaultTransit { VaultTransit(client: self, mount: mount) }
}
