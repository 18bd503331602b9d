import Testing
import WardenPKI
import WardenTestSupport
import X509

@Suite struct CSRTests {
    @Test(arguments: KeyType.allCases.filter { $0 != .rsa4096 })
    func buildsASignedRequestWithEverySANKind(type: KeyType) throws {
        let key = try PrivateKey.generate(type)
        var builder = try CSRBuilder(subject: "CN=payments,O=Example")
        builder.dnsNames = ["payments.internal"]
        builder.ipAddresses = ["10.1.2.3", "::1"]
        builder.uris = ["spiffe://example.org/payments"]
        builder.emails = ["ops@example.org"]
        builder.keyUsage = KeyUsage(digitalSignature: true)
        builder.extendedKeyUsage = [.clientAuth]
        let pem = try builder.pemEncoded(signingWith: key)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))

        let request = try CSRDecoder.decode(Array(pem.utf8))
        #expect(request.publicKey == key.publicKey)
        let info = try CSRInfo(request)
        #expect(info.signatureValid)
        #expect(info.subject == "CN=payments,O=Example")
        #expect(info.subjectAlternativeNames.dns == ["payments.internal"])
        #expect(info.subjectAlternativeNames.ip == ["10.1.2.3", "::1"])
        #expect(info.subjectAlternativeNames.uri == ["spiffe://example.org/payments"])
        #expect(info.subjectAlternativeNames.email == ["ops@example.org"])
        #expect(info.keyUsage == ["digitalSignature"])
        #expect(info.extendedKeyUsage == ["clientAuth"])
        #expect(info.requestedExtensions.first { $0.name == "subjectAltName" }?.critical == false)
    }

    @Test func anEmptySubjectMakesTheSANCritical() throws {
        var builder = CSRBuilder()
        builder.uris = ["spiffe://example.org/workload"]
        let info = try CSRInfo(try builder.build(signingWith: try PrivateKey.generate(.p256)))
        #expect(info.subject == "")
        #expect(info.requestedExtensions.map(\.critical) == [true])
    }

    @Test func aFlippedSignatureBitIsDetected() throws {
        let der = try CSRBuilder(subject: "CN=x").derEncoded(signingWith: try PrivateKey.generate(.p256))
        var tampered = der
        tampered[tampered.count - 5] ^= 0x01
        let info = try CSRInfo(try CSRDecoder.decode(tampered))
        #expect(!info.signatureValid)
        #expect(try CSRInfo(try CSRDecoder.decode(der)).signatureValid)
    }

    @Test func badNamesAreTypedErrors() throws {
        let key = try PrivateKey.generate(.p256)
        for bad in ["10.0.0.256", "01.2.3.4", "1.2.3", "::1::2", "example.com"] {
            var builder = CSRBuilder()
            builder.ipAddresses = [bad]
            #expect(throws: PKIError(.invalidSubjectAlternativeName, "")) { try builder.build(signingWith: key) }
        }
        var builder = CSRBuilder()
        builder.uris = ["not a uri"]
        #expect(throws: PKIError(.invalidSubjectAlternativeName, "")) { try builder.build(signingWith: key) }
        #expect(throws: PKIError(.invalidDistinguishedName, "")) { try CSRBuilder(subject: "nonsense") }
    }
}
