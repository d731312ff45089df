#pragma once
// The bodies of core/detail/error_mapping.hpp: the SQLSTATE-to-exception table and the field readers.

#include <pgorm/core/detail/error_mapping.hpp>

#include <string>
#include <string_view>

namespace pgorm::detail {

PGORM_DECL std::string result_field(const PGresult* r, int code) {
    const char* v = r ? PQresultErrorField(r, code) : nullptr;
    return v ? v : "";
}

PGORM_DECL std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

PGORM_DECL staleness stale_statement_kind(const PGresult* r) {
    if (!r || PQresultStatus(r) != PGRES_FATAL_ERROR) return staleness::fresh;
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (!state) return staleness::fresh;
    std::string_view s = state;
    if (s == "0A000") {
        if (result_field(r, PG_DIAG_SOURCE_FILE) == "plancache.c" ||
            result_field(r, PG_DIAG_MESSAGE_PRIMARY) == "cached plan must not change result type")
            return staleness::result_changed;
    } else if (s == "26000") {
        if (result_field(r, PG_DIAG_MESSAGE_PRIMARY).find("pgorm_") != std::string::npos)
            return staleness::statement_missing;
    }
    return staleness::fresh;
}

PGORM_DECL sql_error::details error_details(const PGresult* r, std::string_view statement) {
    sql_error::details d;
    d.sqlstate = result_field(r, PG_DIAG_SQLSTATE);
    d.message = result_field(r, PG_DIAG_MESSAGE_PRIMARY);
    d.detail = result_field(r, PG_DIAG_MESSAGE_DETAIL);
    d.hint = result_field(r, PG_DIAG_MESSAGE_HINT);
    d.table = result_field(r, PG_DIAG_TABLE_NAME);
    d.column = result_field(r, PG_DIAG_COLUMN_NAME);
    d.constraint = result_field(r, PG_DIAG_CONSTRAINT_NAME);
    d.statement = std::string(statement);
    return d;
}

PGORM_DECL void throw_stale_statement(const PGresult* r, staleness why, std::string_view statement) {
    sql_error::details d = error_details(r, statement);
    std::string what =
        "pgorm: the prepared statement cached for this query no longer matches the server (" + d.message + "): ";
    what += why == staleness::result_changed
                ? "the columns it returns changed type or number since it was prepared (ALTER TABLE, a new column "
                  "under SELECT *)"
                : "the server no longer has it (DISCARD ALL or DEALLOCATE ran on this session), so pgorm dropped "
                  "its whole statement cache";
    what +=
        "; the statement failed (inside a transaction, the whole transaction did), and running it again "
        "prepares it anew [SQLSTATE " +
        d.sqlstate + "]; query: " + d.statement;
    throw stale_statement(what, std::move(d));
}

PGORM_DECL void throw_result_error(const PGresult* r, std::string connection_message, bool conn_bad,
                                   std::string_view statement) {
    sql_error::details d = error_details(r, statement);

    // Class 08 and the shutdown codes mean the session is gone; 08P01 (protocol violation, e.g. a
    // binary value of the wrong width) is reported on a connection that still works.
    bool session_gone = d.sqlstate.starts_with("08") && d.sqlstate != "08P01";
    if (conn_bad || session_gone || d.sqlstate == "57P01" || d.sqlstate == "57P02" || d.sqlstate == "57P03") {
        std::string why = d.message.empty() ? trimmed(std::move(connection_message)) : d.message;
        if (why.empty()) why = "the server closed the connection";
        throw connection_lost("pgorm: connection lost: " + why);  // DETAIL never goes here
    }
    if (d.sqlstate.empty()) {  // a client-side failure (bad parameter count, out of memory...)
        d.message = trimmed(r ? PQresultErrorMessage(r) : "");
        if (d.message.empty()) d.message = trimmed(std::move(connection_message));
        d.sqlstate = "XX000";
    }
    // Most specific first: a code, then its class (the first two characters), then sql_error.
    const std::string& s = d.sqlstate;
    if (s == "23505") throw unique_violation(std::move(d));
    if (s == "23503") throw foreign_key_violation(std::move(d));
    if (s == "23514") throw check_violation(std::move(d));
    if (s == "23502") throw not_null_violation(std::move(d));
    if (s.starts_with("23")) throw integrity_violation(std::move(d));
    if (s == "40001") throw serialization_failure(std::move(d));
    if (s == "40P01") throw deadlock_detected(std::move(d));
    if (s.starts_with("40")) throw transaction_rollback(std::move(d));
    if (s == "25006") throw read_only_sql_transaction(std::move(d));
    if (s == "55P03") throw lock_not_available(std::move(d));
    if (s == "57014") throw query_canceled(std::move(d));
    if (s == "42P01") throw undefined_table(std::move(d));
    if (s == "42703") throw undefined_column(std::move(d));
    if (s == "42501") throw insufficient_privilege(std::move(d));
    if (s.starts_with("42")) throw syntax_error_or_access_rule_violation(std::move(d));
    if (s.starts_with("22")) throw data_exception(std::move(d));
    throw sql_error(std::move(d));
}

}  // namespace pgorm::detail
