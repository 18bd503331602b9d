import WardenTestSupport
import WardenWorkloadAPI

extension PythonWorkloadAPI {
    var socket: WorkloadAPIAddress { WorkloadAPIAddress(.unix(path: self.socketPath)) }
    var tcp: WorkloadAPIAddress { WorkloadAPIAddress(.tcp(host: "127.0.0.1", port: self.tcpPort)) }
}

extension WorkloadX509SVID {
    /// The leaf's serial as the peer writes it: lowercase hex, no separators, no leading zeros.
    var serialHex: String {
        let hex = self.svid.leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
