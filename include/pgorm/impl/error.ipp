#pragma once
// The bodies of error.hpp: the process-wide DETAIL policy and sql_error's what() text.

#include <pgorm/error.hpp>

#include <string>

namespace pgorm {

namespace detail {
// The policy set_error_detail() sets: one for the process (a function-local static, so
// header-only mode has one too), read and written with GCC's atomic built-ins (Clang has them
// too) rather than std::atomic, whose header would be in every translation unit that includes
// error.hpp in header-only mode.
PGORM_DECL error_detail& error_detail_policy() noexcept {
    static error_detail policy = error_detail::redact;
    return policy;
}
}  // namespace detail

PGORM_DECL void set_error_detail(error_detail d) noexcept {
    __atomic_store(&detail::error_detail_policy(), &d, __ATOMIC_SEQ_CST);
}

PGORM_DECL error_detail get_error_detail() noexcept {
    error_detail d;
    __atomic_load(&detail::error_detail_policy(), &d, __ATOMIC_SEQ_CST);
    return d;
}

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
