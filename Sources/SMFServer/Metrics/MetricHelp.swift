/// Help texts of metrics registered from more than one place. A
/// swift-prometheus registry stops the process when one name is registered
/// with two different help texts, so every registration of these names
/// reads its text from here.
enum MetricHelp {
    static let securityEvents = "Security events written, by type and outcome."
    static let rateLimitRejections = "Requests refused by the rate limiter, by policy."
}
