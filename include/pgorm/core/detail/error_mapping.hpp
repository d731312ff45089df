#pragma once
// Turns a failed PGresult into the matching exception class, keyed by SQLSTATE. This file is
// the only place codes meet classes (stale_statement_kind, then the table in
// throw_result_error); error.hpp repeats each code beside its class, and docs/errors.md draws
// the tree. Codes: PostgreSQL 15 docs, Appendix A.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/error.hpp>

#include <libpq-fe.h>

#include <string>
#include <string_view>

namespace pgorm::detail {

/// One field of the server's error report (PQresultErrorField), "" when absent or r is null.
PGORM_DECL std::string result_field(const PGresult* r, int code);

/// s without its trailing newlines and blanks (libpq's messages end in a newline).
PGORM_DECL std::string trimmed(std::string s);

/// How a statement pgorm prepared and cached can stop matching the server.
enum class staleness {
    fresh,               // not a stale-statement error
    result_changed,      // 0A000: the columns it returns changed since it was prepared
    statement_missing,   // 26000: the server dropped it (DISCARD ALL, DEALLOCATE)
};

/// Classifies the error of a statement executed by its pgorm-prepared name. 0A000
/// (feature_not_supported) is far broader than a stale plan, so it counts only when raised by
/// the plan cache (source file plancache.c, locale-independent) or with the English message;
/// 26000 counts when it names one of pgorm's own statements ("pgorm_<hex>_N"), not a name that the
/// statement's own SQL used (a DEALLOCATE run through execute()).
PGORM_DECL staleness stale_statement_kind(const PGresult* r);

/// Collects the server's error report for `statement` into sql_error's fields.
PGORM_DECL sql_error::details error_details(const PGresult* r, std::string_view statement);

/// Throws stale_statement for a result stale_statement_kind() classified as `why`; pgorm has
/// already dropped the cache entries by then.
[[noreturn]] PGORM_DECL void throw_stale_statement(const PGresult* r, staleness why, std::string_view statement);

/// Throws the exception for a failed result. `conn_bad` says the connection itself is gone.
[[noreturn]] PGORM_DECL void throw_result_error(const PGresult* r, std::string connection_message, bool conn_bad,
                                                std::string_view statement);

}  // namespace pgorm::detail

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/core/detail/impl/error_mapping.ipp>
#endif
