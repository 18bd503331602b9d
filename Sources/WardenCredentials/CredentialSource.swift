/// Where credentials come from: Vault, a file another agent writes, a closure, a constant.
///
/// A source does one thing per call and keeps no schedule: the ``RotatingCredentialProvider`` decides when to call
/// it, retries it with backoff, and serves the last good value while it fails. A new kind of credential is a new
/// source, never a new refresh loop.
public protocol CredentialSource<Value>: Sendable {
    /// The credential's type.
    associatedtype Value: Sendable

    /// A short name for logs, metrics and the inventory, for example `vault:database/creds/app`.
    var name: String { get }

    /// Whether a value past its hard expiry may still be served under ``RotationPolicy/staleExtension``.
    ///
    /// `true` by default. Sources of server-side leases (Vault dynamic secrets) return `false`: the server has
    /// already revoked them, so a stale value would only fail later and less clearly.
    var allowsStaleValues: Bool { get }

    /// Whether this source's credentials are leases that the issuer can revoke early (Vault database credentials, PKI
    /// certificates, tokens): the provider then revokes the one it holds when it shuts down, and any that arrives too
    /// late to be used, unless ``RotationPolicy/revokeOnShutdown`` says otherwise. `false` by default.
    var issuesLeases: Bool { get }

    /// Gets a fresh credential.
    func fetch() async throws -> Credential<Value>

    /// Extends `credential` in place and returns it with its new expiry. Called only for credentials whose
    /// ``Credential/isRenewable`` is `true`. The default throws: the source cannot renew.
    func renew(_ credential: Credential<Value>) async throws -> Credential<Value>

    /// Retires `credential` at the issuer (revokes a Vault lease). The default does nothing.
    func revoke(_ credential: Credential<Value>) async throws

    /// Whether a renewal that failed with `error` says only that the issuer could not answer now (unreachable, timed
    /// out, sealed, overloaded), not that it refused the credential. The provider then keeps the held credential and
    /// retries the renewal on its backoff schedule, instead of fetching a new one at once: a fetch would fail the same
    /// way, or, the moment the issuer answers again, replace a credential that still works (a new lease and database
    /// user left behind for each hiccup). The renewal is put off only while the credential has more than a quarter of
    /// its lifetime (or the mandatory window, if longer) left, never after it was refused or the source pushed a
    /// change; the last retry is brought to that point, and if it fails too, a fetch follows. The default is `false`:
    /// every failed renewal is followed by a fetch (wrappers such as ``FallbackCredentialSource`` keep the default).
    func isUnavailability(_ error: any Error) -> Bool
}

extension CredentialSource {
    /// `true`: a value past its expiry may be served when the policy opts in.
    public var allowsStaleValues: Bool { true }

    /// `false`: the credentials are not revocable leases.
    public var issuesLeases: Bool { false }

    /// Throws ``CredentialsError/Code/renewalUnsupported``.
    public func renew(_ credential: Credential<Value>) async throws -> Credential<Value> {
        throw CredentialsError(.renewalUnsupported, "\(self.name) cannot renew credentials")
    }

    /// Does nothing.
    public func revoke(_ credential: Credential<Value>) async throws {}

    /// `false`: any failed renewal may mean the credential is gone, so a fetch follows it.
    public func isUnavailability(_ error: any Error) -> Bool { false }
}

/// A source that learns by itself when it has something newer, such as one that keeps a stream open to an issuer that
/// pushes rotations (the SPIFFE Workload API): the provider asks to be called back, and fetches at once when it is
/// (``RotatingCredentialProvider/refreshNow()``), instead of waiting for the next refresh point.
public protocol PushingCredentialSource: CredentialSource {
    /// Calls `body` after each change of what ``CredentialSource/fetch()`` would return: a new value, or a failure or
    /// recovery of the source. `body` is cheap and may be called from any thread.
    func onChange(_ body: @escaping @Sendable () -> Void)
}
