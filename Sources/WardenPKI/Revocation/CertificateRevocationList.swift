public import Foundation
import SwiftASN1
public import X509

/// A certificate revocation list (RFC 5280 §5): the serial numbers an issuer has revoked, signed by that issuer.
///
/// Decoding is strict and bounded: the whole list is checked against ``CRLLimits`` before it is parsed, the number of
/// entries before any entry is decoded, and a CRL with a critical extension Warden does not process (or an indirect,
/// reason-partitioned or attribute-certificate CRL, which Warden does not support) is refused with a typed
/// ``PKIError``. Lookups by serial number take constant time, however long the list.
///
/// Decoding does not check the signature: call ``verifySignature(issuer:)`` with the issuing CA's certificate, as the
/// revocation checks of ``CertificateChainVerifier`` do (once per list and issuer, not per verification).
///
/// ```swift
/// let crl = try CRLDecoder.crl(from: bytes)
/// try crl.verifySignature(issuer: caCertificate)
/// if let entry = crl.revokedCertificate(serialNumber: leaf.serialNumber) {
///     print("revoked at", entry.revocationDate, entry.reason?.description ?? "no reason given")
/// }
/// ```
public struct CertificateRevocationList: Sendable, Hashable, CustomStringConvertible {
    /// 1 or 2: the CRL's version (extensions need version 2).
    public let version: Int
    /// The CRL issuer's name, which must be the subject of the certificate that signed it.
    public let issuer: DistinguishedName
    /// When the CRL was issued.
    public let thisUpdate: Date
    /// When the next CRL will be issued; after it this one is stale. Absent in some CRLs, which RFC 5280 forbids
    /// for conforming CAs; Warden treats such a list as stale once its grace period has passed.
    public let nextUpdate: Date?
    /// The `cRLNumber` extension: increases with every CRL the issuer makes.
    public let number: CRLNumber?
    /// For a delta CRL, the number of the complete CRL it extends (the `deltaCRLIndicator` extension).
    public let baseCRLNumber: CRLNumber?
    /// The `authorityKeyIdentifier`'s key identifier, when present.
    public let authorityKeyIdentifier: [UInt8]?
    /// The `issuingDistributionPoint` extension, when present: which certificates the list covers.
    public let issuingDistributionPoint: IssuingDistributionPoint?
    /// The algorithm the issuer signed the list with.
    public let signatureAlgorithm: Certificate.SignatureAlgorithm
    /// The CRL's DER encoding.
    public let derBytes: [UInt8]

    /// The entries, in the order the list has them.
    public let revokedCertificates: [RevokedCertificate]
    private let index: [Certificate.SerialNumber: Int]
    private let tbsRange: Range<Int>
    private let signatureBytes: ArraySlice<UInt8>

    /// Whether this is a delta CRL (it has a `deltaCRLIndicator`).
    public var isDelta: Bool { self.baseCRLNumber != nil }

    /// Whether this delta CRL extends `base` (RFC 5280 §5.2.4): the same issuer, a complete `base` numbered at least
    /// this delta's base CRL number, and this delta newer than it. `false` for a list that is not a delta, and for a
    /// delta built before `base` (the complete list already has what it says).
    public func extends(_ base: CertificateRevocationList) -> Bool {
        guard !base.isDelta, self.issuer == base.issuer, let baseNumber = self.baseCRLNumber,
            let deltaNumber = self.number, let number = base.number
        else { return false }
        return number >= baseNumber && deltaNumber > number
    }

    /// The entry for `serialNumber`, if the list revokes it. Constant time.
    public func revokedCertificate(serialNumber: Certificate.SerialNumber) -> RevokedCertificate? {
        self.index[serialNumber].map { self.revokedCertificates[$0] }
    }

    /// Whether `issuer`'s key verifies the list's signature. Hashes the whole list: a large CRL costs milliseconds.
    public func isSignatureValid(issuer: Certificate) -> Bool {
        issuer.publicKey.isValidSignature(
            self.signatureBytes,
            for: self.derBytes[self.tbsRange],
            signatureAlgorithm: self.signatureAlgorithm
        )
    }

    /// Checks that `issuer` issued this list: its subject is the list's issuer, it may sign CRLs, and its key
    /// verifies the signature.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/crlIssuerMismatch`` or ``PKIError/Code/invalidSignature``.
    public func verifySignature(issuer: Certificate) throws(PKIError) {
        guard issuer.subject == self.issuer else {
            throw PKIError(
                .crlIssuerMismatch,
                "\(self) is issued by '\(DistinguishedNameFormatter.string(from: self.issuer))', not by '\(DistinguishedNameFormatter.string(from: issuer.subject))'"
            )
        }
        if let usage = try? issuer.extensions.keyUsage, !usage.cRLSign {
            throw PKIError(
                .crlIssuerMismatch,
                "'\(DistinguishedNameFormatter.string(from: issuer.subject))' has a key usage without cRLSign, so it cannot sign \(self)"
            )
        }
        guard self.isSignatureValid(issuer: issuer) else {
            throw PKIError(
                .invalidSignature,
                "the signature of \(self) does not verify with the key of '\(DistinguishedNameFormatter.string(from: issuer.subject))'"
            )
        }
    }

    /// Whether the list covers `certificate`: the issuing distribution point's scope (user or CA certificates, and
    /// its distribution point names against the certificate's CRL distribution points) admits it.
    public func covers(_ certificate: Certificate) -> Bool {
        guard let point = self.issuingDistributionPoint else { return true }
        let isCA =
            (try? certificate.extensions.basicConstraints).map {
                if case .isCertificateAuthority = $0 { true } else { false }
            } ?? false
        if point.onlyContainsUserCertificates && isCA { return false }
        if point.onlyContainsCACertificates && !isCA { return false }
        if !point.distributionPointURIs.isEmpty {
            // RFC 5280 §6.3.3 (b)(2)(i): a partitioned CRL covers only certificates that name one of its points.
            let named = (try? CRLDistributionPoints.uris(of: certificate)) ?? []
            return !Set(named).isDisjoint(with: point.distributionPointURIs)
        }
        return true
    }

    /// `CRL number 5 of 'CN=Issuing CA'` (or without the number, when the list has none).
    public var description: String {
        let issuer = DistinguishedNameFormatter.string(from: self.issuer)
        let kind = self.isDelta ? "delta CRL" : "CRL"
        return self.number.map { "\(kind) number \($0) of '\(issuer)'" } ?? "\(kind) of '\(issuer)'"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.derBytes == rhs.derBytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.derBytes) }

    /// Decodes one DER-encoded CRL.
    ///
    /// - Throws: ``PKIError``: ``PKIError/Code/inputTooLarge`` beyond `limits`, ``PKIError/Code/malformedCRL``
    ///   naming the field, ``PKIError/Code/unhandledCriticalExtension``, ``PKIError/Code/unsupportedCRL``.
    public init(derEncoded bytes: [UInt8], limits: CRLLimits = .default) throws(PKIError) {
        guard bytes.count <= limits.maximumSize else {
            throw PKIError(
                .inputTooLarge,
                "the CRL has \(bytes.count) bytes, more than the limit of \(limits.maximumSize)"
            )
        }
        do {
            self = try CRLParser(bytes: bytes, limits: limits).parse()
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedCRL, "the input is not a well-formed CRL: \(error)")
        }
    }

    init(
        version: Int,
        issuer: DistinguishedName,
        thisUpdate: Date,
        nextUpdate: Date?,
        number: CRLNumber?,
        baseCRLNumber: CRLNumber?,
        authorityKeyIdentifier: [UInt8]?,
        issuingDistributionPoint: IssuingDistributionPoint?,
        signatureAlgorithm: Certificate.SignatureAlgorithm,
        derBytes: [UInt8],
        revokedCertificates: [RevokedCertificate],
        index: [Certificate.SerialNumber: Int],
        tbsRange: Range<Int>,
        signatureBytes: ArraySlice<UInt8>
    ) {
        self.version = version
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.number = number
        self.baseCRLNumber = baseCRLNumber
        self.authorityKeyIdentifier = authorityKeyIdentifier
        self.issuingDistributionPoint = issuingDistributionPoint
        self.signatureAlgorithm = signatureAlgorithm
        self.derBytes = derBytes
        self.revokedCertificates = revokedCertificates
        self.index = index
        self.tbsRange = tbsRange
        self.signatureBytes = signatureBytes
    }
}

/// The `cRLNumber` of a CRL, or the base number of a delta CRL: a non-negative integer of up to 20 octets.
public struct CRLNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The big-endian magnitude, without leading zero octets.
    public let bytes: [UInt8]

    /// Wraps a big-endian number.
    public init(bytes: some Collection<UInt8>) {
        self.bytes = Array(bytes.drop { $0 == 0 })
    }

    public init(_ value: UInt64) {
        self.init(bytes: withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.bytes.count != rhs.bytes.count
            ? lhs.bytes.count < rhs.bytes.count : lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The number in decimal.
    public var description: String {
        var digits: [UInt8] = []
        var magnitude = self.bytes
        while !magnitude.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(magnitude.count)
            for byte in magnitude {
                let value = remainder * 256 + Int(byte)
                let digit = value / 10
                remainder = value % 10
                if !(quotient.isEmpty && digit == 0) { quotient.append(UInt8(digit)) }
            }
            digits.append(UInt8(remainder) + 0x30)
            magnitude = quotient
        }
        return digits.isEmpty ? "0" : String(decoding: digits.reversed(), as: UTF8.self)
    }
}

/// The `issuingDistributionPoint` extension of a CRL (RFC 5280 §5.2.5): which certificates the list covers.
public struct IssuingDistributionPoint: Hashable, Sendable {
    /// The URIs of the distribution point's full name; a partitioned CRL covers only certificates naming one of them.
    public let distributionPointURIs: [String]
    /// The list covers end-entity certificates only.
    public let onlyContainsUserCertificates: Bool
    /// The list covers CA certificates only.
    public let onlyContainsCACertificates: Bool
}
