import Crypto
import Foundation
import SwiftASN1
import Testing
import WardenCore
import WardenPKI
import WardenTestServers
import WardenTestSupport
import _CryptoExtras

@Suite struct PrivateKeyTests {
    @Test(arguments: KeyType.allCases)
    func generatesExportsAndReimports(type: KeyType) throws {
        let key = try PrivateKey.generate(type)
        #expect(key.type == type)
        let pem = key.pkcs8PEMRepresentation.reveal()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let imported = try PrivateKey(pemEncoded: pem)
        #expect(imported.type == type)
        #expect(imported.publicKey == key.publicKey)
        #expect(imported.matches(key.publicKey))
        let fromDER = try PrivateKey(derEncoded: key.pkcs8DERRepresentation.reveal())
        #expect(fromDER.publicKey == key.publicKey)
    }

    @Test func importsSEC1AndPKCS1() throws {
        let ec = P384.Signing.PrivateKey()
        let sec1 = PEM.encode(label: "EC PRIVATE KEY", derBytes: try sec1DER(ec))
        let importedEC = try PrivateKey(pemEncoded: sec1)
        #expect(importedEC.type == .p384)
        #expect(importedEC.publicKey == PrivateKey(ec).publicKey)

        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(rsa.pemRepresentation.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let importedRSA = try PrivateKey(pemEncoded: rsa.pemRepresentation)
        #expect(importedRSA.type == .rsa2048)
        #expect(importedRSA.publicKey == (try PrivateKey(rsa)).publicKey)
    }

    @Test func descriptionsNeverShowTheKey() throws {
        let key = try PrivateKey.generate(.p256)
        let body = key.pkcs8PEMRepresentation.reveal().split(separator: "\n")[1]
        var dumped = ""
        dump(key, to: &dumped)
        for text in [key.description, key.debugDescription, "\(key)", dumped, "\(key.pkcs8PEMRepresentation)"] {
            #expect(!text.contains(body))
            #expect(!text.contains("BEGIN"))
        }
        #expect(key.description == "PrivateKey(p256)")
    }

    @Test func writesAtomicallyWithMode0600() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("service.key")
        let key = try PrivateKey.generate(.ed25519)
        try key.write(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try PrivateKey.load(from: path).publicKey == key.publicKey)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["service.key"])
    }

    @Test func rejectsUnsupportedAndMalformedKeysWithTypedErrors() throws {
        let p521 = P521.Signing.PrivateKey()
        #expect(throws: PKIError(.unsupportedKeyType, "")) { try PrivateKey(pemEncoded: p521.pemRepresentation) }
        let rsa1024 = PEM.encode(label: "PRIVATE KEY", derBytes: [0x30, 0x03, 0x02, 0x01, 0x00])
        #expect(throws: PKIError(.malformedPrivateKey, "")) { try PrivateKey(pemEncoded: rsa1024) }
        #expect(throws: PKIError(.noObjectFound, "")) {
            try PrivateKey(pemEncoded: PEM.encode(label: "CERTIFICATE", derBytes: [0x30, 0x00]))
        }
        #expect(throws: PKIError(.malformedPrivateKey, "")) { try PrivateKey(derEncoded: [0x30, 0x82, 0xFF]) }
        #expect(throws: PKIError(.fileUnreadable, "")) { try PrivateKey.load(from: "/nonexistent/key.pem") }
    }
}

/// Encodes a P-384 key as SEC 1 (RFC 5915), the format `openssl ecparam -genkey` writes.
func sec1DER(_ key: P384.Signing.PrivateKey) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.appendConstructedNode(identifier: .sequence) { coder in
        try coder.serialize(1)
        try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(key.rawRepresentation)))
        try coder.serialize(
            try ASN1ObjectIdentifier(dotRepresentation: "1.3.132.0.34"),
            explicitlyTaggedWithTagNumber: 0,
            tagClass: .contextSpecific
        )
        try coder.serialize(
            ASN1BitString(bytes: ArraySlice(key.publicKey.x963Representation)),
            explicitlyTaggedWithTagNumber: 1,
            tagClass: .contextSpecific
        )
    }
    return serializer.serializedBytes
}
