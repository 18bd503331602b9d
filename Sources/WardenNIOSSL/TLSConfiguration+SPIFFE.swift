public import NIOCertificateReloading
public import NIOSSL

extension TLSConfiguration {
    /// A server configuration for SPIFFE mTLS: the certificate and key come from `certificateReloader` at every
    /// handshake, TLS 1.2 at least, and a client certificate is required. Verify it with
    /// ``SPIFFEPeerVerifier/callback`` in the `NIOSSLServerHandler`: the configuration's own trust roots are not used.
    ///
    /// - Throws: `TLSConfiguration.CertificateReloaderError` when the reloader has no certificate yet: start its
    ///   provider (and wait for `current()`) first.
    public static func makeSPIFFEServerConfiguration(
        certificateReloader: some CertificateReloader
    ) throws -> TLSConfiguration {
        var configuration = try TLSConfiguration.makeServerConfiguration(certificateReloader: certificateReloader)
        configuration.minimumTLSVersion = .tlsv12
        // Verification on, so that a client certificate is required; the SPIFFE callback replaces what it checks.
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// A client configuration for SPIFFE mTLS: the client certificate comes from `certificateReloader` at every
    /// handshake. Verify the server with ``SPIFFEPeerVerifier/callback`` in the `NIOSSLClientHandler`.
    public static func makeSPIFFEClientConfiguration(
        certificateReloader: some CertificateReloader
    ) throws -> TLSConfiguration {
        var configuration = try TLSConfiguration.makeClientConfiguration(certificateReloader: certificateReloader)
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }
}
