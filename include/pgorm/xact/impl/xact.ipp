#pragma once
// Bodies of xact/xact.hpp. Included at the end of the header (header-only) or by
// <pgorm/src.hpp> (PGORM_SEPARATE_COMPILATION).

#include <pgorm/core/notify.hpp>
#include <pgorm/core/pipeline.hpp>
#include <pgorm/reflect/identifier.hpp>
#include <pgorm/types/string.hpp>
#include <pgorm/xact/xact.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace pgorm {

PGORM_DECL xact::xact(connection& c, xact_options o) : conn_(&c) { begin(o); }

PGORM_DECL xact::xact(pooled_connection&& h, xact_options o) : owned_(std::move(h)) {
    conn_ = &owned_.conn();
    begin(o);
}

PGORM_DECL xact::xact(xact& outer) : conn_(&outer.conn()), parent_(&outer), depth_(outer.depth_ + 1) {
    if (outer.child_) throw usage_error("pgorm: this transaction already has an open savepoint; end it first");
    savepoint_ = "pgorm_savepoint_" + std::to_string(depth_);
    conn_->execute_script("SAVEPOINT " + savepoint_);
    outer.child_ = this;
}

PGORM_DECL xact xact::tenant(pooled_connection&& h, const rls::signing_key& key, std::string_view user_id,
                             std::string_view organization_id, std::string_view tenant_role, xact_options o,
                             std::chrono::system_clock::time_point expires) {
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
        p.execute("SELECT set_config('pgorm.scope', $1, true), set_config('role', $2, true)", token, tenant_role);
        try {
            p.sync();
        } catch (...) {
            q.rollback_quietly();
            throw;
        }
    }
    return q;
}

PGORM_DECL xact::~xact() {
    if (state_ == state::open) rollback_quietly();
    owned_.release();
}

PGORM_DECL void xact::commit() {
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

PGORM_DECL void xact::rollback() {
    check_can_end("roll back");
    try {
        if (parent_) conn_->execute_script("ROLLBACK TO SAVEPOINT " + savepoint_ + "; RELEASE SAVEPOINT " + savepoint_);
        else conn_->execute_script("ROLLBACK");
    } catch (...) {
        finish(state::rolled_back);
        throw;
    }
    finish(state::rolled_back);
}

PGORM_DECL void xact::notify(std::string_view channel, std::string_view payload) {
    pgorm::notify(*this, channel, payload);
}

PGORM_DECL xact::xact(pooled_connection&& h, const xact_options&, begun_by_caller) : owned_(std::move(h)) {
    conn_ = &owned_.conn();
    if (conn_->transaction_status() != PQTRANS_IDLE)
        throw usage_error("pgorm: cannot begin a transaction: the connection is already in one");
}

PGORM_DECL void xact::begin(const xact_options& o) {
    if (conn_->transaction_status() != PQTRANS_IDLE)
        throw usage_error(
            "pgorm: cannot begin a transaction: the connection is already in one "
            "(make a nested scope from the open xact instead)");
    conn_->execute_script(begin_sql(o));
}

PGORM_DECL std::string xact::begin_sql(const xact_options& o) {
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

PGORM_DECL const char* xact::state_text() const noexcept {
    switch (state_) {
        case state::committed: return "was already committed";
        case state::rolled_back: return "was already rolled back";
        case state::moved: return "was moved from";
        default: return "is open";
    }
}

PGORM_DECL void xact::check_can_end(const char* what) {
    if (state_ != state::open)
        throw usage_error(std::string("pgorm: cannot ") + what + ": this transaction scope " + state_text());
    if (child_)
        throw usage_error(std::string("pgorm: cannot ") + what +
                          " a transaction while a savepoint in it is open; end the savepoint first");
}

PGORM_DECL void xact::finish(state s) noexcept {
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

PGORM_DECL void xact::rollback_quietly() noexcept {
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

}  // namespace pgorm
