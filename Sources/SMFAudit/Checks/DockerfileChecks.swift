import Foundation

/// Dockerfiles (`--dockerfile`): the image that ships is the last stage, so
/// user, health check and base rules look at it; pinning looks at every FROM.
struct DockerfileChecks: AuditCheck {
    let name = "docker"
    let input = AuditInput.docker
    let keys: Set<String> = [
        "container.non-root", "mistake.root-containers", "container.healthchecks", "health.availability",
        "container.minimal-base", "container.no-unnecessary-packages", "mistake.outdated-dependencies",
        "mistake.hardcoded-secrets", "secrets.env-files-not-committed",
    ]

    func run(in context: AuditContext) -> [Finding] {
        context.dockerfiles.flatMap { file in
            guard let final = file.finalStage else {
                return [Finding.fail("container.minimal-base", .medium, Evidence(file: file.path, detail: "no FROM instruction"), fix: "Start the Dockerfile with FROM.")]
            }
            return userFindings(file, final) + healthFindings(file, final) + baseFindings(file, final)
                + DockerfilePackageRules.findings(file, final) + pinningFindings(file) + secretFindings(file)
        }
    }

    private func userFindings(_ file: Dockerfile, _ final: Dockerfile.Stage) -> [Finding] {
        let keys = ["container.non-root", "mistake.root-containers"]
        guard let user = final.instructions.last(where: { $0.keyword == "USER" }) else {
            return Finding.each(keys) { .fail($0, .high, Evidence(file: file.path, line: final.from.line, detail: "the final stage sets no USER: the container runs as root"),
                                             fix: "Create a user with a fixed uid (e.g. 10001) and add `USER 10001:10001` before ENTRYPOINT.") }
        }
        let name = user.arguments.split(separator: ":").first.map(String.init) ?? ""
        if name == "root" || name == "0" {
            return Finding.each(keys) { .fail($0, .high, Evidence(file: file.path, line: user.line, detail: "USER \(user.arguments): the container runs as root"),
                                             fix: "Switch to an unprivileged user (`USER 10001:10001`).") }
        }
        return Finding.each(keys) { .pass($0, Evidence(file: file.path, line: user.line, detail: "USER \(user.arguments)")) }
    }

    private func healthFindings(_ file: Dockerfile, _ final: Dockerfile.Stage) -> [Finding] {
        let keys = ["container.healthchecks", "health.availability"]
        guard let check = final.instructions.last(where: { $0.keyword == "HEALTHCHECK" }) else {
            return Finding.each(keys) { .warn($0, .medium, Evidence(file: file.path, line: final.from.line, detail: "no HEALTHCHECK in the final stage"),
                                             fix: "Add a HEALTHCHECK (for smflow: `HEALTHCHECK CMD [\"/app/smflow\", \"healthcheck\"]`), or one in compose.") }
        }
        if check.arguments.uppercased().hasPrefix("NONE") {
            return Finding.each(keys) { .warn($0, .medium, Evidence(file: file.path, line: check.line, detail: "HEALTHCHECK NONE switches the check off"),
                                             fix: "Define a real health check.") }
        }
        return Finding.each(keys) { .pass($0, Evidence(file: file.path, line: check.line, detail: "HEALTHCHECK defined")) }
    }

    private func baseFindings(_ file: Dockerfile, _ final: Dockerfile.Stage) -> [Finding] {
        let key = "container.minimal-base"
        let stageNames = Set(file.stages.compactMap(\.name))
        if stageNames.contains(final.image.lowercased()) {
            return [.pass(key, Evidence(file: file.path, line: final.from.line, detail: "final stage builds on the earlier stage \(final.image)"))]
        }
        let image = ImageReference(final.image)
        let multiStage = file.stages.count > 1 ? "multi-stage build" : "single stage"
        if image.isMinimal {
            return [.pass(key, Evidence(file: file.path, line: final.from.line, detail: "final base \(final.image) is minimal (\(multiStage))"))]
        }
        if image.isToolchain {
            return [.fail(key, .medium, Evidence(file: file.path, line: final.from.line, detail: "final base \(final.image) is a toolchain image: compilers ship to production (\(multiStage))"),
                          fix: "Build in one stage and copy the binary into a slim/distroless runtime stage.")]
        }
        return [.warn(key, .low, Evidence(file: file.path, line: final.from.line, detail: "final base \(final.image) is a full distribution image, not a slim/alpine/distroless variant (\(multiStage))"),
                      fix: "Use a slim, distroless or chiseled runtime base (e.g. debian:bookworm-slim, ubuntu chiseled, gcr.io/distroless/cc) if the binary's libraries allow it.")]
    }

    private func pinningFindings(_ file: Dockerfile) -> [Finding] {
        let stageNames = Set(file.stages.compactMap(\.name))
        return file.stages.compactMap { stage in
            guard !stageNames.contains(stage.image.lowercased()), stage.image.lowercased() != "scratch" else { return nil }
            return ImagePinningRule.finding(image: stage.image, evidence: Evidence(file: file.path, line: stage.from.line, detail: "FROM \(stage.image)"))
        }
    }

    /// Secrets written into ENV/ARG stay in the image history for anyone who pulls it;
    /// an explicit COPY/ADD of a .env file puts them in a layer.
    private func secretFindings(_ file: Dockerfile) -> [Finding] {
        var findings: [Finding] = []
        for instruction in file.instructions where instruction.keyword == "ENV" || instruction.keyword == "ARG" {
            for (name, value) in Self.assignments(instruction.arguments) where SecretPatterns.isSecretName(name) || SecretPatterns.knownToken(in: value ?? "") != nil {
                let evidence = Evidence(file: file.path, line: instruction.line, detail: "\(instruction.keyword) \(name)")
                if let value, !value.isEmpty, !SecretPatterns.isPlaceholder(value) {
                    findings.append(.fail("mistake.hardcoded-secrets", .critical, Evidence(file: file.path, line: instruction.line, detail: "\(instruction.keyword) \(name) has a literal secret value baked into the image"),
                                          fix: "Remove it; pass secrets at run time (Docker secrets, *_FILE) or at build time with RUN --mount=type=secret."))
                } else if instruction.keyword == "ARG" {
                    findings.append(.warn("mistake.hardcoded-secrets", .medium, evidence.with(detail: "ARG \(name): build arguments are recorded in the image history"),
                                          fix: "Use RUN --mount=type=secret for build-time secrets."))
                }
            }
        }
        if findings.isEmpty {
            findings.append(.pass("mistake.hardcoded-secrets", Evidence(file: file.path, detail: "no secret in ENV/ARG")))
        }
        let envCopies = file.instructions.filter { instruction in
            guard instruction.keyword == "COPY" || instruction.keyword == "ADD" else { return false }
            // Every word but the last (the destination) is a source; flags start with --.
            let sources = instruction.arguments.split(separator: " ").dropLast().filter { !$0.hasPrefix("--") }
            return sources.contains { DeploymentDiscovery.isEnvFile((String($0) as NSString).lastPathComponent) }
        }
        if envCopies.isEmpty {
            findings.append(.pass("secrets.env-files-not-committed", Evidence(file: file.path, detail: "no .env file copied into the image")))
        }
        for copy in envCopies {
            findings.append(.fail("secrets.env-files-not-committed", .high, Evidence(file: file.path, line: copy.line, detail: "\(copy.keyword) \(copy.arguments) puts an env file into an image layer"),
                                  fix: "Do not copy env files into images; pass settings at run time (compose env_file, secrets)."))
        }
        return findings
    }

    /// `ENV A=1 B=2`, `ENV A 1`, `ARG A`, `ARG A=1`.
    static func assignments(_ arguments: String) -> [(String, String?)] {
        let words = arguments.split(separator: " ").map(String.init)
        if let first = words.first, !first.contains("=") {
            return [(first, words.count > 1 ? words.dropFirst().joined(separator: " ") : nil)]
        }
        return words.map { word in
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1].trimmingCharacters(in: ["\"", "'"]) : nil)
        }
    }
}

extension Evidence {
    func with(detail: String) -> Evidence { Evidence(file: file, line: line, detail: detail) }
}

/// `:latest` or no tag: the image changes under you and cannot be rebuilt
/// the same; a tag is reproducible enough to track, a digest is exact.
enum ImagePinningRule {
    static let key = "mistake.outdated-dependencies"

    static func finding(image: String, evidence: Evidence) -> Finding {
        let reference = ImageReference(image)
        switch reference.pinning {
        case .digest:
            return .pass(key, evidence.with(detail: "\(image) pinned by digest"))
        case .tag:
            return .pass(key, evidence.with(detail: "\(image) pinned by tag (pin by digest for releases; whether the tag is current is checked by scanning, e.g. trivy)"))
        case .variable:
            return .pass(key, evidence.with(detail: "\(image) set through a variable; check the value passed at build/run time"))
        case .latest, .none:
            return .fail(key, .medium, evidence.with(detail: "\(image) is unpinned (\(reference.pinning == .latest ? ":latest" : "no tag")): what runs changes without a commit"),
                         fix: "Pin the image to a version tag, ideally with its digest (image:tag@sha256:…), and update it deliberately.")
        }
    }
}
