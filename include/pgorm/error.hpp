#pragma once
// pgorm's exception hierarchy. It has no dependencies so that every layer can throw it;
// the SQLSTATE-keyed classes are raised by core/ from a server error (core/detail/error_mapping.hpp
// holds the one SQLSTATE -> class table). Each class names its SQLSTATE(s) beside it; the codes
// and class names are PostgreSQL 15 docs, Appendix A "PostgreSQL Error Codes". The classes
// above sql_error are client-side: the server sent no SQLSTATE for them. docs/errors.md draws
// the whole tree.

#include <pgorm/detail/linkage.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace pgorm {

/// Root of everything pgorm throws.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A malformed URL, a bad option, a missing environment variable.
class config_error : public error {
public:
    using error::error;
};

/// The library was called in a way it does not support (a closed scope, a moved-from object...).
class usage_error : public error {
public:
    using error::error;
};

/// A row that was required does not exist (names the table and key).
class not_found : public error {
public:
    using error::error;
};

/// A C++ type cannot hold a column's PostgreSQL type; names the column and both types.
class type_mismatch : public error {
public:
    using error::error;
};

/// Wire bytes, a NULL or a value that a codec cannot turn into the C++ value.
class decode_error : public error {
public:
    using error::error;
};

/// A NULL arrived for a member that is not std::optional; names table and column.
class unexpected_null : public decode_error {
public:
    using decode_error::decode_error;
};

/// A value that does not fit the C++ type it is read into, or the type it is sent as.
class value_out_of_range : public decode_error {
public:
    using decode_error::decode_error;
};

/// A result's columns and a struct's members do not line up; names the column.
class column_mismatch : public error {
public:
    using error::error;
};

/// No connection could be opened (libpq's PQconnectdb failed; no SQLSTATE), or an open one was lost.
class connection_error : public error {
public:
    using error::error;
};

/// An established connection broke in the middle of work (server gone, backend terminated).
/// Raised for class 08 (connection exception) except 08P01, for 57P01 admin_shutdown, 57P02
/// crash_shutdown, 57P03 cannot_connect_now, and when libpq reports CONNECTION_BAD: that covers
/// a session the server ended for idle_in_transaction_session_timeout (25P03) and a socket that
/// TCP keepalives or tcp_user_timeout declared dead (docs/reliability.md).
/// what() names only the server's primary message; the session cannot be used again.
class connection_lost : public connection_error {
public:
    using connection_error::connection_error;
};

/// The pool had no connection to give within its acquire timeout.
class pool_timeout : public error {
public:
    using error::error;
};

/// Whether sql_error::what() carries the DETAIL field of the server's error report.
/// DETAIL holds row values (23505: `Key (email)=(ada@acme.test) already exists`; 23503:
/// `Key (organization_id)=(org_9) is not present in table "organizations"`), and what() is what
/// ends up in logs. `redact` (the default) leaves it out of what(); sql_error::detail() keeps it
/// either way, for code that decides for itself where it may go.
/// Note: the server's primary message can quote a value too (22P02 `invalid input syntax for
/// type integer: "abc"`); PostgreSQL does not separate those, so pgorm keeps them.
enum class error_detail {
    redact,   ///< what() = message, hint, SQLSTATE, table, constraint (no row values from DETAIL)
    include,  ///< what() also shows "(detail: ...)", handy in development
};

/// Sets, for the whole process, whether errors thrown from now on show DETAIL in what().
/// Thread-safe (an atomic); exceptions already thrown keep their text.
PGORM_DECL void set_error_detail(error_detail d) noexcept;
PGORM_DECL error_detail get_error_detail() noexcept;

/// A replica did not replay the primary's WAL up to the position asked for (pool::read_xact_after,
/// read-your-writes) within the timeout; what() names both positions and the time waited.
/// Client side: the replica is lagging or has stopped replaying, not failing.
class replica_lag_timeout : public error {
public:
    using error::error;
};

/// An error reported by the server (any SQLSTATE without a class of its own below), with its
/// SQLSTATE and the fields of the error report (PostgreSQL 15 docs, 55.8 "Error and Notice
/// Message Fields"). what() is "<message> (hint: ...) [SQLSTATE xxxxx; table t; constraint c]";
/// DETAIL is added only under set_error_detail(error_detail::include).
class sql_error : public error {
public:
    struct details {
        std::string sqlstate, message, detail, hint, table, column, constraint, statement;
    };
    explicit sql_error(details d) : error(compose(d)), details_(std::move(d)) {}
    /// For subclasses that explain the server's report in their own words (`what`).
    sql_error(const std::string& what, details d) : error(what), details_(std::move(d)) {}

    const std::string& sqlstate() const noexcept { return details_.sqlstate; }
    const std::string& server_message() const noexcept { return details_.message; }
    /// The server's DETAIL, unredacted (may hold row values: keep it out of shared logs).
    const std::string& detail() const noexcept { return details_.detail; }
    const std::string& hint() const noexcept { return details_.hint; }
    const std::string& table() const noexcept { return details_.table; }
    const std::string& column() const noexcept { return details_.column; }
    const std::string& constraint() const noexcept { return details_.constraint; }
    const std::string& statement() const noexcept { return details_.statement; }

private:
    static std::string compose(const details& d);
    details details_;
};

// Class 23, integrity constraint violation (23xxx).
class integrity_violation : public sql_error { public: using sql_error::sql_error; };  // 23xxx not below
class unique_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };  // 23505
class foreign_key_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };  // 23503
class check_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };  // 23514
class not_null_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };  // 23502

// Class 40, transaction rollback: the server rolled the transaction back; it may be retried.
class transaction_rollback : public sql_error { public: using sql_error::sql_error; };  // 40xxx not below
class serialization_failure : public transaction_rollback { public: using transaction_rollback::transaction_rollback; };  // 40001
class deadlock_detected : public transaction_rollback { public: using transaction_rollback::transaction_rollback; };  // 40P01

/// A statement pgorm had prepared and cached no longer matches the server: its result columns
/// changed type or number since it was prepared (SQLSTATE 0A000, "cached plan must not change
/// result type", after an ALTER TABLE), or the server no longer has it (26000,
/// invalid_sql_statement_name, after DISCARD ALL or DEALLOCATE). pgorm has already dropped the
/// stale cache entry (for 26000 the whole cache: DEALLOCATE ALL / DISCARD ALL remove every
/// statement), so running the transaction again prepares the statement anew and succeeds; retry
/// loops (run_transaction, pool::transact) do that. It is a transaction_rollback although its
/// SQLSTATE is not in class 40 because it means the same to the caller: the transaction failed
/// as a whole and a re-run is safe. Outside a transaction pgorm re-prepares and re-runs a single
/// statement itself; this is thrown there only if the re-run is stale too.
/// Source of the conditions: PostgreSQL 15 docs, "PREPARE" (Notes: re-planning on schema
/// changes) and Appendix A (error codes 0A000, 26000).
class stale_statement : public transaction_rollback {  // 0A000 (from the plan cache), 26000 (pgorm_<hex>_N)
public:
    using transaction_rollback::transaction_rollback;
};

/// A statement pgorm prepared by name is missing (26000) or its name is taken (42P05) on a
/// connection that goes through a pooler (connection::behind_pooler()): PgBouncer in
/// pool_mode=transaction runs each transaction on whichever server session is free, so named
/// statements cannot work there. Not retryable: the cure is configuration, pgorm_prepare=off in
/// the URL or config::prepared_statements / pool_options::prepared_statements = false, which
/// what() names. Source: PgBouncer docs, "Feature matrix for pooling modes" (protocol-level
/// prepared plans need session pooling before 1.21); docs/scale-out.md.
class prepared_statements_unsupported : public sql_error {  // 26000, 42P05 behind a pooler
public:
    using sql_error::sql_error;
};

/// A write in a read-only transaction (SQLSTATE 25006, read_only_sql_transaction): a READ ONLY
/// transaction, or any transaction on a hot standby (PostgreSQL 15 docs, 27.4 "Hot Standby":
/// standbys accept read-only queries only). Behind pool::read_xact it means a write was sent to
/// the read endpoint; send it through xact() / transact() instead.
class read_only_sql_transaction : public sql_error { public: using sql_error::sql_error; };  // 25006

// Class 55 (object not in prerequisite state) and class 57 (operator intervention).
class lock_not_available : public sql_error { public: using sql_error::sql_error; };  // 55P03 (NOWAIT, lock_timeout)
class query_canceled : public sql_error { public: using sql_error::sql_error; };  // 57014 (statement_timeout, cancel)

// Class 42, syntax error or access rule violation: the statement is malformed or names
// something that does not exist or may not be used.
class syntax_error_or_access_rule_violation : public sql_error { public: using sql_error::sql_error; };  // 42xxx not below
class undefined_table : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };  // 42P01
class undefined_column : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };  // 42703
class insufficient_privilege : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };  // 42501

// Class 22, data exception: the server rejected a value (out of range, bad format...).
class data_exception : public sql_error { public: using sql_error::sql_error; };  // 22xxx

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/impl/error.ipp>
#endif
