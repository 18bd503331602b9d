import Foundation
import WardenTestServers

/// A certificate authority run by the `openssl ca` command line: an independent issuer of certificates, CRLs (and,
/// through `openssl crl -gendelta`, delta CRLs) for the revocation tests, and the index its `openssl ocsp`
/// responder answers from.
public final class OpenSSLCertificateAuthority: Sendable {
    public let directory: TemporaryDirectory
    public let name: String
    /// The CA's certificate, PEM.
    public let certificatePath: String
    public let keyPath: String
    private let configurationPath: String

    /// A self-signed root CA, or an intermediate issued by `parent`.
    public init(
        name: String,
        parent: OpenSSLCertificateAuthority? = nil,
        ocspURI: String? = nil,
        crlURI: String? = nil,
        spiffeID: String? = nil,
        crlExtensions: String = "authorityKeyIdentifier = keyid:always"
    ) throws {
        let directory = try TemporaryDirectory()
        self.directory = directory
        self.name = name
        self.certificatePath = directory.file("ca.pem")
        self.keyPath = directory.file("ca-key.pem")
        self.configurationPath = directory.file("ca.cnf")
        try FileManager.default.createDirectory(atPath: directory.file("certs"), withIntermediateDirectories: true)
        _ = try directory.write("index.txt", "")
        _ = try directory.write("serial", "1000\n")
        _ = try directory.write("crlnumber", "01\n")
        let aia =
            (ocspURI.map { "authorityInfoAccess = OCSP;URI:\($0)\n" } ?? "")
            + (crlURI.map { "crlDistributionPoints = URI:\($0)\n" } ?? "")
        _ = try directory.write(
            "ca.cnf",
            """
            [ ca ]
            default_ca = CA_default
            [ CA_default ]
            dir = \(directory.path)
            database = $dir/index.txt
            new_certs_dir = $dir/certs
            serial = $dir/serial
            crlnumber = $dir/crlnumber
            default_md = sha256
            default_crl_days = 7
            policy = policy_any
            unique_subject = no
            crl_extensions = crl_ext
            [ policy_any ]
            commonName = supplied
            [ crl_ext ]
            \(crlExtensions)
            [ leaf_ext ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth,clientAuth
            subjectAltName = DNS:leaf.example
            \(aia)
            [ ca_ext ]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid:always
            \(aia)
            [ svid_ext ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth,clientAuth
            subjectAltName = URI:\(spiffeID ?? "spiffe://example.org/workload")
            [ loopback_ext ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = serverAuth,clientAuth
            subjectAltName = DNS:localhost, IP:127.0.0.1
            [ responder_ext ]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = OCSPSigning

            """
        )
        if let parent {
            try Self.openssl([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.keyPath,
                "-out", directory.file("ca.csr"), "-subj", "/CN=\(name)",
            ])
            try parent.sign(csr: directory.file("ca.csr"), out: self.certificatePath, extensions: "ca_ext", days: 300)
        } else {
            try Self.openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                self.keyPath, "-out", self.certificatePath, "-days", "365", "-subj", "/CN=\(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
    }

    /// Issues an end-entity certificate (or, with `extensions: "ca_ext"`, a CA) and returns its PEM path.
    @discardableResult
    public func issue(
        _ commonName: String,
        extensions: String = "leaf_ext",
        days: Int = 30,
        startDate: String? = nil,
        endDate: String? = nil
    ) throws -> String {
        let file = commonName.replacingOccurrences(of: " ", with: "-")
        let csr = self.directory.file("\(file).csr")
        try Self.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            self.directory.file("\(file)-key.pem"), "-out", csr, "-subj", "/CN=\(commonName)",
        ])
        let out = self.directory.file("\(file).pem")
        try self.sign(csr: csr, out: out, extensions: extensions, days: days, startDate: startDate, endDate: endDate)
        return out
    }

    /// `startDate`/`endDate` as `YYYYMMDDHHMMSSZ` override `days`.
    func sign(
        csr: String,
        out: String,
        extensions: String,
        days: Int,
        startDate: String? = nil,
        endDate: String? = nil
    ) throws {
        var dates = ["-days", "\(days)"]
        if let startDate { dates += ["-startdate", startDate] }
        if let endDate { dates += ["-enddate", endDate] }
        try Self.openssl(
            self.caArguments + ["-batch", "-in", csr, "-out", out, "-extensions", extensions, "-notext"] + dates
        )
    }

    /// Revokes the certificate at `path`; `reason` is one of `openssl ca -crl_reason`'s names.
    public func revoke(_ path: String, reason: String? = nil) throws {
        try Self.openssl(self.caArguments + ["-revoke", path] + (reason.map { ["-crl_reason", $0] } ?? []))
    }

    /// Generates a CRL and returns its PEM path; `lastUpdate`/`nextUpdate` as `YYYYMMDDHHMMSSZ` when given.
    public func generateCRL(_ fileName: String, lastUpdate: String? = nil, nextUpdate: String? = nil) throws -> String {
        let out = self.directory.file(fileName)
        var arguments = self.caArguments + ["-gencrl", "-out", out]
        if let lastUpdate { arguments += ["-crl_lastupdate", lastUpdate] }
        if let nextUpdate { arguments += ["-crl_nextupdate", nextUpdate] }
        try Self.openssl(arguments)
        return out
    }

    /// A delta CRL from `old` to `new` (`openssl crl -gendelta`); `new` must have a later lastUpdate.
    public func generateDelta(_ fileName: String, new: String, old: String) throws -> String {
        let out = self.directory.file(fileName)
        // `openssl crl -in` takes the older list, `-gendelta` the newer.
        try Self.openssl(["crl", "-in", old, "-gendelta", new, "-key", self.keyPath, "-sha256", "-out", out])
        return out
    }

    private var caArguments: [String] {
        ["ca", "-config", self.configurationPath, "-keyfile", self.keyPath, "-cert", self.certificatePath]
    }

    /// `date` as `openssl ca` takes it (`-startdate`, `-crl_lastupdate`): `YYYYMMDDHHMMSSZ`.
    public static func generalizedTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    @discardableResult
    public static func openssl(_ arguments: [String]) throws -> String {
        let result = try Subprocess.run(try ExternalTool.openssl.require(), arguments)
        guard result.status == 0 else {
            throw TestServerError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)")
        }
        return result.stdout
    }
}

/// A command-line server on a loopback port (`openssl ocsp`, `python3 -m http.server`), killed when released; its
/// output goes to `log`, and it is ready when the log says `readyWhen`. (Not probed by connecting: `openssl ocsp`
/// spins on a connection closed without a request.)
public final class LoopbackServerProcess: Sendable {
    public let port: Int
    public let log: String
    private let process: Process

    public init(executable: String, arguments: [String], port: Int, log: String, readyWhen: String) async throws {
        self.port = port
        self.log = log
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = handle
        process.standardOutput = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Polled with Task.sleep: a blocking wait would hold one of the concurrency pool's threads.
        for _ in 0..<200 {
            if self.output.contains(readyWhen) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestServerError(
            "\(executable) did not listen on port \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
        )
    }

    /// Stops the server now.
    public func stop() {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }

    deinit {
        self.stop()
    }

    public var output: String { (try? String(contentsOfFile: self.log, encoding: .utf8)) ?? "" }
}
