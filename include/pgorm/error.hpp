#pragma once
// pgorm's exception hierarchy. It has no dependencies so that every layer can throw it;
// the SQLSTATE-keyed classes are raised by core/ from a server error (see core/error_mapping.hpp).

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

/// No connection could be opened, or an open one was lost.
class connection_error : public error {
public:
    using error::error;
};

/// An established connection broke in the middle of work (server gone, backend terminated).
class connection_lost : public connection_error {
public:
    using connection_error::connection_error;
};

/// The pool had no connection to give within its acquire timeout.
class pool_timeout : public error {
public:
    using error::error;
};

/// An error reported by the server, with its SQLSTATE and the fields of the error report.
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
    const std::string& detail() const noexcept { return details_.detail; }
    const std::string& hint() const noexcept { return details_.hint; }
    const std::string& table() const noexcept { return details_.table; }
    const std::string& column() const noexcept { return details_.column; }
    const std::string& constraint() const noexcept { return details_.constraint; }
    const std::string& statement() const noexcept { return details_.statement; }

private:
    static std::string compose(const details& d) {
        std::string s = d.message.empty() ? "server error" : d.message;
        if (!d.detail.empty()) s += " (detail: " + d.detail + ")";
        if (!d.hint.empty()) s += " (hint: " + d.hint + ")";
        s += " [SQLSTATE " + d.sqlstate + "]";
        return s;
    }
    details details_;
};

// Class 23: integrity constraint violations.
class integrity_violation : public sql_error { public: using sql_error::sql_error; };
class unique_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };
class foreign_key_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };
class check_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };
class not_null_violation : public integrity_violation { public: using integrity_violation::integrity_violation; };

// Class 40: the transaction was rolled back by the server and may be retried.
class transaction_rollback : public sql_error { public: using sql_error::sql_error; };
class serialization_failure : public transaction_rollback { public: using transaction_rollback::transaction_rollback; };
class deadlock_detected : public transaction_rollback { public: using transaction_rollback::transaction_rollback; };

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
class stale_statement : public transaction_rollback {
public:
    using transaction_rollback::transaction_rollback;
};

// Class 55 / 57: lock and cancel.
class lock_not_available : public sql_error { public: using sql_error::sql_error; };
class query_canceled : public sql_error { public: using sql_error::sql_error; };

// Class 42: the statement names something that does not exist, or is malformed.
class syntax_error_or_access_rule_violation : public sql_error { public: using sql_error::sql_error; };
class undefined_table : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };
class undefined_column : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };
class insufficient_privilege : public syntax_error_or_access_rule_violation { public: using syntax_error_or_access_rule_violation::syntax_error_or_access_rule_violation; };

// Class 22: the server rejected a value (out of range, bad format...).
class data_exception : public sql_error { public: using sql_error::sql_error; };

}  // namespace pgorm
