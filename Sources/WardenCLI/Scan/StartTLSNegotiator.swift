import NIOCore
import NIOSSL

/// Speaks a protocol's plaintext opening up to its upgrade to TLS, then puts the TLS handler in its own place.
///
/// PostgreSQL: the 8-byte SSLRequest, answered with one byte, `S` (go on) or `N` (no TLS here). SMTP (RFC 3207): the
/// 220 greeting, `EHLO`, the 250 reply, `STARTTLS`, a 220. Replies are read up to 64 KiB, so a peer that talks on and
/// on cannot grow the buffer without bound; the probe's deadline bounds the time.
final class StartTLSNegotiator: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Step: Equatable {
        case awaitingSSLResponse
        case awaitingGreeting
        case awaitingEHLOReply
        case awaitingStartTLSReply
        case done
    }

    private static let maximumReply = 64 * 1024

    private let startTLS: TLSEndpoint.StartTLS
    private let makeTLS: () throws -> NIOSSLClientHandler
    private var step: Step
    private var buffer = ByteBuffer()

    init(protocol startTLS: TLSEndpoint.StartTLS, makeTLS: @escaping () throws -> NIOSSLClientHandler) {
        self.startTLS = startTLS
        self.makeTLS = makeTLS
        self.step = startTLS == .postgres ? .awaitingSSLResponse : .awaitingGreeting
    }

    func channelActive(context: ChannelHandlerContext) {
        if self.startTLS == .postgres {
            // Length 8, then the SSLRequest code 80877103 (1234 << 16 | 5679).
            let request: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: request)), promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        guard self.buffer.readableBytes + incoming.readableBytes <= Self.maximumReply else {
            context.fireErrorCaught(ProbeError("the \(self.startTLS.rawValue) server's reply is over 64 KiB"))
            return
        }
        self.buffer.writeBuffer(&incoming)
        do {
            // One read may hold more than one reply.
            while true {
                let before = self.step
                try self.advance(context: context)
                if self.step == before || self.step == .done || self.buffer.readableBytes == 0 { break }
            }
        } catch {
            context.fireErrorCaught(error)
        }
    }

    private func advance(context: ChannelHandlerContext) throws {
        switch self.step {
        case .awaitingSSLResponse:
            guard let answer = self.buffer.readInteger(as: UInt8.self) else { return }
            guard answer == UInt8(ascii: "S") else {
                throw ProbeError(
                    "the PostgreSQL server does not offer TLS (it answered the SSLRequest with "
                        + (answer == UInt8(ascii: "N") ? "N)" : "byte \(answer))")
                )
            }
            // The byte after `S` would be the TLS server's: a server that sends it early is refused (CVE-2021-23222).
            guard self.buffer.readableBytes == 0 else {
                throw ProbeError("the PostgreSQL server sent data before the TLS handshake")
            }
            try self.upgrade(context: context)
        case .awaitingGreeting:
            guard let reply = try self.readSMTPReply() else { return }
            guard reply.code == 220 else { throw ProbeError("the SMTP server greeted with \(reply.code)") }
            self.step = .awaitingEHLOReply
            context.writeAndFlush(NIOAny(ByteBuffer(string: "EHLO warden.invalid\r\n")), promise: nil)
        case .awaitingEHLOReply:
            guard let reply = try self.readSMTPReply() else { return }
            guard reply.code == 250 else { throw ProbeError("the SMTP server answered EHLO with \(reply.code)") }
            guard reply.lines.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                throw ProbeError("the SMTP server does not offer STARTTLS")
            }
            self.step = .awaitingStartTLSReply
            context.writeAndFlush(NIOAny(ByteBuffer(string: "STARTTLS\r\n")), promise: nil)
        case .awaitingStartTLSReply:
            guard let reply = try self.readSMTPReply() else { return }
            guard reply.code == 220 else { throw ProbeError("the SMTP server answered STARTTLS with \(reply.code)") }
            guard self.buffer.readableBytes == 0 else {
                throw ProbeError("the SMTP server sent data before the TLS handshake")
            }
            try self.upgrade(context: context)
        case .done:
            context.fireChannelRead(NIOAny(self.buffer))
        }
    }

    /// One complete SMTP reply (`250-…` lines then `250 …`), or nil when more bytes are needed. Lines are found in
    /// the bytes, and only then decoded, so that a reply that is not UTF-8 is read as it is (and counted right).
    private func readSMTPReply() throws -> (code: Int, lines: [String])? {
        let bytes = Array(self.buffer.readableBytesView)
        var lines: [String] = []
        var start = 0
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") else {
                index += 1
                continue
            }
            let line = bytes[start..<index]
            guard line.count >= 3, let code = Int(String(decoding: line.prefix(3), as: UTF8.self)),
                line.count == 3 || line[line.startIndex + 3] == UInt8(ascii: " ")
                    || line[line.startIndex + 3] == UInt8(ascii: "-")
            else {
                throw ProbeError("the SMTP server sent a line that is not a reply: \(Self.printable(line))")
            }
            lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
            index += 2
            start = index
            if line.count == 3 || line[line.startIndex + 3] == UInt8(ascii: " ") {
                self.buffer.moveReaderIndex(forwardBy: start)
                return (code, lines)
            }
        }
        return nil
    }

    /// At most 80 bytes of what a server sent, with anything but printable ASCII as `?`, for an error message.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(80).map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    private func upgrade(context: ChannelHandlerContext) throws {
        self.step = .done
        try context.pipeline.syncOperations.addHandler(self.makeTLS(), position: .before(self))
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
}
