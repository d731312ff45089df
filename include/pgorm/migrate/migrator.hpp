#pragma once
// migrator: applies and reverts the migrations of one folder on one database, and keeps the
// record of what was applied (version, name, checksum, time) in a bookkeeping table.
//
// Only one migrator works on a database at a time: each command holds a session advisory lock,
// so a second migrator waits (polling, see lock_poll) and then finds nothing left to do. Each migration runs in its own
// transaction together with its record, unless the file says -- migrate:no-transaction. An
// applied migration whose file was edited or deleted stops up/down with a migration_error;
// it is never silently skipped (status() reports it as modified or missing).

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/reflect/identifier.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/migrate/error.hpp>
#include <pgorm/migrate/migration_file.hpp>
#include <pgorm/migrate/sql_split.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
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

[[nodiscard]] inline const char* to_string(migration_state s) noexcept {
    switch (s) {
        case migration_state::applied: return "applied";
        case migration_state::pending: return "pending";
        case migration_state::modified: return "MODIFIED";
        case migration_state::missing: return "MISSING";
    }
    return "?";
}

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
class migrator {
public:
    /// Throws usage_error when options().table is over PostgreSQL's 63-byte identifier limit.
    explicit migrator(connection& c, migrator_options opts = {})
        : conn_(&c), opts_(std::move(opts)), files_(load_migrations(opts_.directory)) {
        require_identifier_limit(opts_.table, "migrations table name");
    }

    [[nodiscard]] const std::vector<migration>& migrations() const noexcept { return files_; }
    const migrator_options& options() const noexcept { return opts_; }

    /// The applied migrations in the order they were applied. Throws as the class comment says.
    [[nodiscard]] std::vector<applied_migration> history() {
        if (!table_exists()) return {};
        auto rows = conn_->query<std::tuple<std::string, std::string, std::string, std::string>>(
            "SELECT version, name, checksum, applied_at::text FROM " + table() + " ORDER BY applied_at, version");
        std::vector<applied_migration> out;
        out.reserve(rows.size());
        for (auto& [v, n, c, a] : rows) out.push_back({v, n, c, a});
        return out;
    }

    /// Every migration file and every applied record, in version order. Throws as the class
    /// comment says.
    [[nodiscard]] std::vector<migration_status> status() {
        std::map<std::string, applied_migration, version_order> applied;
        for (auto& a : history()) applied.emplace(a.version, a);
        std::map<std::string, migration_status, version_order> all;
        for (const auto& m : files_) {
            migration_status s{m.version, m.name, migration_state::pending, {}, {}, m.checksum};
            if (auto it = applied.find(m.version); it != applied.end()) {
                s.applied_at = it->second.applied_at;
                s.recorded_checksum = it->second.checksum;
                s.state = it->second.checksum == m.checksum ? migration_state::applied : migration_state::modified;
            }
            all.emplace(m.version, s);
        }
        for (auto& [v, a] : applied)
            if (!all.count(v))
                all.emplace(v, migration_status{v, a.name, migration_state::missing, a.applied_at, a.checksum, {}});
        std::vector<migration_status> out;
        out.reserve(all.size());
        for (auto& [v, s] : all) out.push_back(s);
        return out;
    }

    /// The highest applied version, or nothing on a database that has none. Throws as the class
    /// comment says.
    [[nodiscard]] std::optional<std::string> current() {
        std::optional<std::string> top;
        for (auto& a : history())
            if (!top || version_less(*top, a.version)) top = a.version;
        return top;
    }

    /// Applies the pending migrations up to and including `target` (all when empty or "head").
    /// Returns the versions applied, in order. Throws as the class comment says; migration_error
    /// also when `target` names no file.
    std::vector<std::string> up(const std::string& target = {}) {
        lock_guard lock(*this);
        ensure_table();
        check_drift();
        std::optional<std::string> last;
        if (!target.empty() && target != "head") last = find(target).version;
        std::vector<std::string> done;
        auto states = status();
        for (const auto& m : files_) {
            if (last && version_less(*last, m.version)) break;
            bool pending = true;
            for (const auto& s : states)
                if (s.version == m.version && s.state != migration_state::pending) pending = false;
            if (!pending) continue;
            run(m, true);
            done.push_back(m.version);
        }
        return done;
    }

    /// Reverts the last `steps` applied migrations (highest versions first). Returns their versions.
    /// Throws as the class comment says.
    std::vector<std::string> down(std::size_t steps = 1) {
        lock_guard lock(*this);
        ensure_table();
        check_drift();
        auto applied = applied_descending();
        if (applied.size() > steps) applied.resize(steps);
        return revert(applied);
    }

    /// Reverts every applied migration above `target` ("base" or "0": all of them). Throws as the
    /// class comment says; migration_error also when `target` names no file.
    std::vector<std::string> down_to(const std::string& target) {
        lock_guard lock(*this);
        ensure_table();
        check_drift();
        std::string floor = is_base(target) ? std::string("0") : find(target).version;
        auto applied = applied_descending();
        std::vector<const migration*> above;
        for (const auto* m : applied)
            if (version_less(floor, m->version)) above.push_back(m);
        return revert(above);
    }

    /// Records the database as being exactly at `target` without running any SQL: records above it
    /// are deleted, files up to it are recorded with their current checksum ("base": no record).
    /// Also the way to accept a deliberate edit of an applied migration. Throws as the class
    /// comment says; migration_error also when `target` names no file.
    void stamp(const std::string& target) {
        lock_guard lock(*this);
        ensure_table();
        std::string top = is_base(target) ? std::string("0") : find(target).version;
        conn_->execute_script("BEGIN");
        try {
            for (auto& a : history())
                if (version_less(top, a.version))
                    conn_->execute("DELETE FROM " + table() + " WHERE version = $1", a.version);
            for (const auto& m : files_)
                if (!version_less(top, m.version)) record(m);
            conn_->execute_script("COMMIT");
        } catch (...) {
            rollback();
            throw;
        }
    }

    /// Throws migration_error listing every applied migration whose file was edited or deleted.
    void check_drift() {
        std::string problems;
        for (const auto& s : status()) {
            if (s.state == migration_state::modified)
                problems += "\n  applied migration " + s.version + "_" + s.name +
                            ".sql was edited after it was applied (recorded checksum " + s.recorded_checksum +
                            ", file now " + s.file_checksum + ")";
            else if (s.state == migration_state::missing)
                problems +=
                    "\n  applied migration " + s.version + "_" + s.name + ".sql has no file in " + opts_.directory;
        }
        if (!problems.empty())
            throw migration_error("pgorm: the migration history does not match " + opts_.directory + ":" + problems +
                                  "\n  restore the files, or run `stamp` to accept them as they are now");
    }

private:
    struct version_order {
        bool operator()(const std::string& a, const std::string& b) const { return version_less(a, b); }
    };

    // Holds the migrators' advisory lock for one command; a second migrator waits here.
    class lock_guard {
    public:
        explicit lock_guard(migrator& m) : m_(m) {
            // a closed or broken connection says so, not "inside a transaction"
            (void)pgorm::detail::connection_access::handle(*m_.conn_);
            if (m_.conn_->transaction_status() != PQTRANS_IDLE)
                throw usage_error("pgorm: run migrations on a connection that is not inside a transaction");
            bool waiting = false;
            while (!m_.conn_->query_value<bool>("SELECT pg_try_advisory_lock($1)", m_.opts_.lock_key)) {
                if (!waiting && m_.opts_.on_wait) m_.opts_.on_wait();
                waiting = true;
                std::this_thread::sleep_for(m_.opts_.lock_poll);
            }
        }
        ~lock_guard() {
            try {
                m_.conn_->execute("SELECT pg_advisory_unlock($1)", m_.opts_.lock_key);
            } catch (...) {  // a lost connection releases the lock by itself
            }
        }
        lock_guard(const lock_guard&) = delete;
        lock_guard& operator=(const lock_guard&) = delete;

    private:
        migrator& m_;
    };

    static bool is_base(const std::string& t) { return t == "base" || same_version(t, "0"); }

    std::string table() const { return conn_->quote_identifier(opts_.table); }

    bool table_exists() { return conn_->query_value<bool>("SELECT to_regclass($1) IS NOT NULL", table()); }

    void ensure_table() {
        conn_->execute_script("CREATE TABLE IF NOT EXISTS " + table() +
                              " (version TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                              " applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),"
                              " execution_ms BIGINT NOT NULL DEFAULT 0)");
    }

    const migration& find(const std::string& target) const {
        for (const auto& m : files_)
            if (same_version(m.version, target) || m.version + "_" + m.name == target) return m;
        throw migration_error("pgorm: no migration with version '" + target + "' in " + opts_.directory);
    }

    std::vector<const migration*> applied_descending() {
        std::vector<const migration*> out;
        auto states = status();
        for (auto it = files_.rbegin(); it != files_.rend(); ++it)
            for (const auto& s : states)
                if (s.version == it->version && s.state == migration_state::applied) out.push_back(&*it);
        return out;
    }

    std::vector<std::string> revert(const std::vector<const migration*>& ms) {
        for (const auto* m : ms)
            if (!m->has_down())
                throw migration_error("pgorm: migration " + m->path + " has no -- migrate:down part; cannot revert it");
        std::vector<std::string> done;
        for (const auto* m : ms) {
            run(*m, false);
            done.push_back(m->version);
        }
        return done;
    }

    void record(const migration& m, std::int64_t ms = 0) {
        conn_->execute("INSERT INTO " + table() +
                           " (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)"
                           " ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum",
                       m.version, m.name, m.checksum, ms);
    }

    void rollback() noexcept {
        try {
            if (conn_->transaction_status() != PQTRANS_IDLE) conn_->execute_script("ROLLBACK");
        } catch (...) {
        }
    }

    // Runs one part of one migration with its bookkeeping, in one transaction when allowed.
    void run(const migration& m, bool is_up) {
        const char* part = is_up ? "up" : "down";
        auto statements = split_sql(is_up ? m.up : m.down, is_up ? m.up_line : m.down_line, m.path);
        auto started = std::chrono::steady_clock::now();
        if (m.transactional) conn_->execute_script("BEGIN");
        int number = 0;
        try {
            for (const auto& st : statements) {
                ++number;
                conn_->execute_script(st.text);
            }
            number = static_cast<int>(statements.size()) + 1;  // from here on, failures are bookkeeping
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
            if (is_up) record(m, ms.count());
            else conn_->execute("DELETE FROM " + table() + " WHERE version = $1", m.version);
            if (m.transactional) conn_->execute_script("COMMIT");
        } catch (const sql_error& e) {
            rollback();
            if (number == 0 || number > static_cast<int>(statements.size())) throw;  // bookkeeping, not the file
            const auto& st = statements[static_cast<std::size_t>(number - 1)];
            std::string hint =
                e.sqlstate() == "25001"
                    ? "; this statement cannot run in a transaction: add -- migrate:no-transaction to the file"
                    : "";
            throw migration_failed(failure_message(m, part, statements, number, e.what() + hint), m.path, st.line,
                                   number, e.sqlstate());
        } catch (const connection_lost& e) {
            // Still a lost connection (the caller reconnects), but one that says where it happened.
            if (number == 0 || number > static_cast<int>(statements.size())) throw;
            throw connection_lost(failure_message(m, part, statements, number, e.what()));
        } catch (...) {
            rollback();
            throw;
        }
    }

    static std::string failure_message(const migration& m, const char* part, const std::vector<sql_statement>& sts,
                                       int number, const std::string& why) {
        const auto& st = sts[static_cast<std::size_t>(number - 1)];
        return "pgorm: migration " + m.path + ":" + std::to_string(st.line) + " failed (" + part + " part, statement " +
               std::to_string(number) + " of " + std::to_string(sts.size()) + ": " + st.first_line() + "): " + why +
               (m.transactional ? "; the migration was rolled back"
                                : "; the migration ran without a transaction, so the statements before it stay");
    }

    connection* conn_;
    migrator_options opts_;
    std::vector<migration> files_;
};

}  // namespace pgorm::migrate
