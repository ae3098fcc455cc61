import Testing
@testable import SMFSecurity

@Suite struct OutboundURLPolicyTests {
    let strict = OutboundURLPolicy()

    func refusal(_ text: String, _ policy: OutboundURLPolicy = OutboundURLPolicy()) -> OutboundRefusal.Code? {
        do {
            _ = try policy.check(text)
            return nil
        } catch {
            return error.code
        }
    }

    // MARK: Syntax and canonical form

    @Test func https_url_is_parsed_and_canonicalised() throws {
        let url = try strict.check("  HTTPS://Example.COM./a/./b/../c?x=1&y=%2F#fragment ")
        #expect(url.scheme == .https)
        #expect(url.host == "example.com")
        #expect(url.port == 443)
        #expect(url.path == "/a/c")
        #expect(url.query == "x=1&y=%2F")
        #expect(url.string == "https://example.com/a/c?x=1&y=%2F")
        #expect(url.url?.host == "example.com")
    }

    @Test func explicit_port_and_empty_path() throws {
        let url = try strict.check("https://api.example.com:8443")
        #expect(url.port == 8443)
        #expect(url.path == "/")
        #expect(url.authority == "api.example.com:8443")
        #expect(try strict.check("https://example.com:443/").string == "https://example.com/")
    }

    @Test func non_ascii_and_unsafe_path_bytes_are_percent_encoded() throws {
        let url = try strict.check("https://example.com/caf\u{e9}/\"x\"?q=\u{1F600}&p=100%")
        #expect(url.path == "/caf%C3%A9/%22x%22")
        #expect(url.query == "q=%F0%9F%98%80&p=100%25")
    }

    @Test func description_prints_no_path_or_query() throws {
        let url = try strict.check("https://api.telegram.org/bot123456:SECRET/sendMessage?key=SECRET2")
        #expect("\(url)" == "https://api.telegram.org/…")
        #expect(!"\(url)".contains("SECRET"))
        #expect("\(try strict.check("https://example.com:8443"))" == "https://example.com:8443")
    }

    // MARK: Schemes

    @Test func plain_http_is_refused_by_default() {
        #expect(refusal("http://example.com/") == .insecureScheme)
    }

    @Test func plain_http_is_allowed_when_configured() throws {
        let url = try OutboundURLPolicy(allowHTTP: true).check("http://example.com/")
        #expect(url.scheme == .http)
        #expect(url.port == 80)
    }

    @Test(arguments: ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1:6379/_", "ws://example.com/",
                      "javascript:alert(1)", "data:text/plain,hi", "dict://127.0.0.1:11211/"])
    func other_schemes_are_refused(_ text: String) {
        #expect(refusal(text) == .unsupportedScheme)
    }

    @Test(arguments: ["https:example.com", "https:/example.com", "//example.com/", "example.com", "", "   ",
                      "https://exa mple.com/", "https://example.com/a b", "https://example.com\\@127.0.0.1/",
                      "https://example.com/\u{0}", "1https://example.com", ":https//x"])
    func malformed_urls_are_refused(_ text: String) {
        #expect(refusal(text) == .malformedURL)
    }

    // MARK: Authority

    @Test(arguments: ["https://user:pass@example.com/", "https://user@example.com/", "https://@example.com/",
                      "https://example.com@127.0.0.1/", "https://example.com:443@127.0.0.1/"])
    func userinfo_is_refused(_ text: String) {
        #expect(refusal(text) == .userInfoNotAllowed)
    }

    @Test(arguments: ["https://", "https:///path", "https://:443/", "https://./", "https://?q", "https://#f"])
    func host_is_required(_ text: String) {
        #expect(refusal(text) == .missingHost)
    }

    @Test(arguments: ["https://example.com:0/", "https://example.com:65536/", "https://example.com:99999/",
                      "https://example.com:-1/", "https://example.com:abc/", "https://example.com:/",
                      "https://example.com:443x/", "https://example.com:123456/", "https://[2606:4700::1]:/"])
    func port_must_be_1_to_65535(_ text: String) {
        #expect(refusal(text) == .invalidPort)
    }

    @Test func ports_1_and_65535_are_accepted() throws {
        #expect(try strict.check("https://example.com:1/").port == 1)
        #expect(try strict.check("https://example.com:65535/").port == 65535)
    }

    @Test(arguments: ["https://%31%32%37.0.0.1/", "https://exa%6dple.com/", "https://ex\u{e4}mple.com/",
                      "https://a..b/", "https://.example.com/", "https://[::1/", "https://::1/",
                      "https://[fe80::1%25eth0]/", "https://[127.0.0.1]/", "https://[::1]x/",
                      "https://" + String(repeating: "a", count: 64) + ".com/", "https://exa$mple.com/",
                      "https://example.com:80:80/"])
    func invalid_hosts_are_refused(_ text: String) {
        #expect(refusal(text) == .invalidHost)
    }

    // MARK: IP literals and numeric forms

    @Test(arguments: [
        ("https://127.0.0.1/", "127.0.0.0/8"), ("https://[::1]/", "::1/128"), ("https://[::]/", "::/128"),
        ("https://[::ffff:127.0.0.1]/", "127.0.0.0/8"), ("https://[::ffff:7f00:1]/", "127.0.0.0/8"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.0.0/16"), ("https://10.0.0.1:8443/", "10.0.0.0/8"),
        ("https://[fd00::1]/", "fc00::/7"), ("https://[64:ff9b::a9fe:a9fe]/", "169.254.0.0/16"),
        ("https://0.0.0.0/", "0.0.0.0/8"), ("https://255.255.255.255/", "240.0.0.0/4"),
    ])
    func blocked_ip_literals_are_refused(_ text: String, _ range: String) {
        do {
            _ = try strict.check(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.code == .blockedAddress)
            #expect(error.blockedRange?.cidr == CIDR(range))
            // The user-facing message names neither the address nor the range.
            #expect(!error.message.contains(range.split(separator: "/")[0]))
        }
    }

    @Test func public_ip_literals_are_accepted_and_pinned_to_themselves() throws {
        let v4 = try strict.check("https://8.8.8.8/dns-query")
        #expect(v4.literalAddress == IPAddress("8.8.8.8"))
        #expect(try strict.checkResolved(v4, addresses: [IPAddress("10.0.0.1")!]) == IPAddress("8.8.8.8"))
        let v6 = try strict.check("https://[2606:4700:4700:0::1111]:8443/")
        #expect(v6.host == "2606:4700:4700::1111")
        #expect(v6.string == "https://[2606:4700:4700::1111]:8443/")
    }

    @Test(arguments: ["https://2130706433/", "https://0x7f.1/", "https://017700000001/", "https://127.1/",
                      "https://0x7f000001/", "https://0177.0.0.1/", "https://127.0.0.01/", "https://127.000.000.001/",
                      "https://0x7f.0x0.0x0.0x1/", "https://1.2.3.4.5/", "https://256.1.1.1/", "https://example.123/",
                      "https://0x/", "https://10.0.0.1.nip.io.0/", "https://2130706433./"])
    func numeric_host_forms_are_refused(_ text: String) {
        #expect(refusal(text) == .numericHost)
    }

    @Test func names_that_merely_contain_digits_are_fine() throws {
        #expect(try strict.check("https://127.0.0.1.nip.io/").host == "127.0.0.1.nip.io")
        #expect(try strict.check("https://0x7f.example/").host == "0x7f.example")
        #expect(try strict.check("https://api2.example.com/").host == "api2.example.com")
    }

    // MARK: Allowlist

    @Test func allowed_networks_bypass_the_private_range_block() throws {
        let policy = OutboundURLPolicy(allowedNetworks: [CIDR("10.20.0.0/16")!])
        #expect(try policy.check("https://10.20.1.2/").literalAddress == IPAddress("10.20.1.2"))
        #expect(refusal("https://10.21.0.1/", policy) == .blockedAddress)
        #expect(refusal("https://169.254.169.254/", policy) == .blockedAddress)
        let url = try policy.check("https://internal.example/")
        #expect(try policy.checkResolved(url, addresses: [IPAddress("10.20.0.9")!]) == IPAddress("10.20.0.9"))
    }

    @Test func allowed_hosts_bypass_the_block_for_that_name_only() throws {
        let policy = OutboundURLPolicy(allowedHosts: ["Internal.Example."])
        let allowed = try policy.check("https://internal.example/")
        #expect(try policy.checkResolved(allowed, addresses: [IPAddress("10.0.0.5")!]) == IPAddress("10.0.0.5"))
        let other = try policy.check("https://other.example/")
        #expect(throws: OutboundRefusal(.blockedAddress, blockedRange: OutboundAddressPolicy.blockedRange(for: IPAddress("10.0.0.5")!))) {
            try policy.checkResolved(other, addresses: [IPAddress("10.0.0.5")!])
        }
    }

    @Test func allowlist_does_not_permit_plain_http() {
        let policy = OutboundURLPolicy(allowedHosts: ["internal.example"], allowedNetworks: [CIDR("10.0.0.0/8")!])
        #expect(refusal("http://internal.example/", policy) == .insecureScheme)
        #expect(refusal("http://10.0.0.1/", policy) == .insecureScheme)
    }

    // MARK: Loopback switch (tests only)

    @Test func loopback_is_refused_without_the_switch() {
        #expect(refusal("https://127.0.0.1:8080/") == .blockedAddress)
        #expect(refusal("http://127.0.0.1:8080/") == .insecureScheme)
    }

    @Test func loopback_switch_permits_loopback_over_http() throws {
        let policy = OutboundURLPolicy(allowLoopback: true)
        #expect(try policy.check("http://127.0.0.1:8080/fake").port == 8080)
        #expect(try policy.check("http://[::1]:8080/").literalAddress == IPAddress("::1"))
        #expect(try policy.check("https://127.0.0.2/").literalAddress == IPAddress("127.0.0.2"))
        let named = try policy.check("http://localhost:9000/")
        #expect(try policy.checkResolved(named, addresses: [IPAddress("127.0.0.1")!, IPAddress("::1")!]) == IPAddress("127.0.0.1"))
    }

    @Test func loopback_switch_permits_nothing_else() throws {
        let policy = OutboundURLPolicy(allowLoopback: true)
        #expect(refusal("http://10.0.0.1/", policy) == .insecureScheme)
        #expect(refusal("https://10.0.0.1/", policy) == .blockedAddress)
        #expect(refusal("https://169.254.169.254/", policy) == .blockedAddress)
        #expect(refusal("http://example.com/", policy) == .insecureScheme)
        #expect(refusal("https://[64:ff9b::7f00:1]/", policy) == .blockedAddress)
        // "localhost" over http, but resolving to a public address: still http to the internet.
        let named = try policy.check("http://localhost/")
        #expect(throws: OutboundRefusal(.insecureScheme)) {
            try policy.checkResolved(named, addresses: [IPAddress("127.0.0.1")!, IPAddress("8.8.8.8")!])
        }
    }

    // MARK: Resolved addresses

    @Test func any_blocked_address_in_the_answer_refuses_it() throws {
        let url = try strict.check("https://rebind.example/")
        for answer in [["8.8.8.8", "10.0.0.1"], ["10.0.0.1", "8.8.8.8"], ["2606:4700::1", "::1"], ["169.254.169.254"]] {
            let addresses = answer.compactMap { IPAddress($0) }
            #expect(throws: OutboundRefusal.self) { try strict.checkResolved(url, addresses: addresses) }
        }
    }

    @Test func empty_answer_is_unresolvable() throws {
        let url = try strict.check("https://nothing.example/")
        #expect(throws: OutboundRefusal(.unresolvableHost)) { try strict.checkResolved(url, addresses: []) }
    }

    @Test func clean_answer_pins_the_first_address() throws {
        let url = try strict.check("https://example.com/")
        let pinned = try strict.checkResolved(url, addresses: [IPAddress("93.184.215.14")!, IPAddress("2606:2800:21f::1")!])
        #expect(pinned == IPAddress("93.184.215.14"))
    }

    // MARK: Redirects

    func redirect(_ location: String, from base: String = "https://example.com/a/b?x=1", hop: Int = 1,
                  _ policy: OutboundURLPolicy = OutboundURLPolicy()) throws(OutboundRefusal) -> String {
        try policy.checkRedirect(from: policy.check(base), location: location, hop: hop).string
    }

    @Test func relative_and_absolute_locations_are_resolved() throws {
        #expect(try redirect("https://other.example/x") == "https://other.example/x")
        #expect(try redirect("/next?y=2") == "https://example.com/next?y=2")
        #expect(try redirect("c") == "https://example.com/a/c")
        #expect(try redirect("../up") == "https://example.com/up")
        #expect(try redirect("../../../../up") == "https://example.com/up")
        #expect(try redirect("//cdn.example/asset") == "https://cdn.example/asset")
        #expect(try redirect("?page=2") == "https://example.com/a/b?page=2")
        #expect(try redirect("#top") == "https://example.com/a/b?x=1")
        #expect(try redirect("https://example.com:8443/p", from: "https://example.com:8443/q") == "https://example.com:8443/p")
        #expect(try redirect("/p", from: "https://example.com:8443/q") == "https://example.com:8443/p")
    }

    @Test(arguments: ["https://127.0.0.1/", "https://169.254.169.254/latest/meta-data/", "//10.0.0.1/",
                      "https://[::ffff:192.168.0.1]/", "https://[fe80::1]/"])
    func redirects_into_blocked_ranges_are_refused(_ location: String) {
        #expect(throws: OutboundRefusal.self) { try redirect(location) }
        do { _ = try redirect(location) } catch { #expect(error.code == .blockedAddress) }
    }

    @Test func redirect_from_https_to_http_is_refused_even_when_http_is_allowed() throws {
        let policy = OutboundURLPolicy(allowHTTP: true, allowLoopback: true)
        for location in ["http://example.com/", "HTTP://example.com/", "http://127.0.0.1/"] {
            do {
                _ = try redirect(location, policy)
                Issue.record("\(location) was followed")
            } catch {
                #expect(error.code == .redirectDowngrade)
            }
        }
        #expect(try redirect("http://example.org/", from: "http://example.com/", policy) == "http://example.org/")
    }

    @Test func at_most_three_hops() throws {
        #expect(try redirect("/ok", hop: 3) == "https://example.com/ok")
        for hop in [4, 5, 0, -1] {
            do {
                _ = try redirect("/ok", hop: hop)
                Issue.record("hop \(hop) was followed")
            } catch {
                #expect(error.code == .tooManyRedirects)
            }
        }
        #expect(try redirect("/ok", hop: 5, OutboundURLPolicy(maximumRedirects: 5)) == "https://example.com/ok")
    }

    @Test(arguments: [("", OutboundRefusal.Code.malformedURL), ("ftp://example.com/", .unsupportedScheme),
                      ("https://u:p@example.com/", .userInfoNotAllowed), ("https://2130706433/", .numericHost),
                      ("https://example.com\\@evil/", .malformedURL), ("//", .missingHost)])
    func redirect_targets_are_checked_like_new_urls(_ location: String, _ code: OutboundRefusal.Code) {
        do {
            _ = try redirect(location)
            Issue.record("\(location) was followed")
        } catch {
            #expect(error.code == code)
        }
    }

    // MARK: Refusal codes

    @Test func refusal_codes_are_stable_and_messages_fixed() {
        #expect(OutboundRefusal.Code.allCases.map(\.rawValue) == [
            "malformed_url", "unsupported_scheme", "insecure_scheme", "userinfo_not_allowed", "missing_host",
            "invalid_host", "ambiguous_numeric_host", "invalid_port", "blocked_address", "unresolvable_host",
            "too_many_redirects", "redirect_downgrade"])
        for code in OutboundRefusal.Code.allCases {
            #expect(!OutboundRefusal(code).message.isEmpty)
        }
    }
}
