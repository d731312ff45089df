#pragma once
// Column assignments for partial updates, and ON CONFLICT clauses for upsert.
//
//   users.update_columns(id, pgorm::set(&User::first_name, "Ada"),
//                            pgorm::increment(&User::credits_balance, 100),        // no read-modify-write
//                            pgorm::merge_json(&User::preferences, R"({"company": "Acme Inc"})"));
//
//   txns.upsert(t, pgorm::on_conflict(&Transaction::stripe_session_extid).do_nothing());
//   users.upsert(u, pgorm::on_conflict(&User::email).do_update(&User::first_name, &User::last_name));

#include <pgorm/repo/filter.hpp>

#include <string_view>
#include <vector>

namespace pgorm {

/// One `"column" = expression` of an UPDATE's SET list.
template <class T>
class assignment {
public:
    explicit assignment(detail::node_ptr n) : node_(std::move(n)) {}
    void render(sql_builder& b) const { node_->render(b); }

private:
    detail::node_ptr node_;
};

/// column = value (std::nullopt for NULL on an optional member).
template <class T, class M, class V>
assignment<T> set(M T::*member, const V& value) {
    static_assert(std::is_constructible_v<M, const V&>, "pgorm: this value cannot be converted to the member's type");
    return assignment<T>(detail::make_node([n = column_name_of(member), v = M(value)](sql_builder& b) {
        b.ident(n) << " = ";
        b.bind(v);
    }));
}

/// column = column + delta, computed by the server: concurrent increments are not lost.
template <class T, class M, class V>
assignment<T> increment(M T::*member, const V& delta) {
    using D = detail::column_value_t<M>;
    static_assert(std::is_arithmetic_v<D>, "pgorm: increment() needs a numeric member");
    return assignment<T>(detail::make_node([n = column_name_of(member), d = D(delta)](sql_builder& b) {
        b.ident(n) << " = ";
        b.ident(n) << " + ";
        b.bind(d);
    }));
}

/// column = COALESCE(column, '{}') || patch: merges top-level keys of a JSON object into a jsonb
/// column in SQL, without reading the row (seed 004's `preferences || :new_data`). `patch` is JSON
/// text or any value with a json/jsonb codec.
template <class T, class M, class J>
assignment<T> merge_json(M T::*member, const J& patch) {
    return assignment<T>(detail::make_node([n = column_name_of(member), p = detail::stored_t<J>(patch)](sql_builder& b) {
        b.ident(n) << " = COALESCE(";
        b.ident(n) << ", '{}'::jsonb) || CAST(";
        b.bind(p) << " AS jsonb)";
    }));
}

/// The conflict target and action of an upsert; made by pgorm::on_conflict(&T::unique_column...).
template <class T>
class conflict_clause {
public:
    explicit conflict_clause(std::vector<std::string_view> target) : target_(std::move(target)) {}

    /// ON CONFLICT (...) DO NOTHING: the existing row is left alone, nothing is returned for it.
    conflict_clause do_nothing() const {
        conflict_clause c = *this;
        c.update_ = false;
        c.columns_.clear();
        return c;
    }
    /// ON CONFLICT (...) DO UPDATE SET c = EXCLUDED.c for the given members; with none, every
    /// inserted column that is neither the key nor the conflict target.
    template <class... M>
    conflict_clause do_update(M T::*... members) const {
        conflict_clause c = *this;
        c.update_ = true;
        c.columns_ = {column_name_of(members)...};
        return c;
    }

    const std::vector<std::string_view>& target() const noexcept { return target_; }
    bool updates() const noexcept { return update_; }
    const std::vector<std::string_view>& update_columns() const noexcept { return columns_; }

private:
    std::vector<std::string_view> target_;
    bool update_ = false;
    std::vector<std::string_view> columns_;
};

/// The unique columns an upsert conflicts on.
template <class T, class... M>
conflict_clause<T> on_conflict(M T::*... unique_columns) {
    static_assert(sizeof...(M) >= 1, "pgorm: on_conflict() needs the unique column(s) to conflict on");
    return conflict_clause<T>({column_name_of(unique_columns)...});
}

}  // namespace pgorm
