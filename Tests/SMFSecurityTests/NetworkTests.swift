import Testing
@testable import SMFSecurity

@Suite struct CIDRTests {
    @Test func parses_ipv4_and_ipv6_networks() throws {
        let v4 = try #require(CIDR("10.0.0.0/8"))
        #expect(v4.contains(try #require(IPAddress("10.255.1.2"))))
        #expect(!v4.contains(try #require(IPAddress("11.0.0.1"))))
        let v6 = try #require(CIDR("fd00::/8"))
        #expect(v6.contains(try #require(IPAddress("fd12:3456::1"))))
        #expect(!v6.contains(try #require(IPAddress("fe80::1"))))
    }

    @Test func bare_address_is_a_single_host() throws {
        let host = try #require(CIDR("192.168.1.10"))
        #expect(host.prefixLength == 32)
        #expect(host.contains(try #require(IPAddress("192.168.1.10"))))
        #expect(!host.contains(try #require(IPAddress("192.168.1.11"))))
    }

    @Test func ipv4_mapped_ipv6_peer_matches_ipv4_network() throws {
        let loopback = try #require(CIDR("127.0.0.0/8"))
        #expect(loopback.contains(try #require(IPAddress("::ffff:127.0.0.1"))))
    }

    @Test(arguments: ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/-1", "not-an-ip", "", "1.2.3.4/8x", "::1/129"])
    func rejects_malformed_or_host_bits_set(_ text: String) {
        #expect(CIDR(text) == nil)
    }

    @Test func everything_networks_are_recognised() throws {
        #expect(try #require(CIDR("0.0.0.0/0")).matchesEverything)
        #expect(try #require(CIDR("::/0")).matchesEverything)
        #expect(!(try #require(CIDR("10.0.0.0/8")).matchesEverything))
    }

    @Test func ipv4_never_matches_ipv6_network() throws {
        #expect(!(try #require(CIDR("::/0"))).contains(try #require(IPAddress("1.2.3.4"))))
    }
}

@Suite struct ClientIPResolverTests {
    let resolver = ClientIPResolver(trustedProxies: [CIDR("10.0.0.0/8")!, CIDR("::1/128")!])

    @Test func untrusted_peer_is_the_client_whatever_the_header_says() {
        let ip = resolver.clientIP(peer: IPAddress("203.0.113.9"), forwardedFor: ["10.1.1.1, 127.0.0.1"])
        #expect(ip == IPAddress("203.0.113.9"))
    }

    @Test func trusted_proxy_forwards_the_nearest_untrusted_hop() {
        // A client spoofs the leftmost entry; our proxy appended the real one.
        let ip = resolver.clientIP(peer: IPAddress("10.0.0.2"), forwardedFor: ["6.6.6.6, 198.51.100.7, 10.0.0.3"])
        #expect(ip == IPAddress("198.51.100.7"))
    }

    @Test func multiple_header_lines_are_one_list() {
        let ip = resolver.clientIP(peer: IPAddress("::1"), forwardedFor: ["6.6.6.6", "198.51.100.7"])
        #expect(ip == IPAddress("198.51.100.7"))
    }

    @Test func garbled_hop_stops_the_walk() {
        let ip = resolver.clientIP(peer: IPAddress("10.0.0.2"), forwardedFor: ["198.51.100.7, garbage"])
        #expect(ip == IPAddress("10.0.0.2"))
    }

    @Test func no_peer_means_unknown() {
        #expect(resolver.clientIP(peer: nil, forwardedFor: ["1.2.3.4"]) == nil)
    }

    @Test func forwarded_proto_only_from_trusted_proxies() {
        #expect(resolver.forwardedProto(peer: IPAddress("10.0.0.2"), header: "https") == "https")
        #expect(resolver.forwardedProto(peer: IPAddress("203.0.113.9"), header: "https") == nil)
    }

    @Test func addresses_from_socket_bytes_match_parsed_text() throws {
        for text in ["0.0.0.0", "1.2.3.4", "10.0.100.9", "127.0.0.1", "192.168.10.255", "255.255.255.255"] {
            let parsed = try #require(IPAddress(text))
            #expect(parsed.description == text, "IPv4 text by hand")
            #expect(IPAddress(bytes: parsed.bytes) == parsed)
        }
        let mapped: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff, 203, 0, 113, 7]
        #expect(IPAddress(bytes: mapped) == IPAddress("203.0.113.7"), "IPv4-mapped IPv6 becomes IPv4")
        let v6 = try #require(IPAddress("2001:db8::1"))
        #expect(IPAddress(bytes: v6.bytes)?.description == "2001:db8::1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }
}
