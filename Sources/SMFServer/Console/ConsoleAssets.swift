import Foundation
import Vapor

/// The web console (issue 11): static HTML, CSS and JavaScript modules under
/// `/console/`, shipped as the `console` directory of this target's resource
/// bundle (`smflow_SMFServer.resources/console`, next to the binary) and
/// read once, on the first request. Only files that were in that directory
/// at load time, with a plain name (`ConsoleAssetStore.isPlainName`), can be
/// served: a request names a key of a dictionary, never a path, so `..`,
/// encoded separators and symlinks lead nowhere.
enum ConsoleSecurity {
    /// Where browsers send violation reports (`report-uri`).
    ///
    /// No `report-to`: Chromium ignores `report-uri` when `report-to` is
    /// present, and its Reporting API delivered nothing to a loopback
    /// endpoint within 15 s in the browser test, where `report-uri` alone
    /// arrived at once (measured with Chromium 156, docs/CONSOLE.md). The
    /// endpoint accepts Reporting API bodies too, for when that changes.
    static let reportPath = "/api/v1/csp-reports"
    /// The policy of issue 11, word for word, plus where to report a violation.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
        + "report-uri \(reportPath)"
}

/// One file of the console, as served.
struct ConsoleAsset: Sendable {
    let bytes: [UInt8]
    let contentType: String
}

/// The console's files by name.
struct ConsoleAssetStore: Sendable {
    let assets: [String: ConsoleAsset]
    /// Why nothing could be read (missing bundle), for the log.
    let failure: String?

    static let directoryName = "console"
    static let indexName = "index.html"

    static var bundledURL: URL {
        Bundle.main.bundleURL.appendingPathComponent(OpenAPIDocument.bundleName).appendingPathComponent(directoryName)
    }

    /// Read on first use (a static `let` is initialised once, thread-safely).
    static let bundled = load(from: bundledURL)

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
    ]

    /// `name.ext`: lower-case letters, digits and `-`, one dot, a known extension.
    static func isPlainName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let stem = parts.first, let ext = parts.last,
              (1...64).contains(stem.count), contentTypes[String(ext)] != nil else { return false }
        return stem.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    static func load(from directory: URL) -> ConsoleAssetStore {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else {
            return ConsoleAssetStore(assets: [:], failure: "cannot list \(directory.path); is \(OpenAPIDocument.bundleName) next to the executable?")
        }
        var assets: [String: ConsoleAsset] = [:]
        for name in names where isPlainName(name) {
            let url = directory.appendingPathComponent(name)
            // Regular files only: a symlink in the bundle is not followed.
            guard let attributes = try? manager.attributesOfItem(atPath: url.path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let data = try? Data(contentsOf: url),
                  let ext = name.split(separator: ".").last, let type = contentTypes[String(ext)] else { continue }
            assets[name] = ConsoleAsset(bytes: Array(data), contentType: type)
        }
        return ConsoleAssetStore(assets: assets, failure: assets[indexName] == nil ? "no \(indexName) in \(directory.path)" : nil)
    }
}

/// `GET /console` (and `/console/`): the page; `GET /console/{asset}`: its files.
enum ConsoleController {
    static let notFound = SMFError(.notFound, code: "console-asset-not-found", title: "Not found",
                                   detail: "The console has no such file.")

    @Sendable static func index(_ request: Request) async throws -> Response {
        try serve(ConsoleAssetStore.indexName, from: ConsoleAssetStore.bundled, to: request)
    }

    @Sendable static func asset(_ request: Request) async throws -> Response {
        try serve(request.parameters.get("asset") ?? "", from: ConsoleAssetStore.bundled, to: request)
    }

    static func serve(_ name: String, from store: ConsoleAssetStore, to request: Request) throws -> Response {
        if let failure = store.failure {
            request.logger.error("console assets unavailable", metadata: ["reason": .string(failure)])
        }
        guard ConsoleAssetStore.isPlainName(name), let asset = store.assets[name] else { throw notFound }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: asset.contentType)
        // Kept by SecurityHeaders (the only policy a response may bring itself);
        // every other header of the set is the API's. Cache-Control stays
        // `no-store` (see docs/CONSOLE.md): index.html names the SRI hashes of
        // the files, and no copy of either may outlive an upgrade.
        headers.replaceOrAdd(name: "Content-Security-Policy", value: ConsoleSecurity.contentSecurityPolicy)
        return Response(status: .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: asset.bytes)))
    }
}
