import Foundation
import SwiftProtobuf
import WardenCore
import WardenPKI
import WardenSPIFFE

// The agent's messages, checked and converted to Warden's types. Counts are checked before any certificate is parsed.

extension X509Context {
    init(response: X509SVIDResponse, limits: WorkloadAPILimits) throws(WorkloadAPIError) {
        guard response.svids.count <= limits.maximumSVIDs else {
            throw WorkloadAPIError(
                .responseTooLarge,
                "the agent sent \(response.svids.count) X509-SVIDs, over the limit of \(limits.maximumSVIDs)"
            )
        }
        guard response.federatedBundles.count + response.svids.count <= limits.maximumBundles else {
            throw WorkloadAPIError(
                .responseTooLarge,
                "the agent sent \(response.federatedBundles.count) federated bundles, over the limit of "
                    + "\(limits.maximumBundles)"
            )
        }
        guard !response.svids.isEmpty else {
            throw WorkloadAPIError(.malformedResponse, "the agent sent no X509-SVID")
        }
        var svids: [WorkloadX509SVID] = []
        svids.reserveCapacity(response.svids.count)
        var bundles = try WorkloadAPIClient.x509Bundles(response.federatedBundles, limits: limits)
        for (index, message) in response.svids.enumerated() {
            let svid = try WorkloadX509SVID(message, index: index)
            svids.append(svid)
            // The SVID's own trust domain's bundle is the one sent with it, whatever a federated entry says.
            bundles[svid.id.trustDomain] = svid.bundle
        }
        self.init(svids: svids, bundles: bundles)
    }
}

extension WorkloadX509SVID {
    init(_ message: X509SVID, index: Int) throws(WorkloadAPIError) {
        let svid: WardenSPIFFE.X509SVID
        do {
            svid = try WardenSPIFFE.X509SVID.parse(
                certificates: Array(message.x509Svid),
                privateKey: Array(message.x509SvidKey)
            )
        } catch let error as SPIFFEError {
            throw WorkloadAPIError(.malformedResponse, "X509-SVID \(index) (\(message.spiffeID)): \(error)")
        } catch {
            throw WorkloadAPIError(.malformedResponse, "X509-SVID \(index) (\(message.spiffeID)): \(error)")
        }
        guard svid.id.description == message.spiffeID else {
            throw WorkloadAPIError(
                .malformedResponse,
                "X509-SVID \(index) is labelled \(message.spiffeID) but its certificate names \(svid.id)"
            )
        }
        let bundle: X509Bundle
        do {
            bundle = try X509Bundle.parse(trustDomain: svid.id.trustDomain, bytes: message.bundle)
        } catch {
            throw WorkloadAPIError(
                .malformedResponse,
                "the bundle sent with X509-SVID \(index) (\(svid.id)) does not parse: \(error.message)"
            )
        }
        self.init(svid: svid, bundle: bundle, hint: message.hint)
    }
}

extension WorkloadJWTSVID {
    /// Reads the claims without checking the signature (see the type's documentation).
    init(_ message: JWTSVID) throws(WorkloadAPIError) {
        func malformed(_ reason: String) -> WorkloadAPIError {
            WorkloadAPIError(.malformedResponse, "the JWT-SVID for \(message.spiffeID) \(reason)")
        }
        let parts = message.svid.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64.URL.decode(String(parts[1])) else {
            throw malformed("is not a compact JWS")
        }
        guard let claims = try? JSONValue(parsing: payload), case .object(let members) = claims else {
            throw malformed("has claims that are not a JSON object")
        }
        guard let subject = members["sub"]?.stringValue, let id = try? SPIFFEID(subject) else {
            throw malformed("has no SPIFFE ID as its subject")
        }
        guard subject == message.spiffeID else {
            throw malformed("names \(subject) as its subject")
        }
        let audience: [String]
        switch members["aud"] {
        case .string(let single): audience = [single]
        case .array(let values): audience = values.compactMap(\.stringValue)
        default: throw malformed("has no audience")
        }
        guard let expiry = members["exp"]?.doubleValue, expiry.isFinite else {
            throw malformed("has no expiry")
        }
        self.init(
            id: id,
            token: Secret(message.svid),
            audience: audience,
            expiry: Date(timeIntervalSince1970: expiry),
            hint: message.hint
        )
    }
}

extension JSONValue {
    /// A protobuf `Value` (the claims of `ValidateJWTSVID`) as Warden's JSON.
    init(protobuf value: Google_Protobuf_Value) {
        switch value.kind {
        case .nullValue, nil: self = .null
        case .numberValue(let number):
            self =
                number.rounded() == number && abs(number) < 1e15 ? .number(String(Int64(number))) : .number("\(number)")
        case .stringValue(let string): self = .string(string)
        case .boolValue(let bool): self = .bool(bool)
        case .structValue(let object): self = .object(object.fields.mapValues(JSONValue.init(protobuf:)))
        case .listValue(let list): self = .array(list.values.map(JSONValue.init(protobuf:)))
        }
    }
}
