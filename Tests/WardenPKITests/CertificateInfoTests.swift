import Crypto
import Foundation
import SwiftASN1
import Testing
import WardenCore
import WardenPKI
import WardenTestSupport
import X509

@Suite struct CertificateInfoTests {
    @Test func inspectsEveryFieldOfALeaf() throws {
        let chain = try TestPKI.chain(leafSANs: [
            .dnsName("leaf.example.com"), .dnsName("*.leaf.example.com"),
            .ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            .uniformResourceIdentifier("spiffe://example.org/payments"),
            .rfc822Name("ops@example.org"),
        ])
        let leaf = chain.leaf
        let info = try CertificateInfo(derEncoded: leaf.der)

        #expect(info.version == 3)
        #expect(info.subject == "CN=leaf.example.com,O=Warden Tests")
        #expect(info.issuer == "CN=Warden Test Intermediate,O=Warden Tests")
        #expect(
            info.serialNumber
                == leaf.certificate.serialNumber.bytes.drop { $0 == 0 }.map { String(format: "%02X", $0) }.joined()
        )
        #expect(info.validity.notBefore == leaf.certificate.notValidBefore)
        #expect(info.validity.notAfter == leaf.certificate.notValidAfter)
        #expect(info.subjectAlternativeNames.dns == ["leaf.example.com", "*.leaf.example.com"])
        #expect(info.subjectAlternativeNames.ip == ["10.0.0.1", "2001:db8::1"])
        #expect(info.subjectAlternativeNames.uri == ["spiffe://example.org/payments"])
        #expect(info.subjectAlternativeNames.email == ["ops@example.org"])
        #expect(info.keyUsage == ["digitalSignature"])
        #expect(info.extendedKeyUsage == ["serverAuth", "clientAuth"])
        #expect(info.basicConstraints == .init(isCA: false, pathLength: nil))
        #expect(info.signatureAlgorithm == "ecdsa-with-SHA256")
        #expect(info.publicKey == PublicKeyInfo(algorithm: "EC", curve: "P-256", bits: 256))
        let fingerprint = SHA256.hash(data: leaf.der).map { String(format: "%02X", $0) }.joined(separator: ":")
        #expect(info.sha256Fingerprint == fingerprint)
        #expect(
            info.authorityKeyIdentifier
                == (try CertificateInfo(derEncoded: chain.intermediate.der)).subjectKeyIdentifier
        )
        #expect(info.subjectKeyIdentifier != nil)
        #expect(!info.isSelfIssued)
        #expect(!info.isSelfSigned)
        #expect(
            info.extensions.map(\.name) == [
                "basicConstraints", "keyUsage", "extKeyUsage", "subjectAltName", "subjectKeyIdentifier",
                "authorityKeyIdentifier",
            ]
        )
        #expect(info.extensions.map(\.critical) == [true, true, false, false, false, false])
        #expect(info.extensions.first?.oid == "2.5.29.19")
    }

    @Test func inspectsACAAndItsSelfSignature() throws {
        let chain = try TestPKI.chain(keyType: .p384)
        let root = try CertificateInfo(derEncoded: chain.root.der)
        #expect(root.isSelfIssued && root.isSelfSigned)
        #expect(root.basicConstraints == .init(isCA: true, pathLength: nil))
        #expect(root.keyUsage == ["keyCertSign", "cRLSign"])
        #expect(root.signatureAlgorithm == "ecdsa-with-SHA384")
        #expect(root.publicKey.curve == "P-384")
        #expect(CertificateInfo.verifySelfSignature(of: chain.root.certificate))
        #expect(!CertificateInfo.verifySelfSignature(of: chain.leaf.certificate))
        let intermediate = try CertificateInfo(derEncoded: chain.intermediate.der)
        #expect(intermediate.basicConstraints == .init(isCA: true, pathLength: 0))
    }

    @Test(arguments: [KeyType.ed25519, .rsa2048])
    func inspectsOtherKeyTypes(type: KeyType) throws {
        let issued = try TestPKI.issue(subject: "CN=other", keyType: type, isCA: true)
        let info = try CertificateInfo(derEncoded: issued.der)
        switch type {
        case .ed25519:
            #expect(info.publicKey == PublicKeyInfo(algorithm: "Ed25519", curve: nil, bits: 256))
            #expect(info.signatureAlgorithm == "ED25519")
        default:
            #expect(info.publicKey == PublicKeyInfo(algorithm: "RSA", curve: nil, bits: 2048))
            #expect(info.signatureAlgorithm == "sha256WithRSAEncryption")
        }
    }

    @Test func distinguishedNamesFollowRFC4514() throws {
        let name = try DistinguishedNameFormatter.parse(
            #"CN=a\,b+UID=x,OU=Ops\+Dev,O= lead,DC=example,DC=org,C=GB,1.2.3.4=v"#
        )
        #expect(
            DistinguishedNameFormatter.string(from: name)
                == #"CN=a\,b+UID=x,OU=Ops\+Dev,O=lead,DC=example,DC=org,C=GB,1.2.3.4=v"#
        )
        #expect(try DistinguishedNameFormatter.parse("").isEmpty)
        #expect(
            DistinguishedNameFormatter.string(from: try DistinguishedNameFormatter.parse(#"CN=\23hash\20"#))
                == ##"CN=\#hash\ "##
        )
        for bad in ["CN", "XX=1", "CN=", #"CN=a\"#] {
            #expect(throws: PKIError(.invalidDistinguishedName, "")) { try DistinguishedNameFormatter.parse(bad) }
        }
    }

    @Test func decoderReadsPEMWithOtherBlocksAndDER() throws {
        let chain = try TestPKI.chain()
        let key = chain.leaf.key.pkcs8PEMRepresentation.reveal()
        let bundle = chain.leaf.pem + key + chain.intermediate.pem
        let decoded = try CertificateDecoder.decodeAll(Array(bundle.utf8))
        #expect(decoded.map(\.derBytes) == [chain.leaf.der, chain.intermediate.der])
        #expect(try CertificateDecoder.certificates(from: chain.root.der) == [chain.root.certificate])
        #expect(throws: PKIError(.noObjectFound, "")) { try CertificateDecoder.decodeAll(Array(key.utf8)) }
        #expect(throws: PKIError(.unrecognizedFormat, "")) { try CertificateDecoder.decodeAll(Array("hello".utf8)) }
        #expect(throws: PKIError(.unrecognizedFormat, "")) { try CertificateDecoder.decodeAll([]) }
    }
}
