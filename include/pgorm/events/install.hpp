#pragma once
// install(scope): puts the event-store schema (schema.hpp) into a database, once.

#include <pgorm/core/advisory_lock.hpp>
#include <pgorm/core/connection.hpp>
#include <pgorm/events/schema.hpp>
#include <pgorm/xact/xact.hpp>

#include <optional>

namespace pgorm::events {

/// What install() found and did.
struct install_result {
    enum class outcome {
        installed,        // there was no event-store schema; schema_version is now in place
        upgraded,         // an older version was brought up to schema_version
        already_current,  // the database had schema_version or newer: nothing ran
    };
    outcome what = outcome::installed;
    int version = 0;  // the schema version now in the database
};

/// Creates or upgrades schema `pgorm_events` (schema_sql()).
///
/// Idempotent and safe from many processes at once: under a transaction-level advisory lock
/// (key "pgorm.events.install") it reads pgorm_events.schema_version and runs schema_sql() only
/// when that is missing or older. On an idle connection it runs in its own transaction; inside
/// the caller's transaction it joins it (and is undone with it).
/// Throws whatever the server raises while running the DDL; the transaction is then rolled back,
/// so a failed install leaves no half-made schema.
template <scope S>
install_result install(S& s) {
    connection& c = s.conn();
    std::optional<xact> own;
    if (c.transaction_status() == PQTRANS_IDLE) own.emplace(c);
    advisory_xact_lock(c, advisory_key("pgorm.events.install"));

    std::optional<int> found;
    if (c.query_value<bool>("SELECT to_regclass('pgorm_events.schema_version') IS NOT NULL"))
        found = c.query_value<std::optional<int>>("SELECT max(version) FROM pgorm_events.schema_version");
    install_result r{install_result::outcome::already_current, found.value_or(0)};
    if (!found || *found < schema_version) {
        c.execute_script(schema_sql());
        r = {found ? install_result::outcome::upgraded : install_result::outcome::installed, schema_version};
    }
    if (own) own->commit();
    return r;
}

}  // namespace pgorm::events
