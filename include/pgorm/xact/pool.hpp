#pragma once
// pgorm::pool: the connection pool with transaction scopes on top (DESIGN.md's sketch). It lives
// in xact/ because the scopes it hands out are xacts; the pool mechanics are connection_pool.

#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/xact/retry.hpp>
#include <pgorm/xact/rls.hpp>
#include <pgorm/xact/xact.hpp>

#include <chrono>
#include <memory>
#include <mutex>

namespace pgorm {

class pool : public connection_pool {
public:
    using connection_pool::connection_pool;

    /// A transaction on a checkout the scope owns (admin login: the schema owner, no RLS).
    pgorm::xact xact(xact_options o = {}) { return pgorm::xact(acquire(), o); }
    pgorm::xact xact_admin(xact_options o = {}) { return xact(o); }

    /// A transaction that sees only one organization's rows, on the customer login, scoped by a
    /// signed token (xact/rls.hpp; docs/tenant-isolation.md). The first call reads the signing
    /// key on the admin login unless pool_options::scope_signing_key_hex gives it. Throws
    /// usage_error without a customer login or the RLS kit, pool_timeout, and server errors.
    pgorm::xact xact_customer(std::string_view user_id, std::string_view organization_id, xact_options o = {}) {
        auto h = acquire_customer();
        const rls::signing_key& key = signing_key();
        auto ttl = options().scope_token_ttl;
        return pgorm::xact::customer(std::move(h), key, user_id, organization_id, options().customer_role, o,
                                     std::chrono::system_clock::now() + ttl);
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

    /// The key customer scopes are signed with (read once, then cached for the pool's life).
    const rls::signing_key& signing_key() {
        std::lock_guard lk(key_->mutex);
        if (key_->key.empty()) {
            const std::string& hex = options().scope_signing_key_hex;
            if (!hex.empty()) {
                key_->key = rls::signing_key::from_hex(hex);
            } else {
                auto h = acquire();
                key_->key = rls::fetch_signing_key(h.conn());
            }
        }
        return key_->key;
    }

private:
    struct key_cache {
        std::mutex mutex;
        rls::signing_key key;
    };
    std::shared_ptr<key_cache> key_ = std::make_shared<key_cache>();
};

}  // namespace pgorm
