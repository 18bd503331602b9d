public import WardenPKI

/// A provider of a CRL source feeds a ``RevocationPolicy`` directly: each verification reads the list the provider
/// holds now, and none once it has expired (its `nextUpdate` plus the source's grace).
extension RotatingCredentialProvider: RevocationListProvider where Source.Value == RevocationList {
    public func currentRevocationLists() -> [RevocationList] {
        self.currentIfAvailable().map { [$0] } ?? []
    }
}
