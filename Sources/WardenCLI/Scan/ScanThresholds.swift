/// What each problem code of `warden scan` means, settable on the command line.
///
/// | code | when |
/// | --- | --- |
/// | `expired` | `notAfter` is past |
/// | `expires-soon` | less than `expiresWithin` left (default 30 days, `--expires-within`) |
/// | `not-yet-valid` | `notBefore` is ahead |
/// | `weak-key` | RSA below `minimumRSABits` (default 2048, `--min-rsa-bits`); any EC curve below P-256 |
/// | `sha1-signature` | signed with SHA-1 (or MD5) |
/// | `self-signed-leaf` | a certificate that is not a CA and signs itself |
/// | `long-lifetime` | an end-entity certificate valid longer than `maximumLifetime` (default 398 days, `--max-lifetime`) |
/// | `key-readable-by-others` | a private key file whose mode lets its group or others read it |
/// | `key-without-certificate` | a private key no certificate found in the scan belongs to |
struct ScanThresholds {
    var expiresWithin: Duration = .seconds(30 * 86_400)
    var minimumRSABits = 2048
    var maximumLifetime: Duration = .seconds(398 * 86_400)
}
