/// `db.backups` on the product's database: the newest successful
/// `smflow backup` recorded in `backup_runs` (migration 007,
/// Sources/SMFServer/Migrations/007/CreateBackupRun.swift) must be younger
/// than 26 hours — the daily schedule plus two hours, the same bound as
/// `smflow backup --check` and the `SMFBackupTooOld` alert. Ages are taken
/// from the database's own clock, so the auditing machine's clock does not matter.
enum DatabaseBackupRules {
    static let keys: Set<String> = ["db.backups"]
    static let maximumAgeHours = 26

    static let tableSQL = "SELECT to_regclass('backup_runs') IS NOT NULL"
    static let lastSQL = """
        SELECT COALESCE(max(finished_ms), 0), count(*), (extract(epoch FROM now()) * 1000)::bigint
        FROM backup_runs WHERE status = 'success'
        """

    struct State: Sendable, Equatable {
        var tablePresent: Bool
        var lastMilliseconds: Int64 = 0
        var count = 0
        var nowMilliseconds: Int64 = 0
    }

    static func findings(_ state: State, connection: String) -> [Finding] {
        let key = "db.backups"
        let schedule = "Run `smflow backup --to DIR --every 24h --keep-daily 7 --keep-weekly 4` (the compose `backup` service) and `smflow backup verify` on a copy now and then; see docs/OPERATIONS.md \"Backups and restore\"."
        guard state.tablePresent else {
            return [.fail(key, .high, Evidence(detail: "\(connection): no backup_runs table (migration 007 not applied): no smflow backup can have been recorded"),
                          fix: "Run `smflow migrate`, then schedule backups. " + schedule)]
        }
        guard state.count > 0, state.lastMilliseconds > 0 else {
            return [.fail(key, .high, Evidence(detail: "\(connection): no successful backup recorded in backup_runs"), fix: schedule)]
        }
        let ageHours = Double(state.nowMilliseconds - state.lastMilliseconds) / 3_600_000
        let age = ageHours < 1 ? "\(Int(ageHours * 60)) min" : String(format: "%.1f h", ageHours)
        if ageHours > Double(maximumAgeHours) {
            return [.fail(key, .high, Evidence(detail: "\(connection): the last successful backup finished \(age) ago (more than \(maximumAgeHours) h; \(state.count) recorded)"),
                          fix: "Find out why the backup job stopped (`docker compose logs backup`), run `smflow backup` now. " + schedule)]
        }
        return [.pass(key, Evidence(detail: "\(connection): the last successful backup finished \(age) ago (limit \(maximumAgeHours) h; \(state.count) recorded in backup_runs)"))]
    }
}
