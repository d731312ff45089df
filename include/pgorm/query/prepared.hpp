#pragma once
// A query rendered once and run many times with other values: the bind-only path for a shape that
// repeats (issue 22's "render once per shape"). select_query::prepare() makes one; its fetch()
// encodes the values of the pgorm::arg() placeholders (query/arg.hpp) and runs the fixed text, so
// a request costs what the same statement written by hand costs through connection::query.
//
// The server side is the connection's prepared-statement cache (keyed by text and parameter
// types): the first run on a connection prepares the statement, later runs execute it by name.
// A prepared_query holds no connection: one object serves every connection and thread (it is
// immutable; copies share the rendered state).

#include <pgorm/core/connection.hpp>
#include <pgorm/core/detail/connection_access.hpp>
#include <pgorm/query/arg.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {

/// fetch<R>()'s check of the row type, shared by select_query and prepared_query.
template <class R>
constexpr bool fetchable_row() {
    static_assert(pgorm::row_type<R>, "pgorm: fetch<R>() reads rows into a type with a codec, a described struct, "
                                      "a std::tuple or a plain aggregate");
    return owned_row_required<R>::value;
}

/// Text arguments travel as std::string_view, so that a std::string placeholder accepts a string
/// literal or a std::string_view as well as a std::string.
template <class A>
inline constexpr bool text_arg = std::is_convertible_v<const A&, std::string_view>;
template <class A>
decltype(auto) as_sent(const A& a) {
    if constexpr (text_arg<A>) return std::string_view(a);
    else return (a);
}

}  // namespace detail

/// A rendered SELECT whose pgorm::arg() placeholders are given at each run. Row is the query's
/// row_type (select_query::row_type).
template <class Row>
class prepared_query {
public:
    using row_type = Row;

    /// Made by select_query::prepare(): the rendered statement and the placeholders it holds.
    prepared_query(sql_builder rendered, std::vector<detail::arg_slot> slots)
        : state_(std::make_shared<const state>(std::move(rendered), std::move(slots))) {}

    /// The statement text ($1, $2 ... in order; debugging and tests).
    const std::string& sql() const noexcept { return state_->sql; }
    /// How many values each run gives: the pgorm::arg() placeholders, in the order of the text.
    std::size_t arg_count() const noexcept { return state_->slots.size(); }

    /// Runs the statement with `args` for its placeholders (in the order they appear in sql())
    /// and reads every row as R (row_type by default; see select_query::fetch). Each argument
    /// must have the C++ type of the column it is compared with (std::int64_t for LIMIT and
    /// OFFSET; any text for a std::string column). Throws usage_error when the number or a type
    /// of the arguments does not match (naming the parameter and both types), and as
    /// connection::query: sql_error from the server, column_mismatch / type_mismatch,
    /// unexpected_null, decode_error, connection_lost.
    template <class R = row_type, scope Scope, class... A>
    std::vector<R> fetch(Scope& s, const A&... args) const {
        static_assert(detail::fetchable_row<R>());
        return run(s.conn(), args...).template as<R>();
    }
    /// At most one row (more is a usage_error). Throws as fetch().
    template <class R = row_type, scope Scope, class... A>
    std::optional<R> fetch_one(Scope& s, const A&... args) const {
        static_assert(detail::fetchable_row<R>());
        return run(s.conn(), args...).template one<R>();
    }

private:
    /// Immutable once made; the value pointers point into `fixed`, which never moves (the state
    /// lives on the heap), so the parameter arrays are built once here.
    struct state {
        state(sql_builder b, std::vector<detail::arg_slot> s) : sql(std::move(b.sql)), fixed(std::move(b.params)), slots(std::move(s)) {
            param_refs r = fixed.refs();
            types.assign(r.types, r.types + r.count);
            values.assign(r.values, r.values + r.count);
            lengths.assign(r.lengths, r.lengths + r.count);
            formats.assign(r.formats, r.formats + r.count);
            only_args = static_cast<int>(slots.size()) == r.count;
        }
        std::string sql;
        param_list fixed;  // the values bound at build time, a typed NULL in each placeholder's place
        std::vector<detail::arg_slot> slots;
        std::vector<oid_t> types;
        std::vector<const char*> values;
        std::vector<int> lengths, formats;
        bool only_args = false;  // every parameter is a placeholder: the arguments are the whole list
    };

    template <class... A>
    result run(connection& c, const A&... args) const {
        const state& st = *state_;
        if (sizeof...(A) != st.slots.size())
            throw usage_error("pgorm: this prepared query takes " + std::to_string(st.slots.size()) +
                              " value(s) for its pgorm::arg() placeholders, got " + std::to_string(sizeof...(A)) +
                              ": " + st.sql);
        std::size_t i = 0;
        (check_arg<A>(st.slots[i++]), ...);
        if (st.only_args) return c.execute(st.sql, detail::as_sent(args)...);
        return run_mixed(c, st, detail::as_sent(args)...);
    }

    // Some values were bound at build time: the arguments go into their placeholders' places.
    template <class... A>
    static result run_mixed(connection& c, const state& st, const A&... args) {
        packed_params<sizeof...(A)> given(detail::connection_access::encode_buffer(c), args...);
        param_refs g = given.refs();
        std::vector<oid_t> types = st.types;
        std::vector<const char*> values = st.values;
        std::vector<int> lengths = st.lengths, formats = st.formats;
        for (int k = 0; k < g.count; ++k) {
            auto at = static_cast<std::size_t>(st.slots[static_cast<std::size_t>(k)].number - 1);
            types[at] = g.types[k];
            values[at] = g.values[k];
            lengths[at] = g.lengths[k];
            formats[at] = g.formats[k];
        }
        param_refs merged{static_cast<int>(types.size()), types.data(), values.data(), lengths.data(), formats.data()};
        return detail::connection_access::run(c, st.sql, merged);
    }

    template <class A>
    static void check_arg(const detail::arg_slot& slot) {
        if (slot.type == &detail::type_tag<A>) return;
        if constexpr (detail::text_arg<A>)
            if (slot.type == &detail::type_tag<std::string>) return;
        throw usage_error("pgorm: value for $" + std::to_string(slot.number) + " of this prepared query is a " +
                          std::string(cpp_type_name<A>()) + "; the placeholder binds the column's type " +
                          std::string(slot.type_name) + " (convert it first)");
    }

    std::shared_ptr<const state> state_;
};

}  // namespace pgorm
