// The umbrella module: `import Warden` brings in every Warden module.
@_exported import WardenCore
@_exported import WardenCredentials
@_exported import WardenPKI
@_exported import WardenSPIFFE
@_exported import WardenTrust
@_exported import WardenVault
@_exported import WardenNIOSSL
