import Testing
@testable import SMFSecurity

@Suite struct OutboundAddressPolicyTests {
    /// (address, range it must be refused as): first, last and an inside
    /// address of every blocked range. Removing a range from the policy makes
    /// its rows fail (IPv4: allowed; IPv6: caught by the catch-all instead).
    static let blocked: [(String, String)] = [
        ("0.0.0.0", "0.0.0.0/8"), ("0.255.255.255", "0.0.0.0/8"), ("0.1.2.3", "0.0.0.0/8"),
        ("10.0.0.0", "10.0.0.0/8"), ("10.255.255.255", "10.0.0.0/8"), ("10.1.2.3", "10.0.0.0/8"),
        ("100.64.0.0", "100.64.0.0/10"), ("100.127.255.255", "100.64.0.0/10"), ("100.100.100.100", "100.64.0.0/10"),
        ("127.0.0.0", "127.0.0.0/8"), ("127.255.255.255", "127.0.0.0/8"), ("127.0.0.1", "127.0.0.0/8"),
        ("169.254.0.0", "169.254.0.0/16"), ("169.254.255.255", "169.254.0.0/16"), ("169.254.169.254", "169.254.0.0/16"),
        ("172.16.0.0", "172.16.0.0/12"), ("172.31.255.255", "172.16.0.0/12"), ("172.20.1.1", "172.16.0.0/12"),
        ("192.0.0.0", "192.0.0.0/24"), ("192.0.0.255", "192.0.0.0/24"), ("192.0.0.170", "192.0.0.0/24"),
        ("192.0.2.0", "192.0.2.0/24"), ("192.0.2.255", "192.0.2.0/24"), ("192.0.2.1", "192.0.2.0/24"),
        ("192.88.99.0", "192.88.99.0/24"), ("192.88.99.255", "192.88.99.0/24"), ("192.88.99.1", "192.88.99.0/24"),
        ("192.168.0.0", "192.168.0.0/16"), ("192.168.255.255", "192.168.0.0/16"), ("192.168.1.1", "192.168.0.0/16"),
        ("198.18.0.0", "198.18.0.0/15"), ("198.19.255.255", "198.18.0.0/15"), ("198.18.5.5", "198.18.0.0/15"),
        ("198.51.100.0", "198.51.100.0/24"), ("198.51.100.255", "198.51.100.0/24"), ("198.51.100.7", "198.51.100.0/24"),
        ("203.0.113.0", "203.0.113.0/24"), ("203.0.113.255", "203.0.113.0/24"), ("203.0.113.9", "203.0.113.0/24"),
        ("224.0.0.0", "224.0.0.0/4"), ("239.255.255.255", "224.0.0.0/4"), ("224.0.0.251", "224.0.0.0/4"),
        ("240.0.0.0", "240.0.0.0/4"), ("255.255.255.255", "240.0.0.0/4"), ("250.1.2.3", "240.0.0.0/4"),

        ("::", "::/128"),
        ("::1", "::1/128"),
        ("::2", "::/96"), ("::ffff:ffff", "::/96"), ("::127.0.0.1", "::/96"), ("::8.8.8.8", "::/96"),
        ("64:ff9b:1::", "64:ff9b:1::/48"), ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "64:ff9b:1::/48"),
        ("64:ff9b:1::808:808", "64:ff9b:1::/48"),
        ("100::", "100::/64"), ("100::ffff:ffff:ffff:ffff", "100::/64"), ("100::1", "100::/64"),
        ("2001::", "2001::/32"), ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/32"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"),
        ("2001:db8::", "2001:db8::/32"), ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32"),
        ("2001:db8::1", "2001:db8::/32"),
        ("3fff::", "3fff::/20"), ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::/20"),
        ("fc00::", "fc00::/7"), ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"), ("fd12:3456::1", "fc00::/7"),
        ("fe80::", "fe80::/10"), ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10"), ("fe80::1", "fe80::/10"),
        ("fec0::", "fec0::/10"), ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::/10"), ("fec0::1", "fec0::/10"),
        ("ff00::", "ff00::/8"), ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8"), ("ff02::1", "ff00::/8"),

        // Outside 2000::/3 and not named above: SIIT, unallocated.
        ("::ffff:0:7f00:1", "::/0"), ("1::1", "::/0"), ("4000::1", "::/0"), ("1fff:ffff::1", "::/0"),
    ]

    @Test(arguments: blocked)
    func blocked_ranges_are_refused(_ address: String, _ range: String) throws {
        let found = OutboundAddressPolicy.blockedRange(for: try #require(IPAddress(address)))
        #expect(found?.cidr == CIDR(range), "\(address) → \(String(describing: found))")
    }

    @Test func metadata_address_is_named() throws {
        let address = try #require(IPAddress("169.254.169.254"))
        let found = try #require(OutboundAddressPolicy.blockedRange(for: address))
        #expect(found.name.contains("metadata"))
    }

    /// Just outside every IPv4 range, and ordinary public addresses.
    static let allowed = [
        "1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
        "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0", "192.0.3.0",
        "192.88.98.255", "192.88.100.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
        "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255",
        "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::1", "2001:1::1", "2001:db9::1",
        "3fff:1000::1", "2000::", "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "64:ff9b::808:808",     // NAT64 of 8.8.8.8
        "2002:808:808::1",      // 6to4 of 8.8.8.8
        "::ffff:8.8.8.8",       // IPv4-mapped 8.8.8.8
    ]

    @Test(arguments: allowed)
    func public_addresses_are_allowed(_ address: String) throws {
        #expect(OutboundAddressPolicy.blockedRange(for: try #require(IPAddress(address))) == nil)
    }

    /// Every blocked IPv4 row again, written as IPv4-mapped, NAT64 (/96) and
    /// 6to4: each must be judged by the IPv4 address inside.
    @Test(arguments: blocked.filter { !$0.0.contains(":") })
    func ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4(_ address: String, _ range: String) throws {
        let v4 = try #require(IPAddress(address)).bytes
        let mapped = try #require(IPAddress("::ffff:\(address)"))
        #expect(OutboundAddressPolicy.blockedRange(for: mapped)?.cidr == CIDR(range))

        let nat64 = try #require(IPAddress(bytes: [0, 0x64, 0xff, 0x9b] + Array(repeating: 0, count: 8) + v4))
        let viaNAT64 = OutboundAddressPolicy.blockedRange(for: nat64)
        #expect(viaNAT64?.cidr == CIDR(range))
        #expect(viaNAT64?.via == CIDR("64:ff9b::/96"))

        let sixToFour = try #require(IPAddress(bytes: [0x20, 0x02] + v4 + Array(repeating: 0, count: 9) + [1]))
        let via6to4 = OutboundAddressPolicy.blockedRange(for: sixToFour)
        #expect(via6to4?.cidr == CIDR(range))
        #expect(via6to4?.via == CIDR("2002::/16"))
    }

    @Test func nat64_metadata_address_is_refused() throws {
        let found = OutboundAddressPolicy.blockedRange(for: try #require(IPAddress("64:ff9b::a9fe:a9fe")))
        #expect(found?.cidr == CIDR("169.254.0.0/16"))
        #expect(found?.description == "link-local (cloud metadata) 169.254.0.0/16 via 64:ff9b::/96")
    }

    @Test func loopback_is_127_slash_8_and_colon_colon_1_only() throws {
        for address in ["127.0.0.1", "127.255.0.1", "::1", "::ffff:127.0.0.1"] {
            #expect(OutboundAddressPolicy.isLoopback(try #require(IPAddress(address))), "\(address)")
        }
        for address in ["10.0.0.1", "::", "64:ff9b::7f00:1", "2002:7f00:1::1", "::127.0.0.1", "169.254.169.254"] {
            #expect(!OutboundAddressPolicy.isLoopback(try #require(IPAddress(address))), "\(address)")
        }
    }
}
