/// A container image reference (`name[:tag][@digest]`), for pinning and
/// base-image rules shared by the Dockerfile, compose and repo checks.
struct ImageReference: Equatable {
    let name: String
    let tag: String?
    let digest: String?

    init(_ text: String) {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        } else {
            digest = nil
        }
        // A colon after the last slash is a tag; before it, a registry port.
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[lastSlash...].lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            name = String(rest[..<colon])
        } else {
            tag = nil
            name = String(rest)
        }
    }

    /// The last path component of the name, lower-cased (`library/ubuntu` → `ubuntu`).
    var shortName: String { String(name.split(separator: "/").last ?? "").lowercased() }

    var usesVariable: Bool { name.contains("$") || (tag?.contains("$") ?? false) }

    enum Pinning: Equatable { case digest, tag, latest, none, variable }

    var pinning: Pinning {
        if digest != nil { return .digest }
        if usesVariable { return .variable }
        guard let tag else { return .none }
        return tag.lowercased() == "latest" ? .latest : .tag
    }

    /// Distroless, scratch, alpine, slim, chiseled, minimal, busybox, UBI micro.
    var isMinimal: Bool {
        let text = (name + ":" + (tag ?? "")).lowercased()
        return shortName == "scratch" || ["distroless", "alpine", "slim", "chiseled", "minimal", "busybox", "micro", "wolfi", "chainguard"].contains { text.contains($0) }
    }

    /// Images that carry a compiler or SDK: fine to build in, wrong to ship.
    var isToolchain: Bool {
        let sdks: Set<String> = ["swift", "golang", "rust", "gcc", "maven", "gradle", "openjdk", "buildpack-deps", "node", "python", "ruby", "php", "dotnet/sdk", "sdk"]
        return sdks.contains(shortName) && !isMinimal
    }
}
