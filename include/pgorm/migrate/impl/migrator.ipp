#pragma once
// Bodies of migrate/migrator.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/migrate/migrator.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/reflect/identifier.hpp>
#include <pgorm/types/scalar.hpp>
#include <pgorm/types/string.hpp>

#include <map>
#include <thread>
#include <tuple>

namespace pgorm::migrate {

PGORM_DECL const char* to_string(migration_state s) noexcept {
    switch (s) {
        case migration_state::applied: return "applied";
        case migration_state::pending: return "pending";
        case migration_state::modified: return "MODIFIED";
        case migration_state::missing: return "MISSING";
    }
    return "?";
}

struct migrator::version_order {
    bool operator()(const std::string& a, const std::string& b) const { return version_less(a, b); }
};

// Holds the migrators' advisory lock for one command; a second migrator waits here.
class migrator::lock_guard {
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

PGORM_DECL migrator::migrator(connection& c, migrator_options opts)
    : conn_(&c), opts_(std::move(opts)), files_(load_migrations(opts_.directory)) {
    require_identifier_limit(opts_.table, "migrations table name");
}

PGORM_DECL std::vector<applied_migration> migrator::history() {
    if (!table_exists()) return {};
    auto rows = conn_->query<std::tuple<std::string, std::string, std::string, std::string>>(
        "SELECT version, name, checksum, applied_at::text FROM " + table() + " ORDER BY applied_at, version");
    std::vector<applied_migration> out;
    out.reserve(rows.size());
    for (auto& [v, n, c, a] : rows) out.push_back({v, n, c, a});
    return out;
}

PGORM_DECL std::vector<migration_status> migrator::status() {
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

PGORM_DECL std::optional<std::string> migrator::current() {
    std::optional<std::string> top;
    for (auto& a : history())
        if (!top || version_less(*top, a.version)) top = a.version;
    return top;
}

PGORM_DECL std::vector<std::string> migrator::up(const std::string& target) {
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

PGORM_DECL std::vector<std::string> migrator::down(std::size_t steps) {
    lock_guard lock(*this);
    ensure_table();
    check_drift();
    auto applied = applied_descending();
    if (applied.size() > steps) applied.resize(steps);
    return revert(applied);
}

PGORM_DECL std::vector<std::string> migrator::down_to(const std::string& target) {
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

PGORM_DECL void migrator::stamp(const std::string& target) {
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

PGORM_DECL void migrator::check_drift() {
    std::string problems;
    for (const auto& s : status()) {
        if (s.state == migration_state::modified)
            problems += "\n  applied migration " + s.version + "_" + s.name +
                        ".sql was edited after it was applied (recorded checksum " + s.recorded_checksum +
                        ", file now " + s.file_checksum + ")";
        else if (s.state == migration_state::missing)
            problems += "\n  applied migration " + s.version + "_" + s.name + ".sql has no file in " + opts_.directory;
    }
    if (!problems.empty())
        throw migration_error("pgorm: the migration history does not match " + opts_.directory + ":" + problems +
                              "\n  restore the files, or run `stamp` to accept them as they are now");
}

PGORM_DECL bool migrator::is_base(const std::string& t) { return t == "base" || same_version(t, "0"); }

PGORM_DECL std::string migrator::table() const { return conn_->quote_identifier(opts_.table); }

PGORM_DECL bool migrator::table_exists() {
    return conn_->query_value<bool>("SELECT to_regclass($1) IS NOT NULL", table());
}

PGORM_DECL void migrator::ensure_table() {
    conn_->execute_script("CREATE TABLE IF NOT EXISTS " + table() +
                          " (version TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL,"
                          " applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),"
                          " execution_ms BIGINT NOT NULL DEFAULT 0)");
}

PGORM_DECL const migration& migrator::find(const std::string& target) const {
    for (const auto& m : files_)
        if (same_version(m.version, target) || m.version + "_" + m.name == target) return m;
    throw migration_error("pgorm: no migration with version '" + target + "' in " + opts_.directory);
}

PGORM_DECL std::vector<const migration*> migrator::applied_descending() {
    std::vector<const migration*> out;
    auto states = status();
    for (auto it = files_.rbegin(); it != files_.rend(); ++it)
        for (const auto& s : states)
            if (s.version == it->version && s.state == migration_state::applied) out.push_back(&*it);
    return out;
}

PGORM_DECL std::vector<std::string> migrator::revert(const std::vector<const migration*>& ms) {
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

PGORM_DECL void migrator::record(const migration& m, std::int64_t ms) {
    conn_->execute("INSERT INTO " + table() +
                       " (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)"
                       " ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum",
                   m.version, m.name, m.checksum, ms);
}

PGORM_DECL void migrator::rollback() noexcept {
    try {
        if (conn_->transaction_status() != PQTRANS_IDLE) conn_->execute_script("ROLLBACK");
    } catch (...) {
    }
}

PGORM_DECL void migrator::run(const migration& m, bool is_up) {
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
        throw migration_failed(failure_message(m, part, statements, number, e.what() + hint), m.path, st.line, number,
                               e.sqlstate());
    } catch (const connection_lost& e) {
        // Still a lost connection (the caller reconnects), but one that says where it happened.
        if (number == 0 || number > static_cast<int>(statements.size())) throw;
        throw connection_lost(failure_message(m, part, statements, number, e.what()));
    } catch (...) {
        rollback();
        throw;
    }
}

PGORM_DECL std::string migrator::failure_message(const migration& m, const char* part,
                                                 const std::vector<sql_statement>& sts, int number,
                                                 const std::string& why) {
    const auto& st = sts[static_cast<std::size_t>(number - 1)];
    return "pgorm: migration " + m.path + ":" + std::to_string(st.line) + " failed (" + part + " part, statement " +
           std::to_string(number) + " of " + std::to_string(sts.size()) + ": " + st.first_line() + "): " + why +
           (m.transactional ? "; the migration was rolled back"
                            : "; the migration ran without a transaction, so the statements before it stay");
}

}  // namespace pgorm::migrate
