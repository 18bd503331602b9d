/// A test server could not be found, started or driven; the message says which and where its log is.
public struct TestServerError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
