import Foundation

/// The audit's inputs, read and parsed once, shared by every check.
public struct AuditContext: Sendable {
    public let request: AuditRequest
    public let envFiles: [EnvFile]
    public let composeFiles: [ComposeFile]
    public let dockerfiles: [Dockerfile]
    public let nginx: NginxConfig?
    /// `--kubernetes`: every object of the rendered manifests.
    public let kubernetes: KubernetesManifests?
    /// The keys the report will show (`--only`), nil for all. Checks that
    /// cost requests (live, database) skip the probes no shown key needs.
    public internal(set) var only: Set<String>?

    public init(request: AuditRequest, envFiles: [EnvFile] = [], composeFiles: [ComposeFile] = [],
                dockerfiles: [Dockerfile] = [], nginx: NginxConfig? = nil, kubernetes: KubernetesManifests? = nil) {
        self.request = request
        self.envFiles = envFiles
        self.composeFiles = composeFiles
        self.dockerfiles = dockerfiles
        self.nginx = nginx
        self.kubernetes = kubernetes
    }

    /// Reads and parses every file the request names.
    /// - Throws: `AuditInputError` naming the file that cannot be read or parsed.
    public static func load(_ request: AuditRequest) throws(AuditInputError) -> AuditContext {
        var envFiles: [EnvFile] = []
        for path in request.envFiles { envFiles.append(try EnvFile.load(path)) }
        var composeFiles: [ComposeFile] = []
        for path in request.composeFiles { composeFiles.append(try ComposeFile.load(path)) }
        var dockerfiles: [Dockerfile] = []
        for path in request.dockerfiles { dockerfiles.append(try Dockerfile.load(path)) }
        let nginx = request.nginxFiles.isEmpty ? nil : try NginxConfig.load(request.nginxFiles)
        let kubernetes = request.kubernetesPaths.isEmpty ? nil : try KubernetesManifests.load(request.kubernetesPaths)
        if let repo = request.repoDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: repo, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw AuditInputError("--repo \(repo): not a directory")
            }
        }
        return AuditContext(request: request, envFiles: envFiles, composeFiles: composeFiles, dockerfiles: dockerfiles, nginx: nginx, kubernetes: kubernetes)
    }
}
