#pragma once
// migrator: applies and reverts the migrations of one folder on one database, and keeps the
// record of what was applied (version, name, checksum, time) in a bookkeeping table.
//
// Only one migrator works on a database at a time: each command holds a session advisory lock,
// so a second migrator waits (polling, see lock_poll) and then finds nothing left to do. Each migration runs in its own
// transaction together with its record, unless the file says -- migrate:no-transaction. An
// applied migration whose file was edited or deleted stops up/down with a migration_error;
// it is never silently skipped (status() reports it as modified or missing).

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/migrate/error.hpp>
#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/migrate/sql_split.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pgorm::migrate {

struct migrator_options {
    std::string directory = "migrations";
    /// The bookkeeping table (exempt from the schema conventions and left out of the dump).
    std::string table = "pgorm_migrations";
    /// Key of the session advisory lock that serialises migrators.
    std::int64_t lock_key = 0x70676f726d4d6967;  // "pgormMig"
    /// How often a waiting migrator tries the lock again. It polls with pg_try_advisory_lock
    /// instead of blocking in pg_advisory_lock: a blocked statement is an open transaction, and
    /// the running migrator's CREATE INDEX CONCURRENTLY would wait for it (a deadlock).
    std::chrono::milliseconds lock_poll{100};
    /// Called once when the lock is busy and this migrator starts waiting (for logs and tests).
    std::function<void()> on_wait{};
};

enum class migration_state { applied, pending, modified, missing };

[[nodiscard]] PGORM_DECL const char* to_string(migration_state s) noexcept;

struct migration_status {
    std::string version, name;
    migration_state state = migration_state::pending;
    std::string applied_at;  // empty when not applied
    std::string recorded_checksum, file_checksum;
};

/// One row of the bookkeeping table.
struct applied_migration {
    std::string version, name, checksum, applied_at;
};

/// Runs the migrations of one folder on one connection, under an advisory lock.
///
/// Errors of the calls that run SQL (history, status, current, up, down, down_to, stamp,
/// check_drift): usage_error when the connection is inside a transaction; migration_error when
/// the history and the folder disagree (migrate/error.hpp); migration_failed naming the file and
/// statement when a migration's SQL fails (the migration is rolled back); connection_lost; other
/// sql_error subclasses from the bookkeeping statements.
class PGORM_ABI_TAG migrator {
public:
    /// Throws usage_error when options().table is over PostgreSQL's 63-byte identifier limit.
    explicit migrator(connection& c, migrator_options opts = {});

    [[nodiscard]] const std::vector<migration>& migrations() const noexcept { return files_; }
    const migrator_options& options() const noexcept { return opts_; }

    /// The applied migrations in the order they were applied. Throws as the class comment says.
    [[nodiscard]] std::vector<applied_migration> history();

    /// Every migration file and every applied record, in version order. Throws as the class
    /// comment says.
    [[nodiscard]] std::vector<migration_status> status();

    /// The highest applied version, or nothing on a database that has none. Throws as the class
    /// comment says.
    [[nodiscard]] std::optional<std::string> current();

    /// Applies the pending migrations up to and including `target` (all when empty or "head").
    /// Returns the versions applied, in order. Throws as the class comment says; migration_error
    /// also when `target` names no file.
    std::vector<std::string> up(const std::string& target = {});

    /// Reverts the last `steps` applied migrations (highest versions first). Returns their versions.
    /// Throws as the class comment says.
    std::vector<std::string> down(std::size_t steps = 1);

    /// Reverts every applied migration above `target` ("base" or "0": all of them). Throws as the
    /// class comment says; migration_error also when `target` names no file.
    std::vector<std::string> down_to(const std::string& target);

    /// Records the database as being exactly at `target` without running any SQL: records above it
    /// are deleted, files up to it are recorded with their current checksum ("base": no record).
    /// Also the way to accept a deliberate edit of an applied migration. Throws as the class
    /// comment says; migration_error also when `target` names no file.
    void stamp(const std::string& target);

    /// Throws migration_error listing every applied migration whose file was edited or deleted.
    void check_drift();

private:
    // Defined in impl/migrator.ipp, beside the bodies that use them.
    struct version_order;
    class lock_guard;

    static bool is_base(const std::string& t);
    std::string table() const;
    bool table_exists();
    void ensure_table();
    const migration& find(const std::string& target) const;
    std::vector<const migration*> applied_descending();
    std::vector<std::string> revert(const std::vector<const migration*>& ms);
    void record(const migration& m, std::int64_t ms = 0);
    void rollback() noexcept;

    // Runs one part of one migration with its bookkeeping, in one transaction when allowed.
    void run(const migration& m, bool is_up);
    static std::string failure_message(const migration& m, const char* part, const std::vector<sql_statement>& sts,
                                       int number, const std::string& why);

    connection* conn_;
    migrator_options opts_;
    std::vector<migration> files_;
};

}  // namespace pgorm::migrate

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/migrate/impl/migrator.ipp>
#endif
