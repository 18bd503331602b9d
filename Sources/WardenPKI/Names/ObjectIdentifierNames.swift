import SwiftASN1
package import X509

/// Names for the object identifiers that inspection output shows.
package enum ObjectIdentifierNames {
    static func extensionName(_ oid: ASN1ObjectIdentifier) -> String? {
        switch oid.description {
        case "2.5.29.14": "subjectKeyIdentifier"
        case "2.5.29.15": "keyUsage"
        case "2.5.29.17": "subjectAltName"
        case "2.5.29.18": "issuerAltName"
        case "2.5.29.19": "basicConstraints"
        case "2.5.29.30": "nameConstraints"
        case "2.5.29.31": "cRLDistributionPoints"
        case "2.5.29.32": "certificatePolicies"
        case "2.5.29.33": "policyMappings"
        case "2.5.29.35": "authorityKeyIdentifier"
        case "2.5.29.36": "policyConstraints"
        case "2.5.29.37": "extKeyUsage"
        case "2.5.29.54": "inhibitAnyPolicy"
        case "1.3.6.1.5.5.7.1.1": "authorityInfoAccess"
        case "1.3.6.1.5.5.7.1.11": "subjectInfoAccess"
        case "1.3.6.1.5.5.7.1.24": "tlsFeature"
        case "1.3.6.1.4.1.11129.2.4.2": "ctPrecertificateSCTs"
        case "1.3.6.1.4.1.11129.2.4.3": "ctPrecertificatePoison"
        case "2.16.840.1.113730.1.1": "netscapeCertType"
        case "2.16.840.1.113730.1.13": "netscapeComment"
        default: nil
        }
    }

    static func extendedKeyUsageName(_ usage: ExtendedKeyUsage.Usage) -> String {
        switch usage {
        case .serverAuth: "serverAuth"
        case .clientAuth: "clientAuth"
        case .codeSigning: "codeSigning"
        case .emailProtection: "emailProtection"
        case .timeStamping: "timeStamping"
        case .ocspSigning: "OCSPSigning"
        case .any: "anyExtendedKeyUsage"
        case .certificateTransparency: "certificateTransparency"
        default: ASN1ObjectIdentifier(usage).description
        }
    }

    static func extendedKeyUsage(named name: String) -> ExtendedKeyUsage.Usage? {
        switch name {
        case "serverAuth": .serverAuth
        case "clientAuth": .clientAuth
        case "codeSigning": .codeSigning
        case "emailProtection": .emailProtection
        case "timeStamping": .timeStamping
        case "OCSPSigning", "ocspSigning": .ocspSigning
        case "anyExtendedKeyUsage", "any": .any
        default: (try? ASN1ObjectIdentifier(dotRepresentation: name)).map { ExtendedKeyUsage.Usage(oid: $0) }
        }
    }

    package static func signatureAlgorithmName(_ algorithm: Certificate.SignatureAlgorithm) -> String {
        switch algorithm {
        case .ecdsaWithSHA256: "ecdsa-with-SHA256"
        case .ecdsaWithSHA384: "ecdsa-with-SHA384"
        case .ecdsaWithSHA512: "ecdsa-with-SHA512"
        case .sha1WithRSAEncryption: "sha1WithRSAEncryption"
        case .sha256WithRSAEncryption: "sha256WithRSAEncryption"
        case .sha384WithRSAEncryption: "sha384WithRSAEncryption"
        case .sha512WithRSAEncryption: "sha512WithRSAEncryption"
        case .ed25519: "ED25519"
        default: algorithm.description
        }
    }

    static func keyUsageNames(_ usage: KeyUsage) -> [String] {
        var names: [String] = []
        if usage.digitalSignature { names.append("digitalSignature") }
        if usage.nonRepudiation { names.append("nonRepudiation") }
        if usage.keyEncipherment { names.append("keyEncipherment") }
        if usage.dataEncipherment { names.append("dataEncipherment") }
        if usage.keyAgreement { names.append("keyAgreement") }
        if usage.keyCertSign { names.append("keyCertSign") }
        if usage.cRLSign { names.append("cRLSign") }
        if usage.encipherOnly { names.append("encipherOnly") }
        if usage.decipherOnly { names.append("decipherOnly") }
        return names
    }
}
