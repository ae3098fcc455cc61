import Testing
@testable import SMFSecurity

/// A random password of `length` characters (hex from the system CSPRNG);
/// the chance of it being on the common list is negligible.
func randomPassword(length: Int) -> String {
    String(SecretGenerator.hexKey(byteCount: (length + 1) / 2).prefix(length))
}

@Suite struct PasswordPolicyTests {
    func rules(_ password: String, email: String? = nil) -> [String] {
        PasswordPolicy.problems(password: password, email: email.flatMap(EmailAddress.init)).map(\.rule)
    }

    // MARK: Common-password list

    @Test func list_is_loaded_with_at_least_10000_entries() {
        #expect(CommonPasswords.isLoaded)
        #expect(CommonPasswords.count >= 10_000)
    }

    @Test(arguments: ["password", "123456", "qwerty", "iloveyou", "PassWord", "QWERTY", "ILoveYou"])
    func well_known_passwords_are_common_in_any_case(_ password: String) {
        #expect(CommonPasswords.contains(password))
        #expect(rules(password).contains("password.common"))
    }

    /// Entries of 12+ characters, so the list (not the length rule) is what
    /// refuses them; all verified to be in the shipped list.
    @Test(arguments: ["qwerty123456", "1qaz2wsx3edc", "LeaveMeAlone", "FinalFantasy"])
    func long_common_passwords_are_refused(_ password: String) {
        #expect(rules(password) == ["password.common"])
    }

    @Test func a_list_that_is_too_short_is_not_accepted() {
        #expect(CommonPasswords.parse("123456\npassword\n") == nil)
        #expect(CommonPasswords.parse("") == nil)
        let crlf = (0..<10_000).map { "Entry\($0)" }.joined(separator: "\r\n")
        #expect(CommonPasswords.parse(crlf)?.contains("entry9999") == true)
    }

    // MARK: Length

    @Test func length_limits() {
        #expect(rules(randomPassword(length: 11)) == ["password.too-short"])
        #expect(rules(randomPassword(length: 12)) == [])
        #expect(rules(randomPassword(length: 128)) == [])
        #expect(rules(randomPassword(length: 129)) == ["password.too-long"])
        #expect(rules("") == ["password.too-short"])
    }

    @Test func unicode_is_counted_in_characters() {
        #expect(rules(String(repeating: "🔒", count: 12)) == [])
        #expect(rules(String(repeating: "🔒", count: 11)) == ["password.too-short"])
        #expect(rules("crème brûlée à la française") == [])
        #expect(rules("éàüçñøåß") == ["password.too-short"])  // 8 characters, 17 bytes
        // A family emoji is one character of 18 bytes.
        #expect(rules(String(repeating: "👨‍👩‍👧", count: 12)) == [])
        #expect(rules(String(repeating: "👨‍👩‍👧", count: 11)) == ["password.too-short"])
    }

    @Test func more_than_512_bytes_is_too_long_even_within_128_characters() {
        let password = String(repeating: "👨‍👩‍👧", count: 29)  // 29 characters, 522 bytes
        #expect(password.count <= PasswordPolicy.maximumLength)
        #expect(rules(password) == ["password.too-long"])
        #expect(rules(String(repeating: "x", count: 10_000)) == ["password.too-long"])
    }

    // MARK: Other rules

    @Test func no_composition_rules() {
        #expect(rules("correct horse battery staple zebra") == [])
        #expect(rules("alllowercaseletters") == [])
        #expect(rules("918273645546372819") == [])
    }

    @Test func whitespace_only_is_refused() {
        #expect(rules(String(repeating: " ", count: 12)) == ["password.whitespace-only"])
        #expect(rules("\t \t") == ["password.too-short", "password.whitespace-only"])
    }

    @Test func password_containing_the_email_local_part_is_refused() {
        let email = "Alice.Smith@example.com"
        #expect(rules("my alice.smith password", email: email) == ["password.contains-email"])
        #expect(rules("ALICE.SMITH-2024-q", email: email) == ["password.contains-email"])
        #expect(rules("alice.smith@example.com", email: email) == ["password.contains-email"])
        #expect(rules("my alice password!", email: email) == [])
        // Local parts under 3 characters would match too much.
        #expect(rules("al is my best friend", email: "al@example.com") == [])
        #expect(rules("bob is my best friend", email: "bob@example.com") == ["password.contains-email"])
    }

    @Test func messages_never_contain_the_password() {
        let passwords = ["leavemealone", "x7Kq!", String(repeating: "z", count: 200), "my alice.smith password", "             "]
        for password in passwords {
            let problems = PasswordPolicy.problems(password: password, email: EmailAddress("alice.smith@example.com"))
            #expect(!problems.isEmpty)
            for problem in problems {
                #expect(!problem.message.contains(password))
            }
        }
    }

    // MARK: bcrypt input

    @Test func bcrypt_input_is_unchanged_up_to_72_bytes() {
        for password in ["", "correct horse battery staple", String(repeating: "a", count: 72), String(repeating: "🔒", count: 18)] {
            #expect(PasswordPolicy.bcryptInput(password) == Array(password.utf8))
        }
    }

    @Test func bcrypt_input_over_72_bytes_is_hex_sha256() {
        // printf 'a%.0s' {1..73} | sha256sum
        let expected = "0e058e3f7d0439f9054d59c735587ae99655f6473a234ce494d82b5586f7eac6"
        #expect(PasswordPolicy.bcryptInput(String(repeating: "a", count: 73)) == Array(expected.utf8))
    }

    @Test func long_passwords_sharing_72_bytes_do_not_collide() {
        let prefix = String(repeating: "p", count: 72)
        let first = prefix + String(repeating: "1", count: 28)
        let second = prefix + String(repeating: "2", count: 28)
        #expect(first.utf8.count == 100 && second.utf8.count == 100)
        let a = PasswordPolicy.bcryptInput(first)
        let b = PasswordPolicy.bcryptInput(second)
        #expect(a != b)
        #expect(a.count <= 72 && b.count <= 72)
        #expect(!a.contains(0) && !b.contains(0))
        // Emoji: 19 × 4 bytes = 76 bytes.
        #expect(PasswordPolicy.bcryptInput(String(repeating: "🔒", count: 19)).count == 64)
    }
}

@Suite struct EmailAddressTests {
    static let valid = [
        "alice@example.com",
        "Alice.Smith@Example.COM",
        "first.last+tag@mail.example.co.uk",
        "o'brien@example.ie",
        "x_y-z@my-domain.example",
        "1234@example.com",
        "a@b.co",
        "user@xn--bcher-kva.example",  // punycode for bücher
        "user@123.example.com",
        "!#$%&'*+-/=?^_`{|}~@example.com",
        String(repeating: "l", count: 64) + "@example.com",
        "alice@" + String(repeating: "d", count: 63) + ".com",
        // Exactly 254 bytes.
        String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "."
            + String(repeating: "c", count: 63) + "." + String(repeating: "d", count: 61),
    ]

    /// One case per rule.
    static let invalid: [(String, String)] = [
        ("empty", ""),
        ("only whitespace", "   "),
        ("no @", "alice.example.com"),
        ("two @", "alice@bob@example.com"),
        ("empty local part", "@example.com"),
        ("empty domain", "alice@"),
        ("local part over 64 bytes", String(repeating: "l", count: 65) + "@example.com"),
        ("over 254 bytes", String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 63) + "."
            + String(repeating: "c", count: 63) + "." + String(repeating: "d", count: 62)),
        ("inner space", "alice smith@example.com"),
        ("space in domain", "alice@exam ple.com"),
        ("tab", "alice\t@example.com"),
        ("control character", "alice\u{0}@example.com"),
        ("line break (header injection)", "alice@example.com\r\nBcc:x"),
        ("zero-width space", "alice\u{200B}@example.com"),
        ("double quotes", "\"alice\"@example.com"),
        ("angle brackets", "<alice@example.com>"),
        ("comma", "alice,bob@example.com"),
        ("semicolon", "alice;bob@example.com"),
        ("backslash", "alice\\@example.com"),
        ("comment parentheses", "alice(work)@example.com"),
        ("leading dot", ".alice@example.com"),
        ("trailing dot in local part", "alice.@example.com"),
        ("consecutive dots", "alice..smith@example.com"),
        ("non-ASCII local part", "аlice@example.com"),  // Cyrillic а
        ("domain without dot", "alice@localhost"),
        ("label starts with hyphen", "alice@-example.com"),
        ("label ends with hyphen", "alice@example-.com"),
        ("underscore in domain", "alice@exa_mple.com"),
        ("empty label", "alice@example..com"),
        ("trailing dot in domain", "alice@example.com."),
        ("leading dot in domain", "alice@.example.com"),
        ("label over 63 bytes", "alice@" + String(repeating: "d", count: 64) + ".com"),
        ("numeric TLD", "alice@192.168.0.1"),
        ("IP literal", "alice@[192.168.0.1]"),
        ("non-ASCII domain", "alice@bücher.example"),
        ("Kelvin sign would lowercase to k", "alice@example.\u{212A}z"),
    ]

    @Test(arguments: valid)
    func valid_addresses_parse(_ address: String) {
        #expect(EmailAddress(address) != nil)
    }

    @Test(arguments: invalid)
    func invalid_addresses_are_refused(_ rule: String, _ address: String) {
        #expect(EmailAddress(address) == nil, "\(rule)")
    }

    @Test func normalisation() throws {
        let email = try #require(EmailAddress(" Alice@Example.COM "))
        #expect(email.localPart == "Alice")
        #expect(email.domain == "example.com")
        #expect(email.normalized == "Alice@example.com")
        #expect(email.canonical == "alice@example.com")
        #expect(EmailAddress("\tbob@example.com\r\n")?.normalized == "bob@example.com")
    }

    @Test func equality_uses_the_canonical_form() {
        let variants = ["Alice@Example.COM", "alice@example.com", " ALICE@example.com"].compactMap(EmailAddress.init)
        #expect(variants.count == 3)
        #expect(Set(variants).count == 1)
        #expect(EmailAddress("alice@example.com") != EmailAddress("alice@example.org"))
    }
}

@Suite struct PasswordNormalisationTests {
    @Test func composed_and_decomposed_unicode_hash_alike() {
        let composed = "caf\u{E9}-correct-horse"
        let decomposed = "cafe\u{301}-correct-horse"
        #expect(composed.utf8.count != decomposed.utf8.count)
        #expect(PasswordPolicy.bcryptInput(composed) == PasswordPolicy.bcryptInput(decomposed))
    }
}
