import Foundation
import Synchronization
import Vapor
import Yams

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route,
/// as JSON (DESIGN "API"; issue 7).
///
/// The source of truth is `openapi/smflow.yaml`, shipped as a resource of
/// this target (`smflow_SMFServer.resources`, next to the binary). It is
/// converted to JSON once, on the first request, off the event loop, and the
/// bytes are kept; a missing or broken document is logged on every request
/// and answered with a 500 (an installation fault: deployments copy the
/// bundle, see deploy/Dockerfile).
enum OpenAPIController {
    static let cache = OpenAPIDocumentCache(load: OpenAPIDocument.loadBundled)

    @Sendable static func document(_ request: Request) async throws -> Response {
        switch await cache.json() {
        case .success(let body):
            var headers = HTTPHeaders()
            headers.contentType = .json
            return Response(status: .ok, headers: headers, body: .init(buffer: body))
        case .failure(let failure):
            request.logger.error("OpenAPI document unavailable", metadata: ["reason": .string(failure.description)])
            throw SMFError.internalError
        }
    }
}

/// Loads the document once, whoever asks first; everyone else awaits the
/// same load. The parse runs in a detached task, so no event loop thread
/// spends the (one-off) YAML parse.
final class OpenAPIDocumentCache: Sendable {
    typealias Outcome = Result<ByteBuffer, OpenAPIDocument.Failure>

    private let load: @Sendable () -> Outcome
    private let loading = Mutex<Task<Outcome, Never>?>(nil)

    init(load: @escaping @Sendable () -> Outcome) {
        self.load = load
    }

    func json() async -> Outcome {
        let task = loading.withLock { current in
            if let current { return current }
            let started = Task.detached(priority: .utility) { [load] in load() }
            current = started
            return started
        }
        return await task.value
    }
}

/// Reading `openapi/smflow.yaml` and writing it as JSON.
enum OpenAPIDocument {
    static let bundleName = "smflow_SMFServer.resources"
    static let resourceName = "smflow.yaml"

    struct Failure: Error, Sendable, CustomStringConvertible {
        let description: String
    }

    /// Where the bundled document is: in the resource bundle next to the
    /// executable, where `swift build` and the image put it. Looked up by
    /// hand rather than through `Bundle.module`, which stops the process
    /// with `fatalError` when the bundle is missing — a request must not be
    /// able to do that.
    static var bundledURL: URL {
        Bundle.main.bundleURL.appendingPathComponent(bundleName).appendingPathComponent(resourceName)
    }

    @Sendable static func loadBundled() -> Result<ByteBuffer, Failure> {
        let url = bundledURL
        guard let yaml = try? String(contentsOf: url, encoding: .utf8) else {
            return .failure(Failure(description: "cannot read \(url.path); is \(bundleName) next to the executable?"))
        }
        do {
            return .success(ByteBuffer(bytes: try json(fromYAML: yaml)))
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(description: "the YAML does not parse: \(error)"))
        }
    }

    /// The YAML document as compact JSON, members in the document's order.
    /// Scalars keep the type YAML resolves for them (`3` is a number,
    /// `'3'` a string); timestamps and other YAML-only types are written as
    /// the text they were given as. Aliases are expanded (Yams does that
    /// while composing); duplicate keys and non-finite numbers are refused.
    static func json(fromYAML yaml: String) throws -> [UInt8] {
        guard let root = try Yams.compose(yaml: yaml) else { throw Failure(description: "the YAML is empty") }
        var output: [UInt8] = []
        output.reserveCapacity(yaml.utf8.count)
        try write(root, to: &output, at: "")
        return output
    }

    private static func write(_ node: Node, to output: inout [UInt8], at path: String) throws {
        switch node {
        case .scalar(let scalar):
            try writeScalar(node, text: scalar.string, to: &output, at: path)
        case .sequence(let sequence):
            output.append(UInt8(ascii: "["))
            for (index, element) in sequence.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element, to: &output, at: "\(path)/\(index)")
            }
            output.append(UInt8(ascii: "]"))
        case .mapping(let mapping):
            output.append(UInt8(ascii: "{"))
            // Yams refuses duplicate keys while parsing.
            for (index, pair) in mapping.enumerated() {
                guard case .scalar(let key) = pair.key else {
                    throw Failure(description: "a key at \(path) is not a scalar")
                }
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(key.string, to: &output)
                output.append(UInt8(ascii: ":"))
                try write(pair.value, to: &output, at: "\(path)/\(key.string)")
            }
            output.append(UInt8(ascii: "}"))
        case .alias:
            // Yams resolves aliases while composing; an unresolved one is not JSON.
            throw Failure(description: "an unresolved alias at \(path)")
        }
    }

    private static func writeScalar(_ node: Node, text: String, to output: inout [UInt8], at path: String) throws {
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null:
            output.append(contentsOf: Array("null".utf8))
        case .bool:
            guard let value = node.bool else { throw Failure(description: "\(path): \(text) is not a boolean") }
            output.append(contentsOf: Array((value ? "true" : "false").utf8))
        case .int:
            guard let value = node.int else { throw Failure(description: "\(path): \(text) is not an integer") }
            output.append(contentsOf: Array(String(value).utf8))
        case .float:
            guard let value = node.float, value.isFinite else {
                throw Failure(description: "\(path): \(text) is not a finite number")
            }
            output.append(contentsOf: Array(String(value).utf8))
        default:
            writeString(text, to: &output)
        }
    }

    /// A JSON string (RFC 8259): quotes, backslashes and control characters
    /// escaped, everything else as UTF-8.
    private static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = String(byte, radix: 16)
                output.append(contentsOf: Array(("\\u00" + (hex.count == 1 ? "0" : "") + hex).utf8))
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
