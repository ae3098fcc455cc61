import Fluent

/// Every migration, in the order it runs. New migrations are appended here
/// (in `Migrations/NNN/`), never edited once shipped.
///
/// The list is empty at this stage of the product: Fluent still creates its
/// bookkeeping table, which readiness uses to tell a migrated database from
/// a fresh one.
enum AppMigrations {
    static let all: [any Migration] = []

    static var names: [String] { all.map(\.name) }
}
