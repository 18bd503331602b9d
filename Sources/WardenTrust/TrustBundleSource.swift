public import WardenCredentials
public import WardenSPIFFE

/// A source of one trust domain's bundle: a `CredentialSource` of ``SPIFFEBundle`` that says which trust domain it
/// serves, so that a ``TrustBundleManager`` can refuse a bundle of another.
public protocol TrustBundleSource: CredentialSource where Value == SPIFFEBundle {
    /// The trust domain whose bundle this source publishes.
    var trustDomain: TrustDomain { get }
}
