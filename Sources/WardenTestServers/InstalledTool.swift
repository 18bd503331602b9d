public import Foundation

/// Where the servers' programs are: installed by `Scripts/install-test-peers.sh` (OpenBao into the repository's
/// `.venv`, PostgreSQL from the system's packages), or named by the environment.
public enum InstalledTool {
    /// The repository root, found from this file's path (the module is always built from the repository's source).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `bao`: `WARDEN_BAO`, then the repository's `.venv/bin/bao`, then `PATH`.
    public static var openBao: String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["WARDEN_BAO"] { candidates.append(configured) }
        candidates.append(Self.repositoryRoot.appendingPathComponent(".venv/bin/bao").path)
        candidates += Self.onPath("bao")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A Python for the Python peers: `WARDEN_PYTHON`, then the repository's `.venv/bin/python3`, then `python3` on
    /// `PATH`. Whether it has the packages a peer needs is the peer's to find out.
    public static var python: String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["WARDEN_PYTHON"] { candidates.append(configured) }
        candidates.append(Self.repositoryRoot.appendingPathComponent(".venv/bin/python3").path)
        candidates += Self.onPath("python3")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The newest PostgreSQL server's `bin` directory (Debian's layout, `/usr/lib/postgresql/<major>/bin`), when it
    /// and the `psql` client are installed.
    public static var postgresBinDirectory: String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/psql") else { return nil }
        let majors = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return majors.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    static func onPath(_ name: String) -> [String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }
    }
}
