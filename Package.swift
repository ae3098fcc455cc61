// swift-tools-version:6.2
import PackageDescription

// Versions are the ones available offline on the project's build machines
// (see the env notes); `from:` keeps us within the same major version.
let package = Package(
    name: "smflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smflow", targets: ["smflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Property tests (test-only) and the YAML parser the audit and the deployment tests read compose files with.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // Pure domain: no I/O, no Vapor.
        .target(name: "SMFCore"),
        // Configuration, production guardrails, crypto helpers. No Vapor.
        .target(
            name: "SMFSecurity",
            dependencies: [
                "SMFCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/common-passwords.txt")]
        ),
        // The executable checklist (`smflow audit`).
        .target(
            name: "SMFAudit",
            dependencies: ["SMFCore", "SMFSecurity", .product(name: "Yams", package: "Yams")]
        ),
        // The Vapor application.
        .target(
            name: "SMFServer",
            dependencies: [
                "SMFCore",
                "SMFSecurity",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Reads the OpenAPI document (openapi/smflow.yaml) to serve it as JSON.
                .product(name: "Yams", package: "Yams"),
            ],
            // The OpenAPI document; openapi/smflow.yaml is a symlink to it (SwiftPM would copy a
            // symlink as a link, not the file it points to).
            // The web console's static files (issue 11): Resources/console, served under /console/.
            resources: [.copy("Resources/smflow.yaml"), .copy("Resources/console")]
        ),
        .executableTarget(
            name: "smflow",
            dependencies: [
                "SMFServer",
                "SMFSecurity",
                "SMFAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Used by scripts/bench only (full vs bare pipeline); see its header.
        .executableTarget(
            name: "smflow-bench-server",
            dependencies: ["SMFServer", "SMFSecurity"],
            path: "benchmarks/BenchServer"
        ),
        // Used by scripts/bench-ratelimit only: decisions/s of the two rate-limit stores.
        .executableTarget(
            name: "smflow-bench-ratelimit",
            dependencies: ["SMFServer", "SMFSecurity"],
            path: "benchmarks/RateLimitBench"
        ),
        // Used by scripts/bench-flows only: validations/s of a flow document, and seeding
        // a workspace with many flows for the list benchmark.
        .executableTarget(
            name: "smflow-bench-flows",
            dependencies: ["SMFCore", "SMFServer", "SMFSecurity"],
            path: "benchmarks/FlowBench"
        ),
        // Fake Telegram, Instagram Graph and OpenAI-compatible servers on loopback,
        // speaking the real wire formats (issue 8); used by tests and benchmarks.
        .target(
            name: "SMFFakes",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/SMFFakes"
        ),
        // Used by the webhook/execution benchmarks: runs the three fakes on given ports.
        .executableTarget(
            name: "smflow-fakes",
            dependencies: ["SMFFakes"],
            path: "benchmarks/Fakes"
        ),
        // The real serve/worker with outbound loopback allowed in code (no variable
        // exists for it): the crash test and the benchmarks reach local fakes with it.
        .executableTarget(
            name: "smflow-testbed",
            dependencies: ["SMFServer", "SMFSecurity"],
            path: "benchmarks/Testbed"
        ),
        .testTarget(
            name: "SMFCoreTests",
            dependencies: ["SMFCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "SMFSecurityTests",
            dependencies: ["SMFSecurity", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "SMFAuditTests",
            dependencies: ["SMFAudit", "SMFCore"],
            // Good and deliberately broken env files, Dockerfiles, compose files and nginx configs.
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SMFServerTests",
            dependencies: [
                "SMFServer",
                "SMFFakes",
                // The console's Observatory grade (ConsoleHeadersTests) uses the audit's grader.
                "SMFAudit",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Runs the built `smflow` binary as a subprocess (exit codes, output).
        .testTarget(
            name: "smflowTests",
            dependencies: ["smflow", "smflow-testbed", "SMFFakes", .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        // The shipped deployment (deploy/): static rules over the Dockerfile and compose file, and
        // real nginx/PostgreSQL/openssl runs that scripts/test provides (see its header).
        .testTarget(
            name: "DeploymentTests",
            dependencies: [
                "smflow",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
