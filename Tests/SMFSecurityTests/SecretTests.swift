import Testing
@testable import SMFSecurity

@Suite struct SecretKeyPolicyTests {
    func rules(_ value: String) -> [String] {
        SecretKeyPolicy.problems(value, variable: "SMF_SECRET_KEY").map(\.rule)
    }

    @Test func generated_keys_pass() {
        for _ in 0..<2000 {
            let key = SecretGenerator.hexKey()
            #expect(key.count == 64)
            #expect(rules(key).isEmpty)
        }
    }

    @Test func base64_key_of_32_bytes_passes() {
        // 43 characters of base64 = 32 bytes.
        #expect(rules("q3Jx9Vb2LmNp0RtYw8ZcKd4Hs7Ue1Fg6Ai5Oj2PlQnM").isEmpty)
    }

    @Test func short_key_is_refused() {
        #expect(rules("0123456789abcdef0123456789abcde").contains("secret-key.too-short"))
        #expect(rules(String(SecretGenerator.hexKey().prefix(63))).contains("secret-key.too-short"))
    }

    @Test(arguments: ["changeme", "secret", "your-secret-key", "CHANGE_ME_run_smflow_secrets_generate_0123456789abcdef",
                      "my-super-secret-key-for-production-use-only-1234567890", "replace-with-64-hex-characters-from-openssl-rand-0000000"])
    func placeholders_are_refused(_ value: String) {
        #expect(rules(value).contains("secret-key.placeholder"))
    }

    @Test func low_variety_is_refused() {
        #expect(rules(String(repeating: "a", count: 64)).contains("secret-key.low-variety"))
        #expect(rules(String(repeating: "ab12", count: 16)).contains("secret-key.low-variety"))
        // 64 hex characters from only 11 digits: not random.
        #expect(rules("0123456789a0123456789a123456789a0123456789a0123456789a0123456789").contains("secret-key.low-variety"))
        // Non-hex keys need 16 distinct characters.
        #expect(rules("ABCDEFGHIJKLMNOabcdefghijklmnoABCDEFGHIJKLMNOabcdefghijklmno").contains("secret-key.low-variety") == false)
        #expect(rules("ABCDEFGHIJKLMNOAABCDEFGHIJKLMNOAABCDEFGHIJKLMNOAABCDEFGHIJKLMNOA").contains("secret-key.low-variety"))
    }

    @Test func repeated_pattern_is_refused() {
        #expect(rules(String(repeating: "0123456789abcdef", count: 4)) == ["secret-key.repeating"])
    }

    @Test func messages_never_contain_the_value() {
        let value = "changeme-but-long-enough-to-not-be-short-0000000000000000000000"
        for problem in SecretKeyPolicy.problems(value, variable: "SMF_SECRET_KEY") {
            #expect(!problem.message.contains(value))
            #expect(problem.message.contains("SMF_SECRET_KEY"))
        }
    }
}

@Suite struct SecretValueTests {
    @Test func description_is_redacted() {
        let secret = SecretValue("0123456789abcdef-very-secret")
        #expect("\(secret)" == "****")
        #expect(String(reflecting: secret) == "SecretValue(****)")
        #expect(secret.redacted == "****cret")
        #expect(SecretValue("short").redacted == "****")
    }

    @Test func constant_time_equality() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "abcd"))
        #expect(!ConstantTime.equals("", "a"))
        #expect(SecretValue("x") == SecretValue("x"))
        #expect(SecretValue("x") != SecretValue("y"))
    }
}

@Suite struct DatabasePasswordPolicyTests {
    func rules(_ password: String?, user: String? = "smflow_app") -> [String] {
        DatabasePasswordPolicy.problems(password: password, user: user, database: "smflow", variable: "DATABASE_URL").map(\.rule)
    }

    @Test(arguments: ["postgres", "password", "admin", "root", "Password", "smflow_app", "smflow"])
    func defaults_are_refused(_ password: String) {
        #expect(rules(password).contains("db-password.default"))
    }

    @Test(arguments: [
        "Sh0rt!pass",                 // too short
        "alllowercase1234!@#$",       // no upper case
        "ALLUPPERCASE1234!@#$",       // no lower case
        "NoDigitsHereAtAll!@#$",      // no digit
        "NoSymbols1234567890abc",     // no symbol
    ])
    func weak_passwords_are_refused(_ password: String) {
        #expect(rules(password) == ["db-password.weak"])
    }

    @Test func strong_password_passes() {
        #expect(rules("vT9#qLm2!xRw7$Kd").isEmpty)
    }

    @Test func missing_password_is_refused() {
        #expect(rules(nil) == ["db-password.missing"])
    }
}

@Suite struct DatabaseURLPolicyTests {
    func rules(_ url: String?) -> [String] {
        DatabaseURLPolicy.productionProblems(url.flatMap(DatabaseLocation.parse)).map(\.rule)
    }

    @Test func sqlite_and_missing_are_refused() {
        #expect(rules(nil) == ["database.missing"])
        #expect(rules("sqlite://data/smflow.sqlite") == ["database.sqlite"])
    }

    @Test func superuser_is_refused() {
        #expect(rules("postgres://postgres:vT9%23qLm2!xRw7$Kd@db:5432/smflow").contains("database.superuser"))
    }

    @Test func percent_encoded_strong_password_passes() {
        #expect(rules("postgres://smflow_app:vT9%23qLm2!xRw7$Kd@db:5432/smflow").isEmpty)
    }

    @Test func redaction_hides_the_password() throws {
        guard case .postgres(let url) = try #require(DatabaseLocation.parse("postgres://app:hunter2hunter2@db:5432/smflow")) else {
            Issue.record("not parsed as postgres")
            return
        }
        #expect(url.redacted == "postgres://app:****@db:5432/smflow")
    }
}

@Suite struct CORSOriginPolicyTests {
    @Test func exact_origins_are_parsed_and_canonical() throws {
        let parsed = CORSOriginPolicy.parse("https://App.Example.com:443, http://localhost:3000")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.origins.map(\.description) == ["https://app.example.com", "http://localhost:3000"])
        #expect(parsed.productionProblems.map(\.rule) == ["cors.http"])
    }

    @Test(arguments: [("*", "cors.wildcard"), ("https://*.example.com", "cors.wildcard"), ("null", "cors.null"),
                      ("https://app.example.com/", "cors.path"), ("https://app.example.com/api", "cors.path"),
                      ("app.example.com", "cors.malformed"), ("ftp://example.com", "cors.malformed"),
                      ("https://user@example.com", "cors.malformed"), ("https://example.com:99999", "cors.malformed")])
    func bad_entries_are_refused(_ entry: String, _ rule: String) {
        #expect(CORSOriginPolicy.parse(entry).problems.map(\.rule) == [rule])
    }
}

@Suite struct JSONNestingLimitTests {
    @Test func counts_arrays_and_objects() {
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(JSONNestingLimit.exceeds(Array(deep.utf8), maximumDepth: 32))
        let ok = String(repeating: "{\"a\":", count: 32) + "1" + String(repeating: "}", count: 32)
        #expect(!JSONNestingLimit.exceeds(Array(ok.utf8), maximumDepth: 32))
    }

    @Test func ignores_brackets_inside_strings() {
        let text = #"{"a":"[[[[[[[[\"[[[[[[[["}"#
        #expect(!JSONNestingLimit.exceeds(Array(text.utf8), maximumDepth: 2))
    }
}
