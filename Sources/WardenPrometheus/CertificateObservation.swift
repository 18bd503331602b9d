public import Foundation
import SwiftASN1
public import X509

/// A certificate seen somewhere (a file, an endpoint, a provider), as the `x509_cert_*` metrics label it.
///
/// The labels are x509-certificate-exporter's, so that its dashboards and alerts read Warden's exposition unchanged:
/// `filename` and `filepath`, `serial_number` (in decimal, as that exporter writes it), and `subject_C`,
/// `subject_ST`, `subject_L`, `subject_O`, `subject_OU`, `subject_CN` and the same six for the issuer (several values
/// of one attribute joined with a comma; an absent attribute is an empty value).
public struct CertificateObservation: Sendable, Hashable {
    /// Where the certificate was seen: a file path (with `#n` for the n-th of several), or `host:port`.
    public var location: String
    /// The file the certificate is in, for the `filepath` and `filename` labels (as x509-certificate-exporter
    /// labels every certificate of a bundle with its file); `nil` for an endpoint, whose `filepath` is then
    /// ``location`` and whose `filename` is empty.
    public var filePath: String?
    /// The subject's name.
    public var subject: DistinguishedName
    /// The issuer's name.
    public var issuer: DistinguishedName
    /// The serial number's big-endian bytes.
    public var serialNumber: [UInt8]
    /// The start of the validity period.
    public var notBefore: Date
    /// The end of the validity period.
    public var notAfter: Date
    /// Labels added to every series of this certificate (`owner`, `team`…). A label whose name is not a Prometheus
    /// label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting `__`) or that the exposition already uses is left out.
    public var labels: [String: String]

    /// Describes a certificate from its fields, for one swift-certificates will not load (a sub-2048-bit RSA key).
    public init(
        location: String,
        filePath: String?,
        subject: DistinguishedName,
        issuer: DistinguishedName,
        serialNumber: [UInt8],
        notBefore: Date,
        notAfter: Date,
        labels: [String: String] = [:]
    ) {
        self.location = location
        self.filePath = filePath
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.labels = labels
    }

    /// Describes `certificate`, seen at `location`.
    public init(location: String, filePath: String?, certificate: Certificate, labels: [String: String] = [:]) {
        self.init(
            location: location,
            filePath: filePath,
            subject: certificate.subject,
            issuer: certificate.issuer,
            serialNumber: Array(certificate.serialNumber.bytes),
            notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter,
            labels: labels
        )
    }

    /// The x509-certificate-exporter label set, then ``labels`` by name.
    var labelPairs: [(String, String)] {
        let filename = self.filePath.map { path in path.split(separator: "/").last.map(String.init) ?? path } ?? ""
        var pairs: [(String, String)] = [("filename", filename), ("filepath", self.filePath ?? self.location)]
        pairs += Self.attributePairs(of: self.issuer, prefix: "issuer")
        pairs.append(("serial_number", Self.decimal(self.serialNumber)))
        pairs += Self.attributePairs(of: self.subject, prefix: "subject")
        let taken = Set(pairs.map(\.0))
        pairs += self.labels.sorted { $0.key < $1.key }
            .filter { !taken.contains($0.key) && Self.isLabelName($0.key) }
            .map { ($0.key, $0.value) }
        return pairs
    }

    /// Prometheus's label name rule; swift-prometheus would rewrite any other name, and two could then collide.
    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.hasPrefix("__") else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    private static let attributes: [(String, ASN1ObjectIdentifier)] = [
        ("C", .RDNAttributeType.countryName),
        ("CN", .RDNAttributeType.commonName),
        ("L", .RDNAttributeType.localityName),
        ("O", .RDNAttributeType.organizationName),
        ("OU", .RDNAttributeType.organizationalUnitName),
        ("ST", .RDNAttributeType.stateOrProvinceName),
    ]

    private static func attributePairs(of name: DistinguishedName, prefix: String) -> [(String, String)] {
        self.attributes.map { short, oid in
            let values = name.flatMap { $0 }.filter { $0.type == oid }.map { String($0.value) ?? "\($0.value)" }
            return ("\(prefix)_\(short)", values.joined(separator: ","))
        }
    }

    /// A big-endian unsigned integer in decimal, of any length.
    static func decimal(_ bytes: [UInt8]) -> String {
        var number = Array(bytes.drop { $0 == 0 })
        guard !number.isEmpty else { return "0" }
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(number.count)
            for byte in number {
                let value = remainder << 8 | Int(byte)
                let digit = value / 10
                remainder = value % 10
                if !quotient.isEmpty || digit != 0 { quotient.append(UInt8(digit)) }
            }
            digits.append(UInt8(remainder))
            number = quotient
        }
        return String(decoding: digits.reversed().map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }
}
