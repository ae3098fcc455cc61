/// Human titles of the checklist's sections, in the seed's words.
enum ChecklistSections {
    static let titles: [String: String] = [
        "environment_and_secrets": "Environment & Secrets",
        "database_security": "Database Security",
        "application_security": "Application Security",
        "container_security": "Container Security",
        "network_security": "Network Security",
        "security_monitoring": "Security Monitoring",
        "health_monitoring": "Health Monitoring",
        "regular_tasks": "Regular Security Tasks",
        "common_mistakes": "Common Security Mistakes",
    ]

    static func title(_ section: String) -> String { titles[section] ?? section }

    /// Results grouped by section, sections in checklist order.
    static func grouped(_ results: [CheckResult]) -> [(section: String, results: [CheckResult])] {
        var groups: [(String, [CheckResult])] = []
        for result in results {
            if let last = groups.indices.last, groups[last].0 == result.section {
                groups[last].1.append(result)
            } else {
                groups.append((result.section, [result]))
            }
        }
        return groups
    }
}
