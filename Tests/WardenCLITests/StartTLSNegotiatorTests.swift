import NIOCore
import NIOEmbedded
import NIOSSL
import Synchronization
import Testing

@testable import WardenCLI

/// The plaintext openings of `--starttls`, byte by byte on an `EmbeddedChannel`: replies split across reads, a
/// three-character reply line, a greeting that is not UTF-8, bytes a server sends where none belong, a reply without
/// end. (The whole exchange runs against real PostgreSQL and aiosmtpd servers in `ScanEndpointTests`.)
@Suite struct StartTLSNegotiatorTests {
    final class ErrorCatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let errors = Mutex<[String]>([])
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.errors.withLock { $0.append("\(error)") }
        }
    }

    static func channel(_ startTLS: TLSEndpoint.StartTLS) throws -> (EmbeddedChannel, ErrorCatcher) {
        let context = try NIOSSLContext(configuration: .makeClientConfiguration())
        let channel = EmbeddedChannel()
        let catcher = ErrorCatcher()
        try channel.pipeline.syncOperations.addHandler(
            StartTLSNegotiator(protocol: startTLS) { try NIOSSLClientHandler(context: context, serverHostname: "db") }
        )
        try channel.pipeline.syncOperations.addHandler(catcher)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5432)).wait()
        return (channel, catcher)
    }

    static func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return bytes
    }

    static func isTLS(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)) != nil
    }

    @Test func postgresAsksForTLSAndUpgradesOnS() throws {
        let (channel, catcher) = try Self.channel(.postgres)
        #expect(try Self.written(channel) == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
        try channel.writeInbound(ByteBuffer(string: "S"))
        #expect(Self.isTLS(channel))
        #expect(try Self.written(channel).prefix(1) == [0x16], "a TLS ClientHello follows")
        #expect(catcher.errors.withLock { $0 }.isEmpty)
    }

    @Test func postgresRefusesNoAndEarlyBytes() throws {
        let (refusing, refusal) = try Self.channel(.postgres)
        try refusing.writeInbound(ByteBuffer(string: "N"))
        #expect(!Self.isTLS(refusing))
        #expect(refusal.errors.withLock { $0 }.first?.contains("does not offer TLS") == true)

        let (early, earlyErrors) = try Self.channel(.postgres)
        try early.writeInbound(ByteBuffer(bytes: [UInt8(ascii: "S"), 0x16, 0x03]))
        #expect(!Self.isTLS(early))
        #expect(earlyErrors.errors.withLock { $0 }.first?.contains("before the TLS handshake") == true)
    }

    @Test func smtpRepliesSplitAcrossReadsAndOddLinesAreRead() throws {
        let (channel, catcher) = try Self.channel(.smtp)
        #expect(try Self.written(channel).isEmpty, "the server speaks first")
        // A Latin-1 greeting in two pieces, then a bare three-character final line.
        try channel.writeInbound(ByteBuffer(bytes: Array("220-caf".utf8) + [0xE9]))
        try channel.writeInbound(ByteBuffer(string: "\r\n220\r\n"))
        #expect(String(decoding: try Self.written(channel), as: UTF8.self) == "EHLO warden.invalid\r\n")
        try channel.writeInbound(ByteBuffer(string: "250-mail.example\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"))
        #expect(String(decoding: try Self.written(channel), as: UTF8.self) == "STARTTLS\r\n")
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n"))
        #expect(Self.isTLS(channel))
        #expect(catcher.errors.withLock { $0 }.isEmpty)
    }

    @Test func smtpWithoutSTARTTLSOrWithGarbageIsRefused() throws {
        let (plain, plainErrors) = try Self.channel(.smtp)
        try plain.writeInbound(ByteBuffer(string: "220 hello\r\n250 SIZE 1000\r\n"))
        #expect(plainErrors.errors.withLock { $0 }.first?.contains("does not offer STARTTLS") == true)

        let (garbage, garbageErrors) = try Self.channel(.smtp)
        try garbage.writeInbound(ByteBuffer(bytes: Array("\u{1B}[31mhello".utf8) + [0x0D, 0x0A]))
        let error = garbageErrors.errors.withLock { $0 }.first ?? ""
        #expect(error.contains("not a reply"))
        #expect(!error.contains("\u{1B}"), "the server's bytes are not printed raw: \(error)")

        let (endless, endlessErrors) = try Self.channel(.smtp)
        try endless.writeInbound(ByteBuffer(repeating: UInt8(ascii: "a"), count: 70_000))
        #expect(endlessErrors.errors.withLock { $0 }.first?.contains("over 64 KiB") == true)
        #expect(!Self.isTLS(endless))
    }
}
