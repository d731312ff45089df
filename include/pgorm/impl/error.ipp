#pragma once
// The bodies of error.hpp: the process-wide DETAIL policy and sql_error's what() text.

#include <pgorm/error.hpp>

#include <atomic>
#include <string>

namespace pgorm {

namespace detail {
// The policy set_error_detail() sets: one atomic for the process (a function-local static, so
// header-only mode has one too).
PGORM_DECL std::atomic<error_detail>& error_detail_policy() noexcept {
    static std::atomic<error_detail> policy{error_detail::redact};
    return policy;
}
}  // namespace detail

PGORM_DECL void set_error_detail(error_detail d) noexcept { detail::error_detail_policy().store(d); }

PGORM_DECL error_detail get_error_detail() noexcept { return detail::error_detail_policy().load(); }

PGORM_DECL std::string sql_error::compose(const details& d) {
    std::string s = d.message.empty() ? "server error" : d.message;
    if (!d.detail.empty() && get_error_detail() == error_detail::include) s += " (detail: " + d.detail + ")";
    if (!d.hint.empty()) s += " (hint: " + d.hint + ")";
    s += " [SQLSTATE " + d.sqlstate;
    if (!d.table.empty()) s += "; table " + d.table;
    if (!d.column.empty()) s += "; column " + d.column;
    if (!d.constraint.empty()) s += "; constraint " + d.constraint;
    s += "]";
    return s;
}

}  // namespace pgorm
