import Synchronization
import Testing
@testable import SMFSecurity

@Suite struct OutboundGuardTests {
    static let resolver = StaticHostResolver([
        "public.example": [IPAddress("93.184.215.14")!, IPAddress("2606:2800:21f::1")!],
        "internal.example": [IPAddress("10.0.0.7")!],
        "metadata.example": [IPAddress("169.254.169.254")!],
        "loopback6.example": [IPAddress("::1")!],
        "mapped.example": [IPAddress("::ffff:127.0.0.1")!],
        "nat64.example": [IPAddress("64:ff9b::a9fe:a9fe")!],
        "ula.example": [IPAddress("fd00::1")!],
        "cgnat.example": [IPAddress("100.64.0.1")!],
        "mixed.example": [IPAddress("93.184.215.14")!, IPAddress("192.168.1.1")!],
        "mixed6.example": [IPAddress("2606:2800:21f::1")!, IPAddress("fe80::1")!],
        "localhost": [IPAddress("127.0.0.1")!],
    ])

    let guardian = OutboundGuard(resolver: Self.resolver)

    func code(_ text: String, _ guardian: OutboundGuard) async -> OutboundRefusal.Code? {
        do {
            _ = try await guardian.vet(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func public_name_is_vetted_and_pinned() async throws {
        let vetted = try await guardian.vet("https://Public.Example./api?q=1")
        #expect(vetted.host == "public.example")
        #expect(vetted.port == 443)
        #expect(vetted.address == IPAddress("93.184.215.14"))
        #expect(vetted.url.string == "https://public.example/api?q=1")
    }

    @Test(arguments: ["internal.example", "metadata.example", "loopback6.example", "mapped.example", "nat64.example",
                      "ula.example", "cgnat.example", "localhost"])
    func names_resolving_to_blocked_addresses_are_refused(_ host: String) async {
        #expect(await code("https://\(host)/", guardian) == .blockedAddress)
    }

    @Test(arguments: ["mixed.example", "mixed6.example"])
    func mixed_answers_are_refused(_ host: String) async {
        #expect(await code("https://\(host)/", guardian) == .blockedAddress)
    }

    @Test func unknown_name_is_unresolvable() async {
        #expect(await code("https://nowhere.example/", guardian) == .unresolvableHost)
    }

    struct LeakyResolver: HostResolver {
        struct Failure: Error, CustomStringConvertible {
            var description: String { "SERVFAIL from 10.9.9.9 for db.corp.internal" }
        }
        func resolve(_ host: String) async throws -> [IPAddress] { throw Failure() }
    }

    @Test func resolver_errors_are_not_repeated() async {
        do {
            _ = try await OutboundGuard(resolver: LeakyResolver()).vet("https://db.example/")
            Issue.record("vetted")
        } catch {
            #expect(error.code == .unresolvableHost)
            #expect(!"\(error)".contains("10.9.9.9"))
            #expect(!error.message.contains("corp"))
        }
    }

    final class CountingResolver: HostResolver {
        let calls = Mutex(0)
        func resolve(_ host: String) async throws -> [IPAddress] {
            calls.withLock { $0 += 1 }
            return [IPAddress("10.0.0.1")!]
        }
    }

    @Test func ip_literals_are_not_resolved() async throws {
        let resolver = CountingResolver()
        let vetted = try await OutboundGuard(resolver: resolver).vet("https://8.8.8.8/")
        #expect(vetted.address == IPAddress("8.8.8.8"))
        #expect(resolver.calls.withLock { $0 } == 0)
    }

    @Test func syntax_is_refused_before_any_lookup() async {
        let resolver = CountingResolver()
        #expect(await code("https://2130706433/", OutboundGuard(resolver: resolver)) == .numericHost)
        #expect(await code("http://public.example/", OutboundGuard(resolver: resolver)) == .insecureScheme)
        #expect(resolver.calls.withLock { $0 } == 0)
    }

    @Test func redirects_are_resolved_and_checked_again() async throws {
        let start = try await guardian.vet("https://public.example/start")
        let next = try await guardian.vetRedirect(from: start, location: "https://public.example/next", hop: 1)
        #expect(next.url.path == "/next")
        for location in ["https://metadata.example/latest/meta-data/", "//internal.example/", "https://mixed.example/"] {
            do {
                _ = try await guardian.vetRedirect(from: start, location: location, hop: 1)
                Issue.record("\(location) was followed")
            } catch {
                #expect(error.code == .blockedAddress)
            }
        }
        do {
            _ = try await guardian.vetRedirect(from: start, location: "/again", hop: 4)
            Issue.record("fourth redirect followed")
        } catch {
            #expect(error.code == .tooManyRedirects)
        }
    }

    @Test func loopback_switch_lets_tests_reach_local_fakes() async throws {
        let local = OutboundGuard(policy: OutboundURLPolicy(allowLoopback: true), resolver: Self.resolver)
        let vetted = try await local.vet("http://localhost:8123/bot/sendMessage")
        #expect(vetted.address == IPAddress("127.0.0.1"))
        #expect(vetted.port == 8123)
        #expect(await code("https://internal.example/", local) == .blockedAddress)
    }

    @Test func system_resolver_reads_etc_hosts_for_localhost() async throws {
        let addresses = try await SystemHostResolver().resolve("localhost")
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy(OutboundAddressPolicy.isLoopback))
    }
}
