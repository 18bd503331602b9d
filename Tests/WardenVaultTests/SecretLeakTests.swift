import Foundation
import InMemoryLogging
import Logging
import Testing
import WardenCore
import WardenCredentials
import WardenPKI
import WardenSPIFFE
import WardenTestSupport

@testable import WardenVault

/// Every type that holds a secret, shown every way Swift and swift-log can show a value: the secret's bytes appear in
/// none of them. No server: these values are built from the JSON Vault would send.
@Suite struct SecretLeakTests {
    static let marker = "s3cr3t-Wq8zX1vB"

    /// Every rendering of `value` a program, a log line or a crash report might make.
    static func renderings(of value: Any) -> [(how: String, text: String)] {
        var dumped = ""
        dump(value, to: &dumped)
        var renderings = [
            ("description", String(describing: value)),
            ("debugDescription", String(reflecting: value)),
            ("interpolation", "\(value)"),
            ("dump", dumped),
            ("Mirror", Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" }.joined()),
        ]
        if let encodable = value as? any Encodable, let data = try? JSONEncoder().encode(encodable) {
            renderings.append(("JSONEncoder", String(decoding: data, as: UTF8.self)))
        }
        return renderings
    }

    static func expectNoLeak(_ value: Any, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (how, text) in Self.renderings(of: value) {
            #expect(
                !text.contains(Self.marker),
                "\(name) leaks its secret through \(how): \(text)",
                sourceLocation: sourceLocation
            )
        }
    }

    @Test func theSecretWrapperShowsNothing() {
        Self.expectNoLeak(Secret(Self.marker), "Secret<String>")
        Self.expectNoLeak(Secret(Array(Self.marker.utf8)), "Secret<[UInt8]>")
        Self.expectNoLeak(Secret(JSONValue.object(["password": .string(Self.marker)])), "Secret<JSONValue>")
        Self.expectNoLeak([Secret(Self.marker)], "[Secret]")
        Self.expectNoLeak(Optional(Secret(Self.marker)) as Any, "Secret?")
    }

    @Test func vaultConfigurationAuthAndResponsesShowNoToken() throws {
        var configuration = VaultConfiguration(address: "https://vault.example:8200", token: Secret(Self.marker))
        configuration.namespace = "team"
        Self.expectNoLeak(configuration, "VaultConfiguration")
        Self.expectNoLeak(
            VaultAppRoleAuth(roleID: "role", secretID: .plain(Secret(Self.marker))),
            "VaultAppRoleAuth with a secret_id"
        )
        Self.expectNoLeak(
            VaultAppRoleAuth(roleID: "role", secretID: .wrapped(wrappingToken: Secret(Self.marker))),
            "VaultAppRoleAuth with a wrapping token"
        )
        // A login, a KV read and a dynamic database credential, as Vault sends them.
        let login = try JSONValue(
            parsing: Array(
                #"{"request_id":"r","lease_id":"","renewable":false,"lease_duration":0,"data":null,"warnings":null,"auth":{"client_token":"\#(Self.marker)","accessor":"a","policies":["default"],"lease_duration":3600,"renewable":true,"metadata":{}}}"#
                    .utf8
            )
        )
        let loginResponse = VaultResponse(login.objectValue!)
        Self.expectNoLeak(loginResponse, "VaultResponse of a login")
        Self.expectNoLeak(try #require(loginResponse.auth), "VaultAuthInfo")
        let database = try JSONValue(
            parsing: Array(
                #"{"request_id":"r","lease_id":"database/creds/app/x","renewable":true,"lease_duration":60,"data":{"username":"v-app","password":"\#(Self.marker)"},"wrap_info":{"token":"\#(Self.marker)","ttl":60,"creation_path":"p"}}"#
                    .utf8
            )
        )
        let databaseResponse = VaultResponse(database.objectValue!)
        Self.expectNoLeak(databaseResponse, "VaultResponse of database credentials")
        Self.expectNoLeak(try #require(databaseResponse.wrapInfo), "VaultWrapInfo")
        Self.expectNoLeak(
            VaultDatabaseCredentials(
                username: "v-app",
                password: Secret(Self.marker),
                leaseID: "database/creds/app/x",
                leaseDuration: .seconds(60),
                renewable: true
            ),
            "VaultDatabaseCredentials"
        )
    }

    @Test func keysAndTokensShowNoKeyMaterial() throws {
        let key = try PrivateKey.generate(.p256)
        let pem = key.pkcs8PEMRepresentation.reveal()
        let body = pem.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
        for (how, text) in Self.renderings(of: key) {
            #expect(!text.contains(body), "PrivateKey leaks its PEM through \(how)")
        }
        let signer = try JWTSigner(key: key, keyID: "k")
        let svid = try signer.mintSVID(subject: try SPIFFEID("spiffe://example.org/app"), audience: ["billing"])
        let token = svid.token.reveal()
        let signature = String(token.split(separator: ".").last!)
        for (how, text) in Self.renderings(of: svid) {
            #expect(!text.contains(signature), "JWTSVID leaks its token through \(how)")
        }
        // A token refused for its audience: the error names the rule, not the token.
        let bundle = SPIFFEBundle(
            trustDomain: try TrustDomain("example.org"),
            jwtAuthorities: ["k": try JWTPublicKey(key)]
        )
        let verifier = try JWTSVIDVerifier(bundles: SPIFFEBundleSet([bundle]), audiences: ["payments"])
        do {
            _ = try verifier.verify(token, authorizer: .any)
            Issue.record("a token for another audience verified")
        } catch {
            #expect(!"\(error)".contains(signature))
            #expect(!String(reflecting: error).contains(signature))
        }
    }

    @Test func malformedSecretsInErrorsAreNotEchoed() {
        // A PEM key whose body is not base64, and a JSON document that breaks after a secret.
        let badKey = "-----BEGIN PRIVATE KEY-----\n\(Self.marker)!!\n-----END PRIVATE KEY-----\n"
        do {
            _ = try PrivateKey(pemEncoded: badKey)
            Issue.record("a malformed key parsed")
        } catch {
            #expect(!"\(error)".contains(Self.marker), "\(error)")
        }
        do {
            _ = try JSONValue(parsing: Array(#"{"password":"\#(Self.marker)" "#.utf8))
            Issue.record("malformed JSON parsed")
        } catch {
            #expect(!"\(error)".contains(Self.marker), "\(error)")
            #expect(!String(reflecting: error).contains(Self.marker), "\(error)")
        }
    }

    @Test func theRotationEngineLogsNoValueAtTraceLevel() async throws {
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "leak-test") { _ in logs }
        logger.logLevel = .trace
        let source = ClosureCredentialSource(name: "kv") {
            Credential(
                value: Secret(Self.marker + UUID().uuidString),
                issuedAt: Date(),
                expiresAt: Date().addingTimeInterval(3600),
                metadata: CredentialMetadata(sourceName: "kv", kind: "static", leaseID: UUID().uuidString)
            )
        }
        let provider = RotatingCredentialProvider(source: source, logger: logger)
        let value = try await provider.current()
        #expect(value.reveal().hasPrefix(Self.marker))
        #expect(provider.invalidate { _ in true })
        _ = try await provider.current()
        Self.expectNoLeak(provider.status, "CredentialStatus")
        let lines = logs.entries.map { "\($0.message) \($0.metadata)" }
        #expect(!lines.isEmpty)
        for line in lines { #expect(!line.contains(Self.marker), "\(line)") }
    }
}
