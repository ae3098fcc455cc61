import Foundation
import Testing

/// deploy/docker-compose.prod.yml against the container and network rules of
/// the checklist (container.*, network.internal, network.only-proxy-exposed,
/// db.not-exposed, mistake.root-containers, mistake.exposed-internal-services,
/// secrets.env-review). Each rule is one test, so removing it from the file
/// fails exactly that test.
@Suite struct ComposeRulesTests {
    let compose: ComposeFile
    let services: [String: ComposeFile.Service]

    init() throws {
        compose = try ComposeFile.shipped()
        services = compose.services
    }

    /// Long-running services; `migrate` is a one-shot job.
    static let servers: Set<String> = ["nginx", "app", "worker", "postgres", "backup"]

    @Test func defines_the_six_services() {
        #expect(Set(services.keys) == ["nginx", "app", "worker", "postgres", "backup", "migrate"])
    }

    @Test func only_nginx_publishes_ports_and_only_80_and_443() {
        for (name, service) in services where name != "nginx" {
            #expect(service.fields["ports"] == nil, "\(name) publishes ports")
        }
        let published = services["nginx"]?.strings("ports").map { String($0.split(separator: ":").dropLast().last ?? "") }
        #expect(published.map(Set.init) == ["80", "443"])
    }

    @Test func every_service_runs_as_a_non_root_user() {
        for (name, service) in services {
            let user = service.string("user") ?? ""
            let uid = user.split(separator: ":").first.flatMap { Int($0) }
            #expect(uid != nil && uid != 0, "\(name) user '\(user)' is not a numeric non-root uid")
        }
    }

    @Test func every_service_has_a_read_only_root_file_system() {
        for (name, service) in services {
            #expect(service.fields["read_only"] as? Bool == true, "\(name) is not read_only")
        }
    }

    @Test func every_service_drops_all_capabilities_and_adds_none() {
        for (name, service) in services {
            #expect(service.strings("cap_drop") == ["ALL"], "\(name) cap_drop")
            // nginx listens on 8080/8443 inside the container, so it needs no NET_BIND_SERVICE either.
            #expect(service.fields["cap_add"] == nil, "\(name) adds capabilities")
            #expect(service.fields["privileged"] == nil, "\(name) is privileged")
        }
    }

    @Test func every_service_sets_no_new_privileges() {
        for (name, service) in services {
            #expect(service.strings("security_opt").contains("no-new-privileges:true"), "\(name)")
        }
    }

    @Test func every_service_has_cpu_memory_and_pids_limits() {
        for (name, service) in services {
            let limits = service.limits
            #expect(limits["cpus"] != nil && limits["memory"] != nil && limits["pids"] != nil, "\(name) limits: \(limits)")
        }
    }

    @Test func every_server_has_a_healthcheck_and_the_one_shot_job_says_why_not() {
        for name in Self.servers {
            let test = services[name]?.mapping("healthcheck")["test"] as? [Any]
            #expect(test?.first as? String == "CMD", "\(name) has no exec-form health check")
        }
        #expect(services["worker"]?.mapping("healthcheck")["test"].map { "\($0)" }?.contains("--check") == true,
                "the worker's health check is `smflow worker --check`")
        #expect(services["migrate"]?.mapping("healthcheck")["disable"] as? Bool == true)
        #expect(services["app"]?.mapping("healthcheck")["test"].map { "\($0)" }?.contains("healthcheck") == true,
                "the app's health check is `smflow healthcheck`")
    }

    @Test func every_server_restarts_unless_stopped_and_migrate_runs_once() {
        for name in Self.servers {
            #expect(services[name]?.string("restart") == "unless-stopped", "\(name)")
        }
        #expect(services["migrate"]?.string("restart") == "no")
    }

    @Test func every_service_rotates_its_logs() {
        for (name, service) in services {
            let logging = service.mapping("logging")
            let options = (logging["options"] as? [String: Any]) ?? [:]
            #expect(logging["driver"] as? String == "json-file" && options["max-size"] != nil && options["max-file"] != nil,
                    "\(name) logging: \(logging)")
        }
    }

    @Test func no_docker_socket_host_network_or_host_pid() {
        for (name, service) in services {
            #expect(!service.strings("volumes").contains { $0.contains("docker.sock") }, "\(name) mounts the docker socket")
            #expect(service.fields["network_mode"] == nil, "\(name) sets network_mode")
            #expect(service.fields["pid"] == nil, "\(name) sets pid")
            #expect(service.fields["ipc"] == nil, "\(name) sets ipc")
            #expect(service.fields["userns_mode"] == nil, "\(name) sets userns_mode")
        }
    }

    /// Who sits on which network. `edge` is the way in (nginx alone), `egress`
    /// the way out (only the processes that call outside APIs), `internal`
    /// has no route out and carries everything else.
    static let expectedNetworks: [String: Set<String>] = [
        "nginx": ["edge", "internal"],
        // Deploying a Telegram flow calls setWebhook from the app process.
        "app": ["internal", "egress"],
        // Telegram, Instagram Graph, LLM servers, user http.request URLs.
        "worker": ["internal", "egress"],
        "postgres": ["internal"],
        "migrate": ["internal"],
        "backup": ["internal"],
    ]

    @Test func internal_network_has_no_way_out_and_only_nginx_is_on_the_edge() {
        #expect(compose.networks["internal"]?["internal"] as? Bool == true)
        #expect(compose.networks["edge"]?["internal"] as? Bool != true)
        for (name, expected) in Self.expectedNetworks {
            #expect(services[name]?.networkNames == expected, "\(name) networks")
        }
        let onEdge = services.filter { $0.value.networkNames.contains("edge") }.keys
        #expect(Set(onEdge) == ["nginx"], "only nginx is on the edge network")
        #expect(Set(compose.networks.keys) == ["edge", "internal", "egress"], "no other network")
    }

    /// The worker and the app reach Telegram, Instagram and LLM servers: their
    /// second network has a route out. Nothing else may be on it, and nothing
    /// on it publishes a port (so it is a way out, never a way in).
    @Test func egress_network_has_a_way_out_and_holds_only_app_and_worker() throws {
        let egress = try #require(compose.networks["egress"], "no egress network")
        #expect(egress["internal"] as? Bool != true, "egress must have a route out")
        #expect(egress["external"] == nil, "egress is this file's own network, not a shared one")
        let onEgress = Set(services.filter { $0.value.networkNames.contains("egress") }.keys)
        #expect(onEgress == ["app", "worker"])
        for name in onEgress {
            #expect(services[name]?.fields["ports"] == nil, "\(name) is on egress and publishes ports")
        }
        #expect(services["postgres"]?.networkNames == ["internal"], "the database never gets a way out")
    }

    /// Every service starts with a plain `docker compose up`; only `backup`
    /// waits for `smflow backup` (issue 9) behind a profile. A profile on the
    /// worker would leave every flow's jobs queued forever.
    @Test func no_profile_hides_the_worker_or_the_app() {
        let profiled = Set(services.filter { $0.value.fields["profiles"] != nil }.keys)
        #expect(profiled.isSubset(of: ["backup"]), "services behind a profile: \(profiled.sorted())")
        for name in ["nginx", "app", "worker", "postgres", "migrate"] {
            #expect(services[name]?.fields["profiles"] == nil, "\(name) is behind a profile")
        }
    }

    /// The worker container: `smflow worker`, with `worker --check` as its
    /// health check through the same binary path the app's check and the
    /// Dockerfile's ENTRYPOINT use, hardened like the app.
    @Test func the_worker_runs_smflow_worker_with_its_own_health_check() throws {
        let worker = try #require(services["worker"])
        let app = try #require(services["app"])
        #expect(worker.strings("command") == ["worker"])
        let appBinary = try #require((app.mapping("healthcheck")["test"] as? [Any])?.dropFirst().first.map { "\($0)" })
        let test = (worker.mapping("healthcheck")["test"] as? [Any])?.map { "\($0)" }
        #expect(test == ["CMD", appBinary, "worker", "--check"])
        let dockerfile = try RepositoryFiles.text("deploy/Dockerfile")
        #expect(dockerfile.contains("ENTRYPOINT [\"\(appBinary)\"]"), "the health check names the image's binary")
        #expect(worker.string("image") == app.string("image"), "the worker runs the app's image")
    }

    @Test func the_worker_is_hardened_like_the_app() throws {
        let worker = try #require(services["worker"])
        let app = try #require(services["app"])
        #expect(worker.string("user") == "10001:10001")
        #expect(worker.fields["read_only"] as? Bool == true)
        #expect(worker.strings("cap_drop") == ["ALL"])
        #expect(worker.fields["cap_add"] == nil)
        #expect(worker.strings("security_opt") == ["no-new-privileges:true"])
        #expect(worker.string("restart") == "unless-stopped")
        for key in ["cpus", "memory", "pids"] {
            #expect(worker.limits[key].map { "\($0)" } == app.limits[key].map { "\($0)" }, "worker \(key) limit differs from the app's")
        }
        #expect(worker.fields["expose"] == nil && worker.fields["ports"] == nil, "the worker listens on nothing")
    }

    @Test func the_worker_waits_for_a_healthy_database_and_finished_migrations() throws {
        let dependsOn = try #require(services["worker"]?.mapping("depends_on"))
        #expect((dependsOn["postgres"] as? [String: Any])?["condition"] as? String == "service_healthy")
        #expect((dependsOn["migrate"] as? [String: Any])?["condition"] as? String == "service_completed_successfully")
    }

    /// The worker opens sealed credentials (SMF_ENCRYPTION_KEY), signs like the
    /// app (SMF_SECRET_KEY) and builds webhook URLs (SMF_PUBLIC_URL).
    @Test func the_worker_gets_the_keys_and_public_url_it_needs() throws {
        let worker = try #require(services["worker"])
        let app = try #require(services["app"])
        #expect(worker.environment["SMF_ENV"] == "production")
        #expect(worker.environment["SMF_ENCRYPTION_KEY_FILE"] == "/run/secrets/smf_encryption_key")
        #expect(worker.environment["SMF_SECRET_KEY_FILE"] == "/run/secrets/smf_secret_key")
        #expect(worker.environment["SMF_PUBLIC_URL"] == app.environment["SMF_PUBLIC_URL"])
        #expect(Set(worker.strings("secrets")) == ["smf_secret_key", "smf_encryption_key", "smf_app_database_url"])
    }

    @Test func the_app_trusts_forwarded_headers_only_from_nginx() throws {
        let nginxNetworks = try #require(services["nginx"]?.mapping("networks"))
        let address = try #require((nginxNetworks["internal"] as? [String: Any])?["ipv4_address"] as? String)
        #expect(services["app"]?.environment["SMF_TRUSTED_PROXIES"] == "\(address)/32")
    }

    @Test func postgres_is_the_official_image_with_a_data_volume_and_no_ports() {
        let postgres = services["postgres"]
        #expect(postgres?.string("image")?.hasPrefix("postgres:") == true)
        #expect(postgres?.fields["ports"] == nil)
        #expect(postgres?.strings("volumes").contains { $0.hasPrefix("pgdata:/var/lib/postgresql/data") } == true)
        #expect(postgres?.environment["POSTGRES_USER"] != "postgres", "the superuser keeps its default name")
    }

    @Test func secrets_come_from_files_never_from_literal_values() {
        let secretWords = ["SECRET", "PASSWORD", "KEY", "TOKEN", "DATABASE_URL"]
        for (name, service) in services {
            for (variable, value) in service.environment where secretWords.contains(where: variable.contains) {
                #expect(variable.hasSuffix("_FILE"), "\(name): \(variable) is set directly")
                #expect(value.hasPrefix("/run/secrets/"), "\(name): \(variable)=\(value)")
            }
        }
        for (name, secret) in compose.secrets {
            #expect(secret["file"] as? String == "./secrets/\(name)", "secret \(name) must be a file under secrets/")
        }
    }

    @Test func migrations_run_as_the_owner_role_and_the_app_as_the_application_role() {
        #expect(services["migrate"]?.environment["DATABASE_URL_FILE"] == "/run/secrets/smf_owner_database_url")
        #expect(services["migrate"]?.strings("command") == ["migrate"])
        // Least privilege: the job that holds the owner role gets no key it does not use.
        #expect(services["migrate"]?.strings("secrets") == ["smf_owner_database_url"])
        for name in ["app", "worker"] {
            #expect(services[name]?.environment["DATABASE_URL_FILE"] == "/run/secrets/smf_app_database_url", "\(name)")
        }
        #expect(services["app"]?.environment["SMF_ENV"] == "production")
    }

    /// The `${VAR}` names the file uses are exactly what .env.example explains.
    @Test func every_variable_the_file_uses_is_in_the_env_example() throws {
        let text = try RepositoryFiles.text("deploy/docker-compose.prod.yml")
        let used = Set(text.matches(of: /\$\{([A-Z_][A-Z0-9_]*)/).map { String($0.output.1) })
        let example = try EnvFile(try RepositoryFiles.text("deploy/.env.example"))
        for variable in used {
            #expect(example.values[variable] != nil, "\(variable) is used but not in deploy/.env.example")
        }
    }
}
