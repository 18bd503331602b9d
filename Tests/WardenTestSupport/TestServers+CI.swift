public import WardenTestServers

extension OpenBaoServer {
    /// Whether the tests that need OpenBao run: when it is installed, or under CI (where a missing one fails).
    public static var shouldRun: Bool { ExternalTool.isCI || Self.isInstalled }
}

extension PostgresCluster {
    /// Whether the tests that need PostgreSQL run: when it is installed, or under CI (where a missing one fails).
    public static var shouldRun: Bool { ExternalTool.isCI || Self.isInstalled }
}
