import Foundation

/// Renders deploy/nginx/templates/*.template the way the nginx image's
/// entrypoint does (envsubst of the given `${NAME}`s only), and fails if a
/// placeholder is left over — a new template variable must be set by the
/// compose file and by these tests alike.
enum NginxTemplate {
    static func render(_ template: String, values: [String: String]) throws -> String {
        var rendered = template
        for (name, value) in values {
            let placeholder = "${\(name)}"
            guard rendered.contains(placeholder) else { throw UnusedValue(name: name) }
            rendered = rendered.replacingOccurrences(of: placeholder, with: value)
        }
        if let range = rendered.range(of: #"\$\{[A-Za-z_][A-Za-z0-9_]*\}"#, options: .regularExpression) {
            throw UnsetPlaceholder(placeholder: String(rendered[range]))
        }
        return rendered
    }

    struct UnusedValue: Error, CustomStringConvertible {
        let name: String
        var description: String { "the template has no ${\(name)}" }
    }

    struct UnsetPlaceholder: Error, CustomStringConvertible {
        let placeholder: String
        var description: String { "the template uses \(placeholder), which the tests do not set" }
    }
}
