import Crypto
import Foundation
import Testing
import VaporTesting
@testable import SMFServer

/// The web console's static files (issue 11): served under /console/ with the
/// console's CSP and the rest of the header set, with their content types,
/// SRI hashes that match the files, nothing outside the console directory
/// reachable, and assets that contain none of the constructs the strict CSP
/// exists to forbid.
@Suite struct ConsoleAssetTests {
    static let repositoryDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/SMFServer/Resources/console")

    /// The issue's policy, word for word, and where violations are reported.
    static let consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
        + "report-uri /api/v1/csp-reports"

    static let otherHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("X-XSS-Protection", "0"),
        ("Cache-Control", "no-store"),
    ]

    static func repositoryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: repositoryDirectory.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func repositoryFile(_ name: String) throws -> Data {
        try Data(contentsOf: repositoryDirectory.appendingPathComponent(name))
    }

    // MARK: - Serving

    @Test(arguments: [false, true])
    func index_has_the_console_csp_and_the_header_set(production: Bool) async throws {
        let index = try Self.repositoryFile("index.html")
        try await withTestApp({ if production { productionMode(&$0) } }) { app in
            for path in ["console", "console/", "console/index.html"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.status == .ok, "\(path)")
                    #expect(res.headers.first(name: .contentType) == "text/html; charset=utf-8")
                    #expect(res.headers.first(name: "Content-Security-Policy") == Self.consoleCSP, "\(path)")
                    #expect(res.headers[canonicalForm: "Content-Security-Policy"].count == 1)
                    for (name, value) in Self.otherHeaders {
                        #expect(res.headers.first(name: name) == value, "\(name) on \(path)")
                    }
                    #expect(res.headers.first(name: "Strict-Transport-Security") == (production ? SecurityHeaders.hsts : nil))
                    #expect(res.headers.first(name: "Server") == nil)
                    #expect(res.headers.first(name: "X-Request-ID") != nil)
                    #expect(Data(res.body.readableBytesView) == index, "the bundled index.html is the repository's: rebuild")
                }
            }
        }
    }

    @Test func the_api_keeps_its_own_policy_and_no_other_response_can_bring_one() async throws {
        try await withTestApp(routes: { app in
            app.get("test", "own-csp") { _ -> Response in
                Response(status: .ok, headers: ["Content-Security-Policy": "default-src *"])
            }
        }) { app in
            for path in ["api/v1", "api/v1/node-types", "healthz", "console/no-such-file.js", "test/own-csp"] {
                try await app.testing().test(.GET, path) { res in
                    #expect(res.headers.first(name: "Content-Security-Policy") == SecurityHeaders.apiContentSecurityPolicy, "\(path)")
                }
            }
        }
    }

    @Test func every_asset_is_served_with_its_content_type_and_bytes() async throws {
        let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
                     "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]
        let files = try Self.repositoryFiles()
        #expect(files.contains("app.js") && files.contains("console.css"))
        try await withTestApp { app in
            for name in files {
                let ext = String(name.split(separator: ".").last ?? "")
                try await app.testing().test(.GET, "console/\(name)") { res in
                    #expect(res.status == .ok, "\(name)")
                    #expect(res.headers.first(name: .contentType) == types[ext], "\(name)")
                    #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
                    #expect(res.headers.first(name: "Content-Security-Policy") == Self.consoleCSP)
                    #expect(Data(res.body.readableBytesView) == (try? Self.repositoryFile(name)), "\(name): rebuild")
                }
            }
        }
    }

    @Test func every_file_has_a_name_the_server_serves() throws {
        for name in try Self.repositoryFiles() {
            #expect(ConsoleAssetStore.isPlainName(name), "\(name) would never be served: use [a-z0-9-]+.(html|css|js|svg)")
        }
    }

    // MARK: - Nothing else

    static let traversals = [
        "console/../Package.swift", "console/..%2fPackage.swift", "console/%2e%2e/smflow.yaml", "console/%2e%2e%2fsmflow.yaml",
        "console/..%2f..%2f..%2fetc%2fpasswd", "console/%252e%252e%252fsmflow.yaml", "console/..%5csmflow.yaml",
        "console/....//smflow.yaml", "console/smflow.yaml", "console/%2fetc%2fpasswd", "console//etc/passwd",
        "console/app.js%00.html", "console/APP.JS", "console/.app.js", "console/app.js.map", "console/app",
        "console/index.html/..", "console/%2e", "console/..", "console/app.js%2f..%2fsmflow.yaml",
    ]

    @Test func traversal_and_other_names_are_refused() async throws {
        let yaml = try Data(contentsOf: OpenAPIDocument.bundledURL)
        let checks: @Sendable (TestingHTTPResponse, String) -> Void = { res, path in
            #expect(res.status == .notFound || res.status == .badRequest, "\(path): \(res.status.code)")
            let body = Data(res.body.readableBytesView)
            #expect(body != yaml && !body.isEmpty, "\(path)")
            #expect(!String(decoding: body, as: UTF8.self).contains("root:"), "\(path)")
        }
        try await withTestApp { app in
            for path in Self.traversals {
                try await app.testing().test(.GET, path) { res in checks(res, path) }
            }
            // Over a real socket too: the HTTP parser sees the raw request line.
            for path in Self.traversals where !path.contains("/../") && !path.hasSuffix("/..") {
                try await live(app).test(.GET, path) { res in checks(res, path) }
            }
        }
    }

    @Test func names_are_plain() {
        for good in ["app.js", "page-flows.js", "console.css", "index.html", "favicon.svg", "a1.js"] {
            #expect(ConsoleAssetStore.isPlainName(good), "\(good)")
        }
        for bad in ["", ".js", "app", "app.", "App.js", "app.JS", "../app.js", "a/b.js", "a\\b.js", "app.js.map", "app..js",
                    "app.json", "app.yaml", "%2e%2e.js", "app .js", "app.js\u{0}", "é.js", String(repeating: "a", count: 65) + ".js"] {
            #expect(!ConsoleAssetStore.isPlainName(bad), "\(bad)")
        }
    }

    @Test func a_store_reads_regular_files_only_and_a_missing_directory_is_a_logged_404() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("ok".utf8).write(to: directory.appendingPathComponent("index.html"))
        try Data("secret".utf8).write(to: directory.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("link.js"),
                                                   withDestinationURL: directory.appendingPathComponent("secret.txt"))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub.js"), withIntermediateDirectories: false)
        let store = ConsoleAssetStore.load(from: directory)
        #expect(Set(store.assets.keys) == ["index.html"])
        #expect(store.failure == nil)
        let missing = ConsoleAssetStore.load(from: directory.appendingPathComponent("gone"))
        #expect(missing.assets.isEmpty && missing.failure != nil)
    }

    // MARK: - Subresource integrity

    /// `<script src="/console/x.js" integrity="…">` and `<link href=… integrity=…>` of index.html.
    static func integrityAttributes() throws -> [(tag: String, name: String, integrity: String?)] {
        let html = String(decoding: try repositoryFile("index.html"), as: UTF8.self)
        let tag = try Regex(#"<(script|link)\b[^>]*>"#)
        let source = try Regex(#"(?:src|href)="/console/([^"]+)""#)
        let integrity = try Regex(#"integrity="([^"]*)""#)
        return html.matches(of: tag).compactMap { match in
            let text = String(html[match.range])
            guard let name = text.firstMatch(of: source)?.output[1].substring else { return nil }
            return (text, String(name), text.firstMatch(of: integrity)?.output[1].substring.map(String.init))
        }
    }

    @Test func sri_hashes_match_the_files_and_every_script_and_stylesheet_has_one() throws {
        let referenced = try Self.integrityAttributes()
        var hashed: Set<String> = []
        for (tag, name, integrity) in referenced where name.hasSuffix(".js") || name.hasSuffix(".css") {
            let digest = Data(SHA384.hash(data: try Self.repositoryFile(name))).base64EncodedString()
            #expect(integrity == "sha384-\(digest)", "\(name): stale or missing integrity; run scripts/console-sri")
            #expect(tag.contains(#"crossorigin="anonymous""#), "\(name): SRI needs a CORS request")
            hashed.insert(name)
        }
        // Every module must come through an integrity-checked tag (the entry
        // script or a modulepreload): an import of an unlisted module would
        // be fetched without one.
        for name in try Self.repositoryFiles() where name.hasSuffix(".js") || name.hasSuffix(".css") {
            #expect(hashed.contains(name), "\(name) is not listed in index.html with an integrity hash")
        }
        let modules = referenced.filter { $0.tag.hasPrefix("<script") }
        #expect(modules.count == 1 && modules[0].tag.contains(#"type="module""#), "one module entry script")
    }

    @Test func every_import_names_a_listed_module() throws {
        let listed = Set(try Self.integrityAttributes().map(\.name))
        let importRegex = try Regex(#"(?:import|from)\s*\(?\s*'\./([^']+)'"#)
        for name in try Self.repositoryFiles() where name.hasSuffix(".js") {
            let text = String(decoding: try Self.repositoryFile(name), as: UTF8.self)
            for match in text.matches(of: importRegex) {
                let target = String(match.output[1].substring ?? "")
                #expect(listed.contains(target), "\(name) imports \(target), which index.html does not list with SRI")
            }
        }
    }

    // MARK: - Lint

    /// What the strict CSP forbids, found in the source instead of at run time.
    static let forbidden: [(String, String)] = [
        (#"innerHTML"#, "innerHTML"), (#"outerHTML"#, "outerHTML"), (#"insertAdjacentHTML"#, "insertAdjacentHTML"),
        (#"document\.write"#, "document.write"), (#"\beval\s*\("#, "eval("), (#"new\s+Function\b"#, "new Function"),
        (#"set(?:Timeout|Interval)\s*\(\s*['"`]"#, "setTimeout with a string"), (#"javascript:"#, "javascript: URL"),
        (#"createContextualFragment|DOMParser|srcdoc"#, "HTML parsing"), (#"setAttribute\(\s*['"]on"#, "handler attribute"),
        (#"setAttribute\(\s*['"]style"#, "style attribute"), (#"\.style\s*\.\s*cssText|\.style\s*="#, "inline style"),
    ]

    @Test func assets_use_no_html_parsing_eval_inline_handlers_or_inline_styles() throws {
        for name in try Self.repositoryFiles() {
            let text = String(decoding: try Self.repositoryFile(name), as: UTF8.self)
            for (pattern, label) in Self.forbidden where text.contains(try Regex(pattern)) {
                Issue.record("\(name) uses \(label)")
            }
            guard name.hasSuffix(".html") || name.hasSuffix(".svg") else { continue }
            #expect(!text.contains(try Regex(#"\son[a-z]+\s*="#).ignoresCase()), "\(name): inline event handler attribute")
            #expect(!text.contains(try Regex(#"\sstyle\s*="#).ignoresCase()), "\(name): style attribute")
            #expect(!text.contains(try Regex(#"<style\b"#).ignoresCase()), "\(name): inline <style>")
            // Every <script> loads a file: no inline script.
            for match in text.matches(of: try Regex(#"<script\b([^>]*)>([\s\S]*?)</script>"#).ignoresCase()) {
                let attributes = String(match.output[1].substring ?? "")
                let body = String(match.output[2].substring ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(attributes.contains("src=") && body.isEmpty, "\(name): inline script")
            }
        }
    }

    /// The lint must catch what it is for: each rule fires on a sample.
    @Test func the_lint_finds_what_it_forbids() throws {
        let samples = ["a.innerHTML = x", "b.outerHTML", "c.insertAdjacentHTML('x')", "document.write(1)", "eval (s)",
                       "new Function('x')", "setTimeout('x()', 1)", "href='javascript:x'", "new DOMParser()",
                       "e.setAttribute('onclick', f)", "e.setAttribute(\"style\", s)", "e.style = 'x'"]
        for sample in samples {
            #expect(try Self.forbidden.contains { sample.contains(try Regex($0.0)) }, "\(sample) is not caught")
        }
        #expect("<a onclick=\"x\">".contains(try Regex(#"\son[a-z]+\s*="#).ignoresCase()))
    }
}
