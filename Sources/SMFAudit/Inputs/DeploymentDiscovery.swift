import Foundation

/// Finds the files of a deployment directory laid out like this project's
/// `deploy/`: Dockerfile(s), docker-compose*.yml, .env files, nginx configs.
public enum DeploymentDiscovery {
    public struct Files: Sendable, Equatable {
        public var envFiles: [String] = []
        public var composeFiles: [String] = []
        public var dockerfiles: [String] = []
        public var nginxFiles: [String] = []
    }

    /// Directories never worth walking into (and that may hold real secrets
    /// the audit must not parse as configuration).
    static let skippedDirectories: Set<String> = [".git", "node_modules", "secrets", "tls", "acme", "backups", "data"]

    public static func discover(in directory: String) throws(AuditInputError) -> Files {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AuditInputError("--deployment \(directory): not a directory")
        }
        var files = Files()
        let root = URL(fileURLWithPath: directory)
        for relative in walk(root, manager: manager) {
            let path = (directory as NSString).appendingPathComponent(relative)
            let name = (relative as NSString).lastPathComponent
            let components = relative.split(separator: "/")
            if isDockerfile(name) {
                files.dockerfiles.append(path)
            } else if isComposeFile(name) {
                files.composeFiles.append(path)
            } else if isEnvFile(name) {
                files.envFiles.append(path)
            } else if components.first == "nginx" || components.contains("nginx"),
                      name.hasSuffix(".conf") || name.hasSuffix(".conf.template") {
                files.nginxFiles.append(path)
            }
        }
        return files
    }

    static func isDockerfile(_ name: String) -> Bool {
        name == "Dockerfile" || name.hasPrefix("Dockerfile.") || name.hasSuffix(".Dockerfile") || name.hasSuffix(".dockerfile")
    }

    static func isComposeFile(_ name: String) -> Bool {
        (name.hasPrefix("docker-compose") || name.hasPrefix("compose")) && (name.hasSuffix(".yml") || name.hasSuffix(".yaml"))
    }

    /// `.env`, `.env.example`, `.env.prod`, `prod.env`.
    public static func isEnvFile(_ name: String) -> Bool {
        name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env")
    }

    /// Relative paths of regular files, sorted, skipping hidden build output
    /// and secret directories.
    private static func walk(_ root: URL, manager: FileManager) -> [String] {
        guard let enumerator = manager.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey, .isRegularFileKey]) else { return [] }
        var paths: [String] = []
        let rootPath = root.standardizedFileURL.path
        while let url = enumerator.nextObject() as? URL {
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey])
            if values?.isDirectory == true {
                let name = url.lastPathComponent
                if skippedDirectories.contains(name) || name.hasPrefix(".build") { enumerator.skipDescendants() }
                continue
            }
            guard values?.isRegularFile == true else { continue }
            let full = url.standardizedFileURL.path
            guard full.hasPrefix(rootPath) else { continue }
            paths.append(String(full.dropFirst(rootPath.count).drop(while: { $0 == "/" })))
        }
        return paths.sorted()
    }
}
