import Foundation
import Testing

/// deploy/Dockerfile and .dockerignore against the image rules of the
/// checklist (container.non-root, container.minimal-base,
/// container.no-unnecessary-packages, container.healthchecks,
/// secrets.env-files-not-committed, mistake.hardcoded-secrets).
@Suite struct DockerfileRulesTests {
    let dockerfile: Dockerfile
    var build: Dockerfile.Stage { dockerfile.stages[0] }
    var runtime: Dockerfile.Stage { dockerfile.stages[dockerfile.stages.count - 1] }

    init() throws {
        dockerfile = Dockerfile(try RepositoryFiles.text("deploy/Dockerfile"))
        try #require(dockerfile.stages.count >= 2, "not a multi-stage build")
    }

    @Test func multi_stage_swift_build_into_a_slim_runtime() {
        #expect(dockerfile.baseImage(of: build).hasPrefix("swift:"))
        let runtimeImage = dockerfile.baseImage(of: runtime)
        #expect(["-slim", "alpine", "distroless", "chiseled"].contains(where: runtimeImage.contains),
                "runtime base \(runtimeImage) is a full distribution image")
        #expect(!runtimeImage.hasPrefix("swift:") || runtimeImage.contains("slim"), "the runtime must not be the toolchain image")
    }

    @Test func base_images_are_pinned_by_tag_and_the_digest_is_documented() throws {
        for stage in dockerfile.stages where stage.name == nil || stage.name == "build" {
            let image = dockerfile.baseImage(of: stage)
            let tag = image.split(separator: "@")[0].split(separator: ":").dropFirst().first.map(String.init)
            #expect(tag != nil && tag != "latest", "\(image) has no fixed tag")
        }
        let text = try RepositoryFiles.text("deploy/Dockerfile")
        #expect(text.contains("@sha256:<digest>"), "the digest pin must be documented in the Dockerfile")
        #expect(try RepositoryFiles.text("docs/DEPLOYMENT.md").contains("@sha256:"))
    }

    @Test func release_build_with_static_swift_stdlib_and_the_resource_bundle() {
        let run = build.all("RUN").joined(separator: "\n")
        #expect(run.contains("swift build -c release"))
        #expect(run.contains("--static-swift-stdlib"))
        #expect(run.contains("smflow_SMFSecurity.resources"), "the common-password list must be copied beside the binary")
    }

    @Test func runtime_installs_only_needed_libraries_without_recommends_and_drops_apt_lists() {
        let runs = runtime.all("RUN")
        let installs = runs.filter { $0.contains("apt-get") && $0.contains("install") }
        #expect(!installs.isEmpty)
        let allowed: Set<String> = ["ca-certificates", "tzdata", "libjemalloc2", "libcurl4", "libxml2"]
        for run in installs {
            #expect(run.contains("--no-install-recommends"))
            #expect(run.contains("rm -rf /var/lib/apt/lists"))
            for package in Self.installedPackages(run) {
                #expect(allowed.contains(package), "runtime installs \(package)")
            }
        }
        let everything = runs.joined(separator: " ")
        for forbidden in ["curl", "wget", "gcc", "clang", "build-essential", "git ", "vim", "netcat", "openssh"] {
            #expect(!everything.contains(forbidden), "runtime stage mentions \(forbidden)")
        }
    }

    /// The package names of every `apt-get install` in one RUN line.
    static func installedPackages(_ run: String) -> [String] {
        run.components(separatedBy: "&&").flatMap { command -> [String] in
            let words = command.split(separator: " ").map(String.init)
            guard words.first == "apt-get", let install = words.firstIndex(of: "install") else { return [] }
            return words[(install + 1)...].filter { !$0.hasPrefix("-") }
        }
    }

    @Test func runs_as_the_dedicated_non_root_user_10001() throws {
        let users = runtime.all("USER")
        let last = try #require(users.last)
        #expect(last == "10001:10001")
        let run = runtime.all("RUN").joined(separator: "\n")
        #expect(run.contains("--uid 10001") && run.contains("--gid 10001"))
    }

    @Test func healthcheck_uses_smflow_healthcheck_and_exposes_8080() throws {
        let healthcheck = try #require(runtime.all("HEALTHCHECK").first)
        #expect(healthcheck.contains(#"["/app/smflow", "healthcheck""#))
        #expect(runtime.all("EXPOSE") == ["8080"])
        #expect(runtime.all("ENTRYPOINT") == [#"["/app/smflow"]"#])
    }

    @Test func no_secret_in_env_or_arg() {
        let assignments = dockerfile.stages.flatMap { $0.all("ENV") + $0.all("ARG") } + Array(dockerfile.globalArguments.keys)
        for assignment in assignments {
            let upper = assignment.uppercased()
            for word in ["SECRET", "PASSWORD", "DATABASE_URL", "_KEY", "TOKEN"] {
                #expect(!upper.contains(word), "secret-like setting baked into the image: \(assignment)")
            }
        }
    }

    @Test func dockerignore_keeps_git_build_output_data_env_files_and_tests_out() throws {
        let patterns = Set(try RepositoryFiles.text(".dockerignore").split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
        for required in [".git", ".build*", "data/", ".env*", "**/.env*", "deploy/secrets", "deploy/tls", "Tests/**/*.swift"] {
            #expect(patterns.contains(required), ".dockerignore lacks \(required)")
        }
        #expect(!patterns.contains(where: { $0.hasPrefix("!") }), "no exceptions that could re-include secrets")
    }
}
