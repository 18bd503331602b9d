public import WardenTestServers

/// The tests' name for the Workload API stand-in.
public typealias PythonWorkloadAPI = WorkloadAPIAgent
