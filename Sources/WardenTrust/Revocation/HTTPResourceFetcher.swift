import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One bounded HTTP exchange over AsyncHTTPClient, for CRL distribution points and OCSP responders: only `http` and
/// `https` URLs, a deadline, a cap on the body, and typed ``TrustError``s naming `what` was asked.
struct HTTPResourceFetcher: Sendable {
    let client: HTTPClient
    let timeout: Duration
    let maximumSize: Int

    struct Response {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    func send(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        what: String
    ) async throws(TrustError) -> Response {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            parsed.host != nil
        else {
            throw TrustError(.invalidEndpoint, "\(what) '\(url)' is not an http or https URL")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let deadline =
            NIODeadline.now()
            + .nanoseconds(
                Int64(self.timeout.components.seconds) * 1_000_000_000 + self.timeout.components.attoseconds
                    / 1_000_000_000
            )
        do {
            let response = try await self.client.execute(request, deadline: deadline)
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: self.maximumSize)
            } catch is NIOTooManyBytesError {
                throw TrustError(.responseTooLarge, "\(what) '\(url)' sent more than \(self.maximumSize) bytes")
            }
            return Response(
                status: Int(response.status.code),
                headers: response.headers,
                body: Array(buffer.readableBytesView)
            )
        } catch let error as TrustError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw TrustError(.timedOut, "\(what) '\(url)' did not answer within \(self.timeout)")
        } catch {
            if NIODeadline.now() >= deadline {
                throw TrustError(.timedOut, "\(what) '\(url)' did not answer within \(self.timeout)")
            }
            throw TrustError(.endpointUnreachable, "\(what) '\(url)' cannot be reached: \(error)")
        }
    }
}
