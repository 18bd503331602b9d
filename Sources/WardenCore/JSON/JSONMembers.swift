/// The members of a top-level JSON object in document order: a JWS header or claims set.
///
/// Looked up by a linear scan, which for the handful of short names of a JWT is cheaper than hashing each one; the
/// dictionary the public API shows is built only when asked for. Equality ignores the order, as JSON does.
package struct JSONMembers: Sendable, Hashable {
    package private(set) var members: [(name: String, value: JSONValue)] = []

    package init() {
        self.members.reserveCapacity(8)
    }

    package init(_ dictionary: [String: JSONValue]) {
        self.members = dictionary.keys.sorted().map { ($0, dictionary[$0]!) }
    }

    package subscript(name: String) -> JSONValue? {
        for member in self.members where member.name == name { return member.value }
        return nil
    }

    /// Appends a member; `false` if the name is already present.
    package mutating func append(_ name: String, _ value: JSONValue) -> Bool {
        if self.members.contains(where: { $0.name == name }) { return false }
        self.members.append((name, value))
        return true
    }

    /// Appends a member known not to be present.
    package mutating func appendUnchecked(_ name: String, _ value: JSONValue) {
        self.members.append((name, value))
    }

    package var count: Int { self.members.count }

    package var names: [String] { self.members.map(\.name) }

    package var dictionary: [String: JSONValue] {
        Dictionary(self.members.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    package static func == (lhs: JSONMembers, rhs: JSONMembers) -> Bool {
        lhs.dictionary == rhs.dictionary
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.dictionary)
    }
}
