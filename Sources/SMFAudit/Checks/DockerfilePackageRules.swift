/// Package hygiene of the shipped stage: no recommended extras, no package
/// lists left behind, no `apt-get update` cached on its own, no tools an
/// attacker would enjoy, COPY rather than ADD.
enum DockerfilePackageRules {
    static let key = "container.no-unnecessary-packages"
    /// Packages a runtime image rarely needs and an intruder uses at once.
    static let toolPackages: Set<String> = ["curl", "wget", "vim", "nano", "build-essential", "gcc", "g++", "make", "git", "ssh", "openssh-client", "openssh-server", "sudo", "netcat", "netcat-openbsd", "telnet", "net-tools", "strace", "gdb"]

    static func findings(_ file: Dockerfile, _ final: Dockerfile.Stage) -> [Finding] {
        var findings: [Finding] = []
        func warn(_ instruction: Dockerfile.Instruction, _ detail: String, _ fix: String, _ severity: AuditSeverity = .low) {
            findings.append(.warn(key, severity, Evidence(file: file.path, line: instruction.line, detail: detail), fix: fix))
        }
        for instruction in final.instructions {
            let text = instruction.arguments
            switch instruction.keyword {
            case "RUN":
                let installs = text.contains("apt-get install") || text.contains("apt install")
                if text.contains("apt-get update") && !installs {
                    warn(instruction, "apt-get update in a RUN without an install: the cached lists go stale", "Run `apt-get update && apt-get install …` in the same RUN.")
                }
                if installs {
                    if !text.contains("--no-install-recommends") {
                        warn(instruction, "apt-get install without --no-install-recommends", "Add --no-install-recommends.")
                    }
                    if !text.contains("/var/lib/apt/lists") {
                        warn(instruction, "apt package lists are not removed in the same RUN", "End the RUN with `rm -rf /var/lib/apt/lists/*`.")
                    }
                }
                if text.contains("apk add") && !text.contains("--no-cache") {
                    warn(instruction, "apk add without --no-cache", "Use `apk add --no-cache`.")
                }
                if installs || text.contains("apk add") {
                    let words = Set(text.split(whereSeparator: { $0 == " " || $0 == "\\" }).map(String.init))
                    let tools = toolPackages.intersection(words).sorted()
                    if !tools.isEmpty {
                        warn(instruction, "the runtime image installs \(tools.joined(separator: ", "))", "Leave tools out of the shipped stage (for health checks use the app's own command).", .medium)
                    }
                }
            case "ADD":
                if text.contains("http://") || text.contains("https://") {
                    warn(instruction, "ADD fetches a remote URL without verifying it", "Download with a checksum check in a build stage, or use ADD --checksum.", .medium)
                } else if !(text.contains(".tar") || text.contains(".tgz")) {
                    warn(instruction, "ADD used for a plain copy (it also unpacks archives and fetches URLs)", "Use COPY.")
                }
            default:
                break
            }
        }
        if findings.isEmpty {
            findings.append(.pass(key, Evidence(file: file.path, line: final.from.line, detail: "final stage: no package or ADD hygiene problem")))
        }
        return findings
    }
}
