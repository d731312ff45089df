#pragma once
// xact: a transaction scope. BEGIN on construction, commit() to keep the work, ROLLBACK when it
// goes out of scope without one. A scope made from another scope is a SAVEPOINT, released by
// commit() or rolled back the same way. An xact is a pgorm::scope: repositories and generated
// query functions take it. The bodies are in impl/xact.ipp.

#include <pgorm/detail/linkage.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/xact/options.hpp>
#include <pgorm/xact/rls.hpp>

#include <pgorm/types/detail/durations.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pgorm {

/// [[nodiscard]]: a scope dropped where it is made rolls back at once, so its statements would
/// run in autocommit mode instead.
class [[nodiscard]] PGORM_ABI_TAG xact {
public:
    /// Begins a transaction on a connection that the caller keeps open for the scope's lifetime.
    /// Throws usage_error when the connection is already inside a transaction, sql_error (by SQLSTATE, error.hpp),
    /// connection_lost.
    explicit xact(connection& c, xact_options o = {});
    /// Begins a transaction on a checkout that the scope owns and returns when it ends.
    /// Throws as the constructor above.
    explicit xact(pooled_connection&& h, xact_options o = {});
    /// A nested scope: a SAVEPOINT inside `outer`, which must stay open until this one ends.
    /// Throws usage_error when `outer` has an open savepoint already, sql_error (by SQLSTATE,
    /// error.hpp; 25P02 in a failed transaction), connection_lost.
    explicit xact(xact& outer);

    /// A tenant (row-level-security) scope: begins the transaction, then, in one statement,
    /// sets the transaction-local scope token (signed with `key`, valid until `expires`; see
    /// xact/rls.hpp) and SET LOCAL ROLE `tenant_role`. The token goes as a bound parameter, so
    /// it never shows in pg_stat_activity, where other sessions of the same login could read it.
    /// Throws usage_error for an empty id or a tenant role name longer than PostgreSQL's
    /// identifier limit, then as the constructors: sql_error (by SQLSTATE, error.hpp; 42704 for
    /// a tenant role that does not exist), connection_lost.
    static xact tenant(pooled_connection&& h, const rls::signing_key& key, std::string_view user_id,
                       std::string_view organization_id, std::string_view tenant_role = default_tenant_role,
                       xact_options o = {}, std::chrono::system_clock::time_point expires = {});

    xact(xact&& o) noexcept
        : owned_(std::move(o.owned_)), conn_(std::exchange(o.conn_, nullptr)), parent_(std::exchange(o.parent_, nullptr)),
          child_(std::exchange(o.child_, nullptr)), savepoint_(std::move(o.savepoint_)), depth_(o.depth_),
          state_(std::exchange(o.state_, state::moved)) {
        if (parent_) parent_->child_ = this;
        if (child_) child_->parent_ = this;
    }
    xact& operator=(xact&&) = delete;
    xact(const xact&) = delete;
    xact& operator=(const xact&) = delete;
    ~xact();

    /// The scope protocol. Statements run in the innermost open savepoint.
    connection& conn() {
        if (state_ != state::open) throw usage_error(std::string("pgorm: this transaction scope ") + state_text());
        return *conn_;
    }

    /// Makes the work permanent (or, for a savepoint, part of the enclosing transaction).
    /// Throws serialization_failure / deadlock_detected (transaction_rollback) and deferred
    /// integrity_violation subclasses that the server reports at COMMIT, usage_error when the scope
    /// already ended or a statement in it failed, connection_lost.
    void commit();

    /// Undoes the work now rather than at the end of the scope.
    /// Throws usage_error when the scope already ended; connection_lost.
    void rollback();

    /// A nested scope (SAVEPOINT) in this one. Throws as xact(xact&).
    xact savepoint() { return xact(*this); }

    /// Sends a notification that listeners receive only if this transaction commits.
    /// Throws as pgorm::notify (core/notify.hpp).
    void notify(std::string_view channel, std::string_view payload = {});

    bool is_open() const noexcept { return state_ == state::open; }
    bool committed() const noexcept { return state_ == state::committed; }
    /// 0 for a transaction, 1 for a savepoint in it, and so on.
    int depth() const noexcept { return depth_; }

private:
    enum class state { open, committed, rolled_back, moved };

    struct begun_by_caller {};
    xact(pooled_connection&& h, const xact_options&, begun_by_caller);
    void begin(const xact_options& o);
    static std::string begin_sql(const xact_options& o);
    const char* state_text() const noexcept;
    void check_can_end(const char* what);
    void finish(state s) noexcept;
    void rollback_quietly() noexcept;

    pooled_connection owned_;  // empty unless the scope owns its checkout
    connection* conn_ = nullptr;
    xact* parent_ = nullptr;  // the enclosing scope of a savepoint
    xact* child_ = nullptr;   // the open savepoint in this scope
    std::string savepoint_;
    int depth_ = 0;
    state state_ = state::open;
};

static_assert(scope<xact>);
static_assert(scope<pooled_connection>);

}  // namespace pgorm

#ifndef PGORM_SEPARATE_COMPILATION
#include <pgorm/xact/impl/xact.ipp>
#endif
