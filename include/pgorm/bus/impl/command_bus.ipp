#pragma once
// Bodies of bus/command_bus.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/bus/command_bus.hpp>

namespace pgorm::bus {

PGORM_DECL boost::uuids::uuid new_id() {
    thread_local boost::uuids::random_generator make;
    return make();
}

PGORM_DECL command_bus::batch_callback command_bus::batch_listener() const {
    return [callbacks = callbacks_](const batch_info& b) {
        batch_callback f;
        {
            std::lock_guard lock(callbacks->mutex);
            auto it = callbacks->by_batch.find(b.batch_id);
            if (it == callbacks->by_batch.end()) return;
            f = std::move(it->second);
            callbacks->by_batch.erase(it);
        }
        f(b);
    };
}

namespace detail {

[[noreturn]] PGORM_DECL void rethrow_bus_error(const sql_error& e, std::string_view domain) {
    sql_error::details d{e.sqlstate(), e.server_message(), e.detail(),     e.hint(),
                         e.table(),    e.column(),         e.constraint(), e.statement()};
    if (e.sqlstate() == "23505" && e.constraint() == "command_pkey")
        throw duplicate_command("pgorm: duplicate command_id in command bus domain '" + std::string(domain) +
                                    "': a command_id can be sent once per domain (" + e.detail() + ")",
                                std::move(d));
    if (e.sqlstate() == "23505" && e.constraint() == "batch_pkey")
        throw unique_violation(
            "pgorm: the batch id is already taken in domain '" + std::string(domain) + "' (" + e.detail() + ")",
            std::move(d));
    // The hot path calls the domain's own functions (schema.hpp, version 4), which exist once
    // create_domain ran: a missing one means no such domain. Reported as the by-name functions
    // report it (42704, commandbus._check_domain), with the server's statement kept.
    const auto names = [&](std::string_view prefix) {
        return e.server_message().find(std::string(prefix) + std::string(domain) + "__") != std::string::npos;
    };
    if (e.sqlstate() == "42883" && (names("commandbus.") || names("commandbus.\"")))
        throw sql_error("pgorm bus: there is no command bus domain \"" + std::string(domain) +
                            "\" (hint: create it first with bus::create_domain; a domain created under bus schema "
                            "version 3 or older gets its functions from bus::install) [SQLSTATE 42704]",
                        {"42704", "pgorm bus: there is no command bus domain \"" + std::string(domain) + "\"", "",
                         "create it first with bus::create_domain", "", "", "", e.statement()});
    if (e.sqlstate() == "55000") throw command_not_in_troubleshooting(e.server_message(), std::move(d));
    if (e.sqlstate() == "P0002") throw not_found(e.server_message());
    throw;
}

}  // namespace detail

}  // namespace pgorm::bus
