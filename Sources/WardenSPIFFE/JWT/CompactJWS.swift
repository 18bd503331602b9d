import WardenCore

/// A compact JWS (RFC 7515 §7.1) taken apart: the decoded header and claims, the signing input and the signature.
///
/// Only the compact serialization is accepted, with exactly three segments, each strict base64url; a five-segment JWE
/// or a JWS with an empty signature is rejected. Nothing is decoded from a token longer than the limit.
///
/// The token is borrowed, not copied: ``signingInput`` points into it and is valid only inside the call that made the
/// value (the verifiers' `withUTF8`). Header and claims are decoded into temporary stack space and parsed from there.
struct CompactJWS {
    let header: JSONMembers
    let claims: JSONMembers
    /// `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers.
    let signingInput: UnsafeBufferPointer<UInt8>
    let signature: [UInt8]

    init(_ token: UnsafeBufferPointer<UInt8>, maximumSize: Int) throws(SPIFFEError) {
        guard !token.isEmpty else { throw SPIFFEError(.malformedToken, "the token is empty") }
        guard token.count <= maximumSize else {
            throw SPIFFEError(.tokenTooLarge, "the token is \(token.count) bytes, over the limit of \(maximumSize)")
        }
        let dot = UInt8(ascii: ".")
        guard let first = token.firstIndex(of: dot), let second = token[(first + 1)...].firstIndex(of: dot),
            !token[(second + 1)...].contains(dot)
        else {
            let count = token.reduce(0) { $0 + ($1 == dot ? 1 : 0) }
            let detail = count == 4 ? " (a JWE, which is not accepted)" : ""
            throw SPIFFEError(.malformedToken, "the token has \(count + 1) segments\(detail); a compact JWS has 3")
        }
        let signaturePart = UnsafeBufferPointer(rebasing: token[(second + 1)...])
        guard !signaturePart.isEmpty else { throw SPIFFEError(.malformedToken, "the token has an empty signature") }
        self.header = try Self.decodeObject(UnsafeBufferPointer(rebasing: token[..<first]), what: "header")
        self.claims = try Self.decodeObject(UnsafeBufferPointer(rebasing: token[(first + 1)..<second]), what: "payload")
        guard let signature = Base64.URL.decode(signaturePart) else {
            throw SPIFFEError(.malformedToken, "the signature is not strict base64url (no padding, URL-safe alphabet)")
        }
        self.signature = signature
        self.signingInput = UnsafeBufferPointer(rebasing: token[..<second])
    }

    private static func decodeObject(
        _ part: UnsafeBufferPointer<UInt8>,
        what: String
    ) throws(SPIFFEError) -> JSONMembers {
        guard let capacity = Base64.URL.decodedCount(part.count) else { throw Self.notBase64URL(what) }
        let result: Result<JSONMembers, SPIFFEError> = withUnsafeTemporaryAllocation(
            of: UInt8.self,
            capacity: max(capacity, 1)
        ) { buffer in
            guard let count = Base64.URL.decode(part, into: buffer) else { return .failure(Self.notBase64URL(what)) }
            do {
                guard let members = try JSONParser.parseObjectMembers(UnsafeBufferPointer(rebasing: buffer[..<count]))
                else {
                    return .failure(SPIFFEError(.malformedToken, "the \(what) is not a JSON object"))
                }
                return .success(members)
            } catch {
                return .failure(SPIFFEError(.malformedToken, "the \(what) is not valid JSON: \(error)"))
            }
        }
        return try result.get()
    }

    private static func notBase64URL(_ what: String) -> SPIFFEError {
        SPIFFEError(.malformedToken, "the \(what) is not strict base64url (no padding, URL-safe alphabet)")
    }
}
