public import WardenSPIFFE
public import X509

/// How a bundle endpoint proves who it is: the two profiles of SPIFFE Federation §5.
///
/// - ``httpsWeb(trustRoots:)``: the endpoint presents a Web PKI certificate, verified against the system's roots or
///   the given ones, with the URL's host name (or IP address) checked against it.
/// - ``httpsSPIFFE(endpointID:bootstrapBundle:)``: the endpoint presents an X509-SVID, verified by the SPIFFE rules
///   against the last bundle held of the endpoint's trust domain, and its SPIFFE ID must be `endpointID` exactly. The
///   bootstrap bundle is used once, when none is held yet. Host names are not checked: an X509-SVID need not carry one.
public struct BundleEndpointProfile: Sendable, CustomStringConvertible {
    enum Backing: Sendable {
        case web(trustRoots: [Certificate]?)
        case spiffe(endpointID: SPIFFEID, bootstrap: X509Bundle?)
    }

    let backing: Backing

    /// The `https_web` profile. `trustRoots` replace the system's roots when given (a private CA).
    public static func httpsWeb(trustRoots: [Certificate]? = nil) -> BundleEndpointProfile {
        BundleEndpointProfile(backing: .web(trustRoots: trustRoots))
    }

    /// The `https_spiffe` profile: the endpoint must present an X509-SVID whose SPIFFE ID is `endpointID`.
    ///
    /// - Parameter bootstrapBundle: the X.509 authorities of `endpointID`'s trust domain, to verify the first fetch
    ///   with. After that the last bundle fetched is used when the endpoint serves its own trust domain's bundle (the
    ///   usual case), and the bootstrap bundle always when it serves another.
    public static func httpsSPIFFE(endpointID: SPIFFEID, bootstrapBundle: X509Bundle?) -> BundleEndpointProfile {
        BundleEndpointProfile(backing: .spiffe(endpointID: endpointID, bootstrap: bootstrapBundle))
    }

    /// `https_web` or `https_spiffe`, as the SPIFFE Federation spec names them.
    public var name: String {
        switch self.backing {
        case .web: "https_web"
        case .spiffe: "https_spiffe"
        }
    }

    public var description: String {
        switch self.backing {
        case .web(let roots): roots == nil ? "https_web (system roots)" : "https_web (\(roots!.count) given roots)"
        case .spiffe(let id, _): "https_spiffe (\(id))"
        }
    }
}
