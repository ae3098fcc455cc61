import Fluent
import Prometheus
import SQLKit

extension ScrapeTimeMetrics {
    /// `backup_last_success`: Unix seconds of the newest row in
    /// `backup_runs` (0 when none), so that `SMFBackupTooOld`
    /// (deploy/monitoring/alerts.yml) sees backups taken by the backup
    /// container, which serves no HTTP. A failed read leaves the gauge as it was.
    static func refreshLastBackup(_ registry: PrometheusCollectorRegistry, _ database: any Database, onError: () -> Void) async {
        let gauge = registry.makeGauge(name: BackupRuns.metricName, help: BackupRuns.metricHelp)
        guard let sql = database as? any SQLDatabase else { return }
        do {
            let milliseconds = try await BackupRuns.lastSuccessMilliseconds(on: sql) ?? 0
            gauge.set(Double(milliseconds / 1000))
        } catch {
            onError()
        }
    }
}
