/// A compact JWS (RFC 7515 §7.1) taken apart: the decoded header and claims, the signing input and the signature.
///
/// Only the compact serialization is accepted, with exactly three segments, each strict base64url; a five-segment JWE
/// or a JWS with an empty signature is rejected. Nothing is decoded from a token longer than the limit.
struct CompactJWS {
    let header: [String: JSONValue]
    let claims: [String: JSONValue]
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]

    init(_ token: [UInt8], maximumSize: Int) throws(SPIFFEError) {
        guard !token.isEmpty else { throw SPIFFEError(.malformedToken, "the token is empty") }
        guard token.count <= maximumSize else {
            throw SPIFFEError(.tokenTooLarge, "the token is \(token.count) bytes, over the limit of \(maximumSize)")
        }
        var dots: (Int, Int) = (-1, -1)
        var count = 0
        for index in token.indices where token[index] == UInt8(ascii: ".") {
            count += 1
            if count == 1 { dots.0 = index } else if count == 2 { dots.1 = index }
        }
        guard count == 2 else {
            let detail = count == 4 ? " (a JWE, which is not accepted)" : ""
            throw SPIFFEError(.malformedToken, "the token has \(count + 1) segments\(detail); a compact JWS has 3")
        }
        let headerPart = token[..<dots.0]
        let payloadPart = token[(dots.0 + 1)..<dots.1]
        let signaturePart = token[(dots.1 + 1)...]
        guard !signaturePart.isEmpty else { throw SPIFFEError(.malformedToken, "the token has an empty signature") }
        self.header = try Self.decodeObject(headerPart, what: "header")
        self.claims = try Self.decodeObject(payloadPart, what: "payload")
        guard let signature = Base64URL.decode(signaturePart) else {
            throw SPIFFEError(.malformedToken, "the signature is not strict base64url (no padding, URL-safe alphabet)")
        }
        self.signature = signature
        self.signingInput = token[..<dots.1]
    }

    private static func decodeObject(_ part: ArraySlice<UInt8>, what: String) throws(SPIFFEError) -> [String: JSONValue] {
        guard let bytes = Base64URL.decode(part) else {
            throw SPIFFEError(.malformedToken, "the \(what) is not strict base64url (no padding, URL-safe alphabet)")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw SPIFFEError(.malformedToken, "the \(what) is not valid JSON: \(error)")
        }
        guard let object = value.objectValue else { throw SPIFFEError(.malformedToken, "the \(what) is not a JSON object") }
        return object
    }
}
