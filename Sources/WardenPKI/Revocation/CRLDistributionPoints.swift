import SwiftASN1
public import X509

/// The URIs of a certificate's CRL distribution points extension (RFC 5280 §4.2.1.13), which swift-certificates does
/// not decode.
public enum CRLDistributionPoints {
    /// The URIs of `certificate`'s distribution points' full names, in order; empty when it has none.
    ///
    /// - Throws: ``PKIError`` with ``PKIError/Code/malformedExtension`` when the extension does not decode.
    public static func uris(of certificate: Certificate) throws(PKIError) -> [String] {
        guard let value = certificate.extensions[oid: CRLExtensionID.crlDistributionPoints]?.value else { return [] }
        do {
            let root = try DER.parse(value)
            guard root.identifier == .sequence, case .constructed(let points) = root.content else {
                throw PKIError(.malformedExtension, "cRLDistributionPoints is not a SEQUENCE")
            }
            var uris: [String] = []
            for point in points {
                guard point.identifier == .sequence, case .constructed(let fields) = point.content else {
                    throw PKIError(.malformedExtension, "a DistributionPoint is not a SEQUENCE")
                }
                for field in fields
                where field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                    uris += try Self.fullNameURIs(field, "cRLDistributionPoints.distributionPoint")
                }
            }
            return uris
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedExtension, "cRLDistributionPoints does not decode: \(error)")
        }
    }

    /// The URIs of a `[0] DistributionPointName` whose choice is `fullName`; a relative name has none.
    static func fullNameURIs(_ node: ASN1Node, _ name: String) throws -> [String] {
        guard case .constructed(let choice) = node.content else {
            throw PKIError(.malformedCRL, "\(name) is not a DistributionPointName")
        }
        var uris: [String] = []
        for chosen in choice where chosen.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            guard case .constructed(let names) = chosen.content else {
                throw PKIError(.malformedCRL, "\(name).fullName is not GeneralNames")
            }
            for generalName in names
            where generalName.identifier == ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific) {
                guard case .primitive(let bytes) = generalName.content else {
                    throw PKIError(.malformedCRL, "\(name) has a URI that is not an IA5String")
                }
                uris.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return uris
    }
}
