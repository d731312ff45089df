#pragma once
// install(scope): puts the command bus schema (schema.hpp) into a database, after the queue
// schema it runs on (queue::install, which leaves a real pgmq extension alone).

#include <pgorm/bus/schema.hpp>
#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/queue/install.hpp>
#include <pgorm/xact/xact.hpp>

#include <optional>

namespace pgorm::bus {

/// What install() found and did.
struct install_result {
    enum class outcome {
        installed,        // there was no bus schema; schema_version is now in place
        upgraded,         // an older bus schema was brought up to schema_version
        already_current,  // the database already had schema_version (or newer): nothing ran
    };
    outcome what = outcome::installed;
    int version = 0;                   // bus schema version now in the database
    queue::install_result queue_schema;  // what queue::install did first
};

namespace detail {
inline constexpr advisory_key install_lock{"pgorm.bus.install"};
}  // namespace detail

/// Creates or upgrades schema `commandbus` (and first the pgmq API, through queue::install).
///
/// Idempotent and safe from many processes at once: a transaction-level advisory lock, then
/// commandbus.pgorm_schema_version decides whether schema_sql() runs. On an idle connection it
/// runs in its own transaction; inside the caller's xact it joins it (a rollback undoes it).
/// Throws what queue::install throws, and whatever the server raises while running the DDL.
template <scope S>
install_result install(S& s) {
    connection& c = s.conn();
    std::optional<xact> own;
    if (c.transaction_status() == PQTRANS_IDLE) own.emplace(c);
    install_result r;
    r.queue_schema = queue::install(c);
    advisory_xact_lock(c, detail::install_lock);
    auto step = queue::detail::install_versioned(c, "commandbus.pgorm_schema_version", schema_version, schema_sql());
    r.what = !step.ran ? install_result::outcome::already_current
           : step.found ? install_result::outcome::upgraded
                        : install_result::outcome::installed;
    r.version = step.ran ? schema_version : *step.found;
    if (own) own->commit();
    return r;
}

}  // namespace pgorm::bus
