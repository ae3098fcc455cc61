/// What the caller asked to audit: paths and flags, nothing read yet.
public struct AuditRequest: Sendable, Equatable {
    public var envFiles: [String] = []
    public var composeFiles: [String] = []
    public var dockerfiles: [String] = []
    public var nginxFiles: [String] = []
    /// Rendered Kubernetes manifests: files, or directories of *.yaml files.
    public var kubernetesPaths: [String] = []
    public var repoDirectory: String?
    public var url: String?
    public var databaseURL: String?
    public var host = false
    /// Seconds each live probe may take (for the live checks).
    public var timeoutSeconds: Double = 10
    /// Connect the live probes to this address instead of resolving the
    /// URL's host (`--address`); Host header and TLS name stay the URL's.
    public var liveAddress: String?
    /// Extra CA certificates the live TLS check trusts (`--cacert`).
    public var liveCAFile: String?

    public init() {}

    /// The inputs this request provides.
    public var providedInputs: Set<AuditInput> {
        var inputs: Set<AuditInput> = [.person]
        if !envFiles.isEmpty { inputs.insert(.env) }
        if !composeFiles.isEmpty { inputs.insert(.compose) }
        if !dockerfiles.isEmpty { inputs.insert(.docker) }
        if !nginxFiles.isEmpty { inputs.insert(.nginx) }
        if !kubernetesPaths.isEmpty { inputs.insert(.kubernetes) }
        if repoDirectory != nil { inputs.insert(.repo) }
        if url != nil { inputs.insert(.live) }
        if databaseURL != nil { inputs.insert(.database) }
        if host { inputs.insert(.host) }
        return inputs
    }

    /// Adds what `DeploymentDiscovery` found, keeping explicitly given files first.
    public mutating func merge(_ discovered: DeploymentDiscovery.Files) {
        func add(_ paths: [String], to list: inout [String]) {
            for path in paths where !list.contains(path) { list.append(path) }
        }
        add(discovered.envFiles, to: &envFiles)
        add(discovered.composeFiles, to: &composeFiles)
        add(discovered.dockerfiles, to: &dockerfiles)
        add(discovered.nginxFiles, to: &nginxFiles)
    }
}
