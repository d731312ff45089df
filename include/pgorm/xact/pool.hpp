#pragma once
// pgorm::pool: the connection pool with transaction scopes on top (DESIGN.md's sketch). It lives
// in xact/ because the scopes it hands out are xacts; the pool mechanics are connection_pool.

#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/xact/retry.hpp>
#include <pgorm/xact/xact.hpp>

namespace pgorm {

class pool : public connection_pool {
public:
    using connection_pool::connection_pool;

    /// A transaction on a checkout the scope owns (admin login: the schema owner, no RLS).
    pgorm::xact xact(xact_options o = {}) { return pgorm::xact(acquire(), o); }
    pgorm::xact xact_admin(xact_options o = {}) { return xact(o); }

    /// A transaction that sees only one organization's rows, on the customer login.
    pgorm::xact xact_customer(std::string_view user_id, std::string_view organization_id, xact_options o = {}) {
        auto h = acquire_customer();
        return pgorm::xact::customer(std::move(h), user_id, organization_id, options().customer_role, o);
    }

    /// Runs f(xact&) in a transaction: commit on return, rollback and rethrow on an exception.
    template <class F>
    auto transact(F&& f) {
        return transact(transact_options{}, std::forward<F>(f));
    }
    template <class F>
    auto transact(const transact_options& o, F&& f) {
        auto h = acquire();  // one checkout for every attempt
        return run_transaction(o.retry, [&] { return pgorm::xact(h.conn(), o.xact); }, f);
    }

    /// transact() in a customer scope.
    template <class F>
    auto transact_customer(std::string_view user_id, std::string_view organization_id, F&& f) {
        return transact_customer(user_id, organization_id, transact_options{}, std::forward<F>(f));
    }
    template <class F>
    auto transact_customer(std::string_view user_id, std::string_view organization_id, const transact_options& o,
                           F&& f) {
        return run_transaction(o.retry, [&] { return xact_customer(user_id, organization_id, o.xact); }, f);
    }
};

}  // namespace pgorm
