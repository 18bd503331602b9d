import GRPCCore
import GRPCNIOTransportHTTP2
import Warden

/// One unary gRPC method, `warden.examples.Greeter/Hello`, whose reply names the caller by the SPIFFE ID of its
/// verified client certificate, which the transport hands the handler per connection.
struct GreeterService: RegistrableRPCService {
    static let hello = MethodDescriptor(fullyQualifiedService: "warden.examples.Greeter", method: "Hello")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: Self.hello, deserializer: UTF8Coder(), serializer: UTF8Coder()) {
            request,
            context in
            let message = try await ServerRequest(stream: request).message
            let peer = context.transportSpecific as? HTTP2ServerTransport.Posix.Context
            // The verification callback already checked this certificate; here it only names the caller.
            let caller = peer?.peerCertificate.flatMap { try? X509SVID.validateLeaf($0) }
            guard let caller else {
                throw RPCError(code: .unauthenticated, message: "no verified client certificate")
            }
            return StreamingServerResponse(single: ServerResponse(message: "hello \(caller), you said \(message)"))
        }
    }
}

/// Messages as UTF-8 text, so that the example needs no generated protobuf code.
struct UTF8Coder: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: String) throws -> Bytes {
        Bytes(Array(message.utf8))
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> String {
        serializedMessageBytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
