#pragma once
// install(scope): puts pgorm's queue schema (schema.hpp) into a database, or finds the real
// pgmq extension there and leaves it alone.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/queue/schema.hpp>
#include <pgorm/xact/xact.hpp>

#include <optional>
#include <string>

namespace pgorm::queue {

/// What install() found and did.
struct install_result {
    enum class outcome {
        installed,        // there was no queue schema; schema_version is now in place
        upgraded,         // an older pgorm queue schema was brought up to schema_version
        already_current,  // the database already had schema_version (or a newer one): nothing ran
        pgmq_extension,   // the real pgmq extension is installed: nothing ran, use it as it is
    };
    outcome what = outcome::installed;
    int version = 0;                // pgorm schema version now in the database (0 with the extension)
    std::string extension_version;  // pg_extension.extversion of pgmq, when that is what was found
};

namespace detail {
// One key for every process that installs the queue schema (FNV-1a of the text, see advisory_lock.hpp).
inline constexpr advisory_key install_lock{"pgorm.queue.install"};

/// The versioned-install step every layer-8 schema shares: reads max(version) of
/// `version_table` (a library constant, e.g. "pgmq.pgorm_schema_version") and runs `sql` when
/// it is missing or older than `version`. The caller holds its install lock. The version found
/// before (empty: none) and whether the script ran.
struct versioned_step {
    std::optional<int> found;
    bool ran = false;
};
PGORM_DECL versioned_step install_versioned(connection& c, std::string_view version_table, int version,
                                            std::string_view sql);
}  // namespace detail

/// Creates or upgrades schema `pgmq` (tables, types and functions of schema_sql()).
///
/// Idempotent and safe to call from many processes at once: it takes a transaction-level
/// advisory lock, reads pgmq.pgorm_schema_version, and runs schema_sql() only when that is
/// missing or older than schema_version. On an idle connection it runs in its own transaction;
/// inside the caller's transaction (an xact) it joins it and the lock lasts until that ends.
/// When the pgmq extension is installed it changes nothing and reports pgmq_extension.
///
/// Throws sql_error (SQLSTATE 55000) when schema pgmq holds a pgmq installation that is neither
/// the extension nor pgorm's, and whatever the server raises while running the DDL (the
/// transaction is then rolled back: a failed install leaves no half-made schema).
template <scope S>
install_result install(S& s) {
    connection& c = s.conn();
    std::optional<xact> own;
    if (c.transaction_status() == PQTRANS_IDLE) own.emplace(c);
    advisory_xact_lock(c, detail::install_lock);

    install_result r;
    if (auto ext = c.query_one<std::string>("SELECT extversion FROM pg_extension WHERE extname = 'pgmq'")) {
        r.what = install_result::outcome::pgmq_extension;
        r.extension_version = *ext;
        if (own) own->commit();
        return r;
    }
    auto step = detail::install_versioned(c, "pgmq.pgorm_schema_version", schema_version, schema_sql());
    r.what = !step.ran ? install_result::outcome::already_current
           : step.found ? install_result::outcome::upgraded
                        : install_result::outcome::installed;
    r.version = step.ran ? schema_version : *step.found;
    if (own) own->commit();
    return r;
}

}  // namespace pgorm::queue

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/queue/impl/install.ipp>
#endif
