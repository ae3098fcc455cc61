import Testing
@testable import SMFAudit

@Suite struct DockerfileCheckTests {
    @Test func good_dockerfile_passes() throws {
        let report = try AuditTestSupport.audit { $0.dockerfiles = [try AuditTestSupport.fixture("docker/good.Dockerfile")] }
        expectStatuses(report, [
            "container.non-root": .pass, "mistake.root-containers": .pass, "container.healthchecks": .pass, "health.availability": .pass,
            "container.minimal-base": .pass, "container.no-unnecessary-packages": .pass, "mistake.outdated-dependencies": .pass,
            "mistake.hardcoded-secrets": .pass, "secrets.env-files-not-committed": .pass,
        ])
    }

    @Test func broken_dockerfile_trips_every_rule() throws {
        let report = try AuditTestSupport.audit { $0.dockerfiles = [try AuditTestSupport.fixture("docker/broken.Dockerfile")] }
        expectStatuses(report, [
            "container.non-root": .fail, "mistake.root-containers": .fail, "container.healthchecks": .warn, "health.availability": .warn,
            "container.minimal-base": .fail, "container.no-unnecessary-packages": .warn, "mistake.outdated-dependencies": .fail,
            "mistake.hardcoded-secrets": .fail, "secrets.env-files-not-committed": .fail,
        ])
        let packages = report.details("container.no-unnecessary-packages")
        for expected in ["apt-get update in a RUN without an install", "--no-install-recommends", "lists are not removed", "curl, vim", "ADD used for a plain copy"] {
            #expect(packages.contains(expected), "\(expected)")
        }
        #expect(report.details("mistake.hardcoded-secrets").contains("ENV DB_PASSWORD"))
        #expect(report.details("mistake.hardcoded-secrets").contains("ARG NPM_TOKEN"))
    }

    @Test func user_root_and_untagged_base_fail() throws {
        let report = try AuditTestSupport.audit { $0.dockerfiles = [try AuditTestSupport.fixture("docker/root.Dockerfile")] }
        expectStatuses(report, ["container.non-root": .fail, "mistake.outdated-dependencies": .fail, "container.minimal-base": .pass, "container.no-unnecessary-packages": .warn])
    }

    @Test func parser_joins_continuations_and_splits_stages() {
        let file = Dockerfile(path: "D", contents: "FROM a:1 AS build\nRUN x \\\n  # comment inside\n  && y\nFROM build\nUSER 1\n")
        #expect(file.instructions.map(\.keyword) == ["FROM", "RUN", "FROM", "USER"])
        #expect(file.instructions[1].arguments == "x && y")
        #expect(file.stages.map(\.name) == ["build", nil])
        #expect(file.finalStage?.image == "build")
    }

    @Test func image_references_know_their_pinning() {
        #expect(ImageReference("nginx").pinning == .none)
        #expect(ImageReference("nginx:latest").pinning == .latest)
        #expect(ImageReference("registry:5000/team/app").pinning == .none)
        #expect(ImageReference("registry:5000/team/app:1.2").pinning == .tag)
        #expect(ImageReference("ubuntu:24.04@sha256:abc").pinning == .digest)
        #expect(ImageReference("smflow:${SMF_VERSION}").pinning == .variable)
    }
}
