#pragma once
// connection_access: the door to connection's private hooks for pgorm's own execution paths
// (pipeline batches, binary COPY, streaming, the repository's allocation-free statements, the
// migrator). Users never name it; what they need is connection's public API, and native() for
// raw libpq. Each call forwards to the connection member of the same name (core/connection.hpp
// documents them).

#include <pgorm/core/connection.hpp>

#include <string>
#include <string_view>

namespace pgorm::detail {

struct connection_access {
    /// The live PGconn; throws connection_lost when closed or broken.
    static PGconn* handle(const connection& c) { return c.handle(); }
    /// Runs one statement with libpq parameter arrays (prepared when cached); throws as execute().
    static result run(connection& c, std::string_view sql, const param_refs& p) { return c.run(sql, p); }
    /// The buffer execute() encodes parameters into, reused by bounded_params callers.
    static std::string& encode_buffer(connection& c) noexcept { return c.encode_buffer(); }
    /// Wraps `r` in a result, or throws the exception its SQLSTATE maps to.
    static result check(connection& c, PGresult* r, std::string_view sql) { return c.check(r, sql); }
    /// check() for a statement run by its cached name: a stale one is dropped and throws stale_statement.
    static result check_cached(connection& c, PGresult* r, std::string_view sql) { return c.check_cached(r, sql); }
    /// The cached statement's server-side name, preparing it now if needed (outside pipeline mode).
    static const std::string& prepare_cached(connection& c, std::string_view sql, const param_refs& p) {
        return c.prepare_cached(sql, p);
    }
    static const std::string* cached_statement_name(connection& c, std::string_view sql, const param_refs& p) {
        return c.cached_statement_name(sql, p);
    }
    static const std::string& add_cached_statement(connection& c, std::string_view sql, const param_refs& p) {
        return c.add_cached_statement(sql, p);
    }
    static void forget_cached_statement(connection& c, std::string_view sql, const param_refs& p) {
        c.forget_cached_statement(sql, p);
    }
    static staleness forget_if_stale(connection& c, const PGresult* r, std::string_view sql) {
        return c.forget_if_stale(r, sql);
    }
};

}  // namespace pgorm::detail
