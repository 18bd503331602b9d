import Foundation
import SwiftASN1
import X509

/// Reads the single response for one serial number from a DER `OCSPResponse` (RFC 6960 §4.2.1).
///
/// swift-certificates verifies the response but keeps its fields to itself and reports a revocation as a string; this
/// reader gets the revocation time and reason for ``PKIError/revocation``, and `nextUpdate` for the cache. It only
/// ever reads responses `OCSPVerifierPolicy` has already accepted or found revoked.
enum OCSPResponseReader {
    static func answer(in bytes: [UInt8], serialNumber: Certificate.SerialNumber, responder: String) -> OCSPAnswer? {
        try? Self.read(bytes, serialNumber: serialNumber, responder: responder)
    }

    private static func read(
        _ bytes: [UInt8],
        serialNumber: Certificate.SerialNumber,
        responder: String
    ) throws
        -> OCSPAnswer?
    {
        let response = try DER.parse(bytes)
        var outer = try Self.children(response)
        _ = outer.next()  // responseStatus
        guard let wrapped = outer.next() else { return nil }
        var explicit = try Self.children(wrapped)
        guard let responseBytes = explicit.next() else { return nil }
        var typeAndValue = try Self.children(responseBytes)
        _ = typeAndValue.next()  // id-pkix-ocsp-basic, checked by swift-certificates
        guard let octets = typeAndValue.next() else { return nil }
        let basic = try DER.parse(try ASN1OctetString(derEncoded: octets).bytes)
        var basicFields = try Self.children(basic)
        guard let tbs = basicFields.next() else { return nil }
        var data = try Self.children(tbs)
        var field = data.next()
        if field?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) { field = data.next() }
        _ = data.next()  // producedAt; `field` was responderID
        guard let responses = data.next(), case .constructed(let singles) = responses.content else { return nil }
        for single in singles {
            var parts = try Self.children(single)
            guard let certID = parts.next(), let status = parts.next(), let thisUpdateNode = parts.next() else {
                continue
            }
            var idParts = try Self.children(certID)
            _ = idParts.next()
            _ = idParts.next()
            _ = idParts.next()
            guard let serialNode = idParts.next(),
                Certificate.SerialNumber(bytes: try ArraySlice<UInt8>(derEncoded: serialNode)) == serialNumber
            else { continue }
            let thisUpdate = try DERTime.date(thisUpdateNode)
            var nextUpdate: Date?
            if let next = parts.next(), next.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
            {
                var inner = try Self.children(next)
                if let time = inner.next() { nextUpdate = try DERTime.date(time) }
            }
            let answerStatus: OCSPAnswer.Status
            switch status.identifier.tagNumber {
            case 0: answerStatus = .good
            case 1:
                var info = try Self.children(status)
                guard let timeNode = info.next() else { return nil }
                var reason: CRLReason?
                if let reasonWrapper = info.next() {
                    var inner = try Self.children(reasonWrapper)
                    if let enumerated = inner.next(), case .primitive(let content) = enumerated.content,
                        content.count == 1
                    {
                        reason = CRLReason(rawValue: Int(content.first!))
                    }
                }
                answerStatus = .revoked(date: try DERTime.date(timeNode), reason: reason)
            default: answerStatus = .unknown
            }
            return OCSPAnswer(
                status: answerStatus,
                thisUpdate: thisUpdate,
                nextUpdate: nextUpdate,
                responder: responder
            )
        }
        return nil
    }

    private static func children(_ node: ASN1Node) throws -> ASN1NodeCollection.Iterator {
        guard case .constructed(let children) = node.content else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        return children.makeIterator()
    }
}
