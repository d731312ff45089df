#pragma once
// xact: a transaction scope. BEGIN on construction, commit() to keep the work, ROLLBACK when it
// goes out of scope without one. A scope made from another scope is a SAVEPOINT, released by
// commit() or rolled back the same way. An xact is a pgorm::scope: repositories and generated
// query functions take it.

#include <pgorm/core/notify.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/pool/connection_pool.hpp>
#include <pgorm/reflect/identifier.hpp>
#include <pgorm/xact/options.hpp>
#include <pgorm/xact/rls.hpp>

#include <pgorm/types/detail/durations.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pgorm {

/// [[nodiscard]]: a scope dropped where it is made rolls back at once, so its statements would
/// run in autocommit mode instead.
class [[nodiscard]] xact {
public:
    /// Begins a transaction on a connection that the caller keeps open for the scope's lifetime.
    /// Throws usage_error when the connection is already inside a transaction, sql_error (by SQLSTATE, error.hpp),
    /// connection_lost.
    explicit xact(connection& c, xact_options o = {}) : conn_(&c) { begin(o); }
    /// Begins a transaction on a checkout that the scope owns and returns when it ends.
    /// Throws as the constructor above.
    explicit xact(pooled_connection&& h, xact_options o = {}) : owned_(std::move(h)) {
        conn_ = &owned_.conn();
        begin(o);
    }
    /// A nested scope: a SAVEPOINT inside `outer`, which must stay open until this one ends.
    /// Throws usage_error when `outer` has an open savepoint already, sql_error (by SQLSTATE,
    /// error.hpp; 25P02 in a failed transaction), connection_lost.
    explicit xact(xact& outer) : conn_(&outer.conn()), parent_(&outer), depth_(outer.depth_ + 1) {
        if (outer.child_) throw usage_error("pgorm: this transaction already has an open savepoint; end it first");
        savepoint_ = "pgorm_savepoint_" + std::to_string(depth_);
        conn_->execute_script("SAVEPOINT " + savepoint_);
        outer.child_ = this;
    }

    /// A tenant (row-level-security) scope: begins the transaction, then, in one statement,
    /// sets the transaction-local scope token (signed with `key`, valid until `expires`; see
    /// xact/rls.hpp) and SET LOCAL ROLE `tenant_role`. The token goes as a bound parameter, so
    /// it never shows in pg_stat_activity, where other sessions of the same login could read it.
    /// Throws usage_error for an empty id.
    static xact tenant(pooled_connection&& h, const rls::signing_key& key, std::string_view user_id,
                         std::string_view organization_id, std::string_view tenant_role = default_tenant_role,
                         xact_options o = {}, std::chrono::system_clock::time_point expires = {}) {
        if (user_id.empty() || organization_id.empty())
            throw usage_error("pgorm: xact_tenant needs a user id and an organization id (got user_id '" +
                              std::string(user_id) + "', organization_id '" + std::string(organization_id) + "')");
        require_identifier_limit(tenant_role, "tenant role");
        if (expires == std::chrono::system_clock::time_point{})
            expires = std::chrono::system_clock::now() + std::chrono::minutes(5);
        std::string token = rls::scope_token(key, user_id, organization_id, expires);
        xact q(std::move(h), o, begun_by_caller{});
        {
            // BEGIN and the scope in one round trip; the Sync ends no explicit transaction block.
            pipeline p{*q.conn_};
            p.execute(begin_sql(o));
            p.execute("SELECT set_config('pgorm.scope', $1, true), set_config('role', $2, true)", token,
                      tenant_role);
            try {
                p.sync();
            } catch (...) {
                q.rollback_quietly();
                throw;
            }
        }
        return q;
    }

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
    ~xact() {
        if (state_ == state::open) rollback_quietly();
        owned_.release();
    }

    /// The scope protocol. Statements run in the innermost open savepoint.
    connection& conn() {
        if (state_ != state::open) throw usage_error(std::string("pgorm: this transaction scope ") + state_text());
        return *conn_;
    }

    /// Makes the work permanent (or, for a savepoint, part of the enclosing transaction).
    /// Throws serialization_failure / deadlock_detected (transaction_rollback) and deferred
    /// integrity_violation subclasses that the server reports at COMMIT, usage_error when the scope
    /// already ended or a statement in it failed, connection_lost.
    void commit() {
        check_can_end("commit");
        if (conn_->transaction_status() == PQTRANS_INERROR) {
            rollback_quietly();
            throw usage_error("pgorm: cannot commit: a statement in this transaction failed, so it was rolled back");
        }
        try {
            conn_->execute_script(parent_ ? "RELEASE SAVEPOINT " + savepoint_ : std::string("COMMIT"));
        } catch (...) {
            // The server ends a transaction whose COMMIT fails (a deferred constraint, a
            // serialization failure); a savepoint is still open and is rolled back.
            if (parent_) rollback_quietly();
            else finish(state::rolled_back);
            throw;
        }
        finish(state::committed);
    }

    /// Undoes the work now rather than at the end of the scope.
    /// Throws usage_error when the scope already ended; connection_lost.
    void rollback() {
        check_can_end("roll back");
        try {
            if (parent_)
                conn_->execute_script("ROLLBACK TO SAVEPOINT " + savepoint_ + "; RELEASE SAVEPOINT " + savepoint_);
            else conn_->execute_script("ROLLBACK");
        } catch (...) {
            finish(state::rolled_back);
            throw;
        }
        finish(state::rolled_back);
    }

    /// A nested scope (SAVEPOINT) in this one. Throws as xact(xact&).
    xact savepoint() { return xact(*this); }

    /// Sends a notification that listeners receive only if this transaction commits.
    /// Throws as pgorm::notify (core/notify.hpp).
    void notify(std::string_view channel, std::string_view payload = {}) { pgorm::notify(*this, channel, payload); }

    bool is_open() const noexcept { return state_ == state::open; }
    bool committed() const noexcept { return state_ == state::committed; }
    /// 0 for a transaction, 1 for a savepoint in it, and so on.
    int depth() const noexcept { return depth_; }

private:
    enum class state { open, committed, rolled_back, moved };

    struct begun_by_caller {};
    xact(pooled_connection&& h, const xact_options&, begun_by_caller) : owned_(std::move(h)) {
        conn_ = &owned_.conn();
        if (conn_->transaction_status() != PQTRANS_IDLE)
            throw usage_error("pgorm: cannot begin a transaction: the connection is already in one");
    }

    void begin(const xact_options& o) {
        if (conn_->transaction_status() != PQTRANS_IDLE)
            throw usage_error("pgorm: cannot begin a transaction: the connection is already in one "
                              "(make a nested scope from the open xact instead)");
        conn_->execute_script(begin_sql(o));
    }

    static std::string begin_sql(const xact_options& o) {
        std::string sql = "BEGIN";
        switch (o.level) {
            case isolation::server_default: break;
            case isolation::read_committed: sql += " ISOLATION LEVEL READ COMMITTED"; break;
            case isolation::repeatable_read: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
            case isolation::serializable: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
        }
        if (o.read_only) sql += " READ ONLY";
        if (o.deferrable) sql += " DEFERRABLE";
        return sql;
    }

    const char* state_text() const noexcept {
        switch (state_) {
            case state::committed: return "was already committed";
            case state::rolled_back: return "was already rolled back";
            case state::moved: return "was moved from";
            default: return "is open";
        }
    }

    void check_can_end(const char* what) {
        if (state_ != state::open)
            throw usage_error(std::string("pgorm: cannot ") + what + ": this transaction scope " + state_text());
        if (child_)
            throw usage_error(std::string("pgorm: cannot ") + what +
                              " a transaction while a savepoint in it is open; end the savepoint first");
    }

    void finish(state s) noexcept {
        state_ = s;
        if (child_) {  // an enclosing scope that ends first takes its open savepoint with it
            child_->state_ = state::rolled_back;
            child_->parent_ = nullptr;
            child_ = nullptr;
        }
        if (parent_) parent_->child_ = nullptr;
        parent_ = nullptr;
        owned_.release();
    }

    void rollback_quietly() noexcept {
        try {
            if (conn_->is_open()) {
                if (parent_)
                    conn_->execute_script("ROLLBACK TO SAVEPOINT " + savepoint_ + "; RELEASE SAVEPOINT " + savepoint_);
                else conn_->execute_script("ROLLBACK");
            }
        } catch (...) {  // a lost connection rolls back by itself; a pool drops it on return
        }
        finish(state::rolled_back);
    }

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
