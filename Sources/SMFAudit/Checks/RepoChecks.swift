import Foundation

/// A source tree (`--repo`): env files tracked or in git history, ignore-file
/// coverage, hard-coded secrets, unpinned base images. Uses `git` read-only
/// when it is installed and the directory is a work tree.
struct RepoChecks: AuditCheck {
    let name = "repo"
    let input = AuditInput.repo
    let keys: Set<String> = ["secrets.env-files-not-committed", "mistake.hardcoded-secrets", "mistake.outdated-dependencies"]

    func run(in context: AuditContext) -> [Finding] {
        guard let directory = context.request.repoDirectory else { return [] }
        let git = Git(directory: directory)
        let files = git?.trackedFiles() ?? Self.walk(directory)
        var findings = envFileFindings(directory, files: files, git: git)
        findings += ignoreFindings(directory, files: files, git: git)
        findings += secretFindings(directory, files: files)
        findings += imageFindings(directory, files: files)
        return findings
    }

    /// Under a tests/fixtures directory (see `SourceSecretScanner.skippedDirectories`).
    static func isTestFixture(_ path: String) -> Bool {
        !SourceSecretScanner.shouldScan(path)
    }

    static func isEnvName(_ path: String) -> Bool {
        DeploymentDiscovery.isEnvFile((path as NSString).lastPathComponent)
    }

    private func envFileFindings(_ directory: String, files: [String], git: Git?) -> [Finding] {
        let key = "secrets.env-files-not-committed"
        var findings: [Finding] = []
        for path in files where Self.isEnvName(path) {
            let full = (directory as NSString).appendingPathComponent(path)
            guard let file = try? EnvFile.load(full) else { continue }
            if file.isExample || Self.isTestFixture(path) {
                // Committed by design (a template, or a test fixture): it must hold no real-looking secret.
                findings += EnvExampleRules.findings(file).filter { keys.contains($0.key) }.map { relabel($0, path) }
            } else {
                findings.append(.fail(key, .critical, Evidence(file: path, detail: "env file tracked by git"),
                                      fix: "git rm --cached \(path), add it to .gitignore, and rotate every secret it held."))
            }
        }
        guard let git else {
            findings.append(.notApplicable(key, "git history not checked: git is not installed or \(directory) is not a work tree"))
            return findings
        }
        if let history = git.pathsEverAdded() {
            var reported: Set<String> = []
            for entry in history where Self.isEnvName(entry.path) && !Self.isTestFixture(entry.path)
                && !(EnvFile(path: entry.path, contents: "", mode: nil).isExample) && reported.insert(entry.path).inserted {
                findings.append(.fail(key, .high, Evidence(file: entry.path, detail: "env file present in git history (added in commit \(entry.commit))"),
                                      fix: "Rotate every secret it held; remove it from history (git filter-repo) if the repository is shared."))
            }
        }
        return findings
    }

    /// The example file's findings name the absolute path; the repo report uses the relative one.
    private func relabel(_ finding: Finding, _ path: String) -> Finding {
        Finding(key: finding.key, status: finding.status, severity: finding.severity,
                evidence: Evidence(file: path, line: finding.evidence.line, detail: finding.evidence.detail), remediation: finding.remediation)
    }

    private func ignoreFindings(_ directory: String, files: [String], git: Git?) -> [Finding] {
        let key = "secrets.env-files-not-committed"
        var findings: [Finding] = []
        let probes = [".env", ".env.production", "deploy/.env"]
        if let ignored = git?.ignored(probes) {
            let uncovered = probes.filter { !ignored.contains($0) }
            if uncovered.isEmpty {
                findings.append(.pass(key, Evidence(file: ".gitignore", detail: "git ignores \(probes.joined(separator: ", "))")))
            } else {
                findings.append(.warn(key, .medium, Evidence(file: ".gitignore", detail: "git would not ignore \(uncovered.joined(separator: ", "))"), fix: "Add `.env*` and `!.env.example` to .gitignore."))
            }
        } else {
            let text = (try? String(contentsOfFile: (directory as NSString).appendingPathComponent(".gitignore"), encoding: .utf8)) ?? ""
            if text.split(separator: "\n").contains(where: { $0.hasPrefix(".env") || $0.hasPrefix("*.env") || $0.hasPrefix("**/.env") }) {
                findings.append(.pass(key, Evidence(file: ".gitignore", detail: ".gitignore names .env files")))
            } else {
                findings.append(.warn(key, .medium, Evidence(file: ".gitignore", detail: "no .gitignore entry for .env files"), fix: "Add `.env*` and `!.env.example` to .gitignore."))
            }
        }
        let hasDockerfile = files.contains { DeploymentDiscovery.isDockerfile(($0 as NSString).lastPathComponent) && SourceSecretScanner.shouldScan($0) }
        if hasDockerfile {
            let path = (directory as NSString).appendingPathComponent(".dockerignore")
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let ignore = DockerIgnore(contents: text)
                let uncovered = [".env", "deploy/.env", ".env.prod"].filter { !ignore.ignores($0) }
                if uncovered.isEmpty {
                    findings.append(.pass(key, Evidence(file: ".dockerignore", detail: ".dockerignore keeps .env files out of the build context")))
                } else {
                    findings.append(.warn(key, .medium, Evidence(file: ".dockerignore", detail: ".dockerignore lets \(uncovered.joined(separator: ", ")) into the build context"), fix: "Add `.env*` and `**/.env*` to .dockerignore."))
                }
            } else {
                findings.append(.warn(key, .medium, Evidence(file: ".dockerignore", detail: "a Dockerfile but no .dockerignore: `COPY . .` copies .env files into the image"), fix: "Add a .dockerignore with `.env*`, `**/.env*`, `.git`, secrets and build output."))
            }
        }
        return findings
    }

    private func secretFindings(_ directory: String, files: [String]) -> [Finding] {
        let key = "mistake.hardcoded-secrets"
        var findings: [Finding] = []
        var scanned = 0
        for path in files where SourceSecretScanner.shouldScan(path) {
            let full = (directory as NSString).appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: full), data.count <= SourceSecretScanner.maximumFileBytes,
                  !data.contains(0), let text = String(data: data, encoding: .utf8) else { continue }
            scanned += 1
            for hit in SourceSecretScanner.scan(text) {
                findings.append(.fail(key, .critical, Evidence(file: path, line: hit.line, detail: "\(hit.kind) in source"),
                                      fix: "Remove it from the code, rotate it, and read it from the environment or a secret file."))
            }
        }
        if findings.isEmpty {
            findings.append(.pass(key, Evidence(file: directory, detail: "\(scanned) files scanned (tests and fixtures skipped): no known token format, no high-entropy secret literal")))
        }
        return findings
    }

    /// Base images in the repository's Dockerfiles and compose files.
    private func imageFindings(_ directory: String, files: [String]) -> [Finding] {
        var findings: [Finding] = []
        for path in files where SourceSecretScanner.shouldScan(path) {
            let name = (path as NSString).lastPathComponent
            let full = (directory as NSString).appendingPathComponent(path)
            if DeploymentDiscovery.isDockerfile(name), let text = try? String(contentsOfFile: full, encoding: .utf8) {
                let dockerfile = Dockerfile(path: path, contents: text)
                let stageNames = Set(dockerfile.stages.compactMap(\.name))
                for stage in dockerfile.stages where !stageNames.contains(stage.image.lowercased()) && stage.image.lowercased() != "scratch" {
                    findings.append(ImagePinningRule.finding(image: stage.image, evidence: Evidence(file: path, line: stage.from.line, detail: "FROM \(stage.image)")))
                }
            } else if DeploymentDiscovery.isComposeFile(name), let text = try? String(contentsOfFile: full, encoding: .utf8),
                      let compose = try? ComposeFile.parse(path: path, contents: text) {
                for service in compose.services {
                    if let image = service.image {
                        findings.append(ImagePinningRule.finding(image: image.value, evidence: Evidence(file: path, line: image.line, detail: "\(service.name): image \(image.value)")))
                    }
                }
            }
        }
        return findings
    }

    /// Without git: every regular file below `directory`, relative.
    static func walk(_ directory: String) -> [String] {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey, .isRegularFileKey]) else { return [] }
        var paths: [String] = []
        while let url = enumerator.nextObject() as? URL {
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey])
            if values?.isDirectory == true {
                if url.lastPathComponent == ".git" || url.lastPathComponent.hasPrefix(".build") || url.lastPathComponent == "node_modules" { enumerator.skipDescendants() }
                continue
            }
            guard values?.isRegularFile == true else { continue }
            let full = url.standardizedFileURL.path
            paths.append(String(full.dropFirst(root.path.count).drop(while: { $0 == "/" })))
        }
        return paths.sorted()
    }
}
