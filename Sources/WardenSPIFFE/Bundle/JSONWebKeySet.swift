import WardenCore

/// Reads the `keys` of a JSON Web Key Set (RFC 7517 §5) for the bundle types, with the limits every bundle shares.
enum JSONWebKeySet {
    /// Bundles larger than this are refused before parsing.
    static let maximumSize = 4 << 20

    /// Parses `bytes` as a JSON object; `what` names the document in errors.
    static func document(_ bytes: some Collection<UInt8>, what: String) throws(SPIFFEError) -> [String: JSONValue] {
        guard bytes.count <= Self.maximumSize else {
            throw SPIFFEError(
                .malformedBundle,
                "\(what) is \(bytes.count) bytes, over the limit of \(Self.maximumSize)"
            )
        }
        guard !bytes.isEmpty else { throw SPIFFEError(.malformedBundle, "\(what) is empty") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(bytes))
        } catch {
            throw SPIFFEError(.malformedBundle, "\(what) is not valid JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw SPIFFEError(.malformedBundle, "\(what) is not a JSON object")
        }
        return object
    }

    /// The key objects of `keys`, or `nil` when the member is absent.
    static func keys(of document: [String: JSONValue], what: String) throws(SPIFFEError) -> [[String: JSONValue]]? {
        guard let member = document["keys"] else { return nil }
        guard let array = member.arrayValue else {
            throw SPIFFEError(.malformedBundle, "\(what): \"keys\" is not an array")
        }
        var keys: [[String: JSONValue]] = []
        keys.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let key = element.objectValue else {
                throw SPIFFEError(.malformedBundle, "\(what): entry \(index) of \"keys\" is not an object")
            }
            keys.append(key)
        }
        return keys
    }

    /// Reads a JWT authority: its `kid` and key. Returns `nil` for a key type Warden does not verify with, which a bundle
    /// skips rather than rejects; `skipped` receives the reason.
    static func jwtAuthority(
        _ jwk: [String: JSONValue],
        index: Int,
        what: String,
        skipped: inout [String]
    ) throws(SPIFFEError) -> (keyID: String, key: JWTPublicKey)? {
        let entry = "\(what): entry \(index)"
        guard let keyID = jwk["kid"]?.stringValue, !keyID.isEmpty else {
            throw SPIFFEError(.bundleMissingKeyID, "\(entry) is a JWT authority without a key ID (\"kid\")")
        }
        do {
            return (keyID, try JWTPublicKey(jwk: jwk, entry: "\(entry) (kid \"\(keyID)\")"))
        } catch let error where error.code == .unsupportedKey {
            skipped.append(error.message)
            return nil
        }
    }

    /// The JWK of a JWT authority, for serialization.
    static func jwk(keyID: String, key: JWTPublicKey, use: String?) -> JSONValue {
        var members = key.keyMembers
        members["kid"] = .string(keyID)
        if let use { members["use"] = .string(use) }
        return .object(members)
    }
}
