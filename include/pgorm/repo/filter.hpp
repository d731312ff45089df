#pragma once
// Typed filters over member pointers: the WHERE clause of repository<T> reads.
//
//   using pgorm::col;
//   auto f = col(&User::credits_balance) > 10 && col(&User::first_name).is_null();
//   f = f || col(&User::user_id).in(ids);                      // one array parameter: = ANY($n)
//   auto acme = col(&User::preferences).path({"company"}) == "Acme Inc";
//
//   pgorm::filter<User> where;                                 // empty: every row
//   if (name) where &= col(&User::first_name).ilike(*name + "%");   // optional filters at run time
//
// Every value is a bound parameter, converted to the column's C++ type first. A filter knows its
// struct: filters on different structs do not combine, and repository<User> refuses filter<Org>.

#include <pgorm/repo/sql.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace pgorm {

namespace detail {
/// True when a value of type V may stand for a column whose C++ type (without std::optional) is C:
/// C is constructible from it, and the conversion neither drops a fraction (1.5 against a bigint),
/// turns a number into a boolean or back, nor builds text from a null pointer.
template <class C, class V>
inline constexpr bool comparable_with_column =
    std::is_constructible_v<C, const V&> && !std::is_null_pointer_v<V> &&
    !(std::is_floating_point_v<V> && std::is_integral_v<C>) &&
    !(std::is_arithmetic_v<V> && std::is_arithmetic_v<C> && std::is_same_v<V, bool> != std::is_same_v<C, bool>);

/// A node of a filter's tree, shared between the filters that hold it and counted in the node
/// itself (an intrusive count), so that filters need neither <memory> nor std::shared_ptr's
/// per-type control blocks (docs/performance.md, "The repository TU (issue 16, sixth pass)").
/// Nodes are immutable once built; copies of a filter may be used from several threads.
class filter_node {
public:
    filter_node() = default;
    // A copy (a node built on the stack, then moved to the heap) starts with no owner.
    filter_node(const filter_node&) noexcept {}
    filter_node& operator=(const filter_node&) noexcept { return *this; }
    virtual ~filter_node() = default;
    virtual void render(sql_builder& b) const = 0;

private:
    friend class node_ptr;
    // GCC's atomic built-ins rather than std::atomic: nothing is instantiated per translation unit.
    void retain() const noexcept { __atomic_add_fetch(&refs_, 1, __ATOMIC_RELAXED); }
    void release() const noexcept {
        if (__atomic_sub_fetch(&refs_, 1, __ATOMIC_ACQ_REL) == 0) delete this;
    }
    mutable long refs_ = 0;
};

/// An owning, shared handle to a filter_node (what std::shared_ptr<const filter_node> was).
class node_ptr {
public:
    node_ptr() noexcept = default;
    node_ptr(std::nullptr_t) noexcept {}
    /// Takes a node fresh from `new`.
    explicit node_ptr(const filter_node* fresh) noexcept : p_(fresh) {
        if (p_) p_->retain();
    }
    node_ptr(const node_ptr& o) noexcept : p_(o.p_) {
        if (p_) p_->retain();
    }
    node_ptr(node_ptr&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    node_ptr& operator=(const node_ptr& o) noexcept {
        if (o.p_) o.p_->retain();
        reset(o.p_);
        return *this;
    }
    node_ptr& operator=(node_ptr&& o) noexcept {
        if (this != &o) {
            reset(o.p_);
            o.p_ = nullptr;
        }
        return *this;
    }
    ~node_ptr() { reset(nullptr); }

    const filter_node* get() const noexcept { return p_; }
    const filter_node* operator->() const noexcept { return p_; }
    const filter_node& operator*() const noexcept { return *p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    friend bool operator==(const node_ptr& a, std::nullptr_t) noexcept { return a.p_ == nullptr; }

private:
    void reset(const filter_node* to) noexcept {
        const filter_node* old = p_;
        p_ = to;
        if (old) old->release();
    }
    const filter_node* p_ = nullptr;
};

template <class F>
struct fn_node final : filter_node {
    F f;
    explicit fn_node(F fn) : f(std::move(fn)) {}
    void render(sql_builder& b) const override { f(b); }
};
/// A node rendered by a lambda (the query builder's); repository filters use the node types below.
template <class F>
node_ptr make_node(F f) {
    return node_ptr(new fn_node<F>(std::move(f)));
}

// Repository filters are built from these few node types, one of each whatever the struct or the
// column type, so that a filter adds no node class or lambda of its own to a
// translation unit (docs/performance.md, "Instantiation cost of the repository TU"). Values are
// encoded when the filter is built (detail::encode_ahead) and bound when it renders. The types
// and helpers are templates of an unused parameter only so that a translation unit that builds
// no filter does not instantiate their std::vector code (+0.15 s otherwise, with std::shared_ptr):
// the filter templates name them through lazy<T>, which is void but depends on T.
template <class T> struct lazy_void { using type = void; };
template <class T> using lazy = typename lazy_void<T>::type;

/// A condition made of SQL text, quoted identifiers and encoded values, rendered in order.
template <class Unused = void>
class condition_node final : public filter_node {
public:
    /// Appends SQL text; `s` must outlive the node (literals and table<T>'s column names do).
    condition_node& text(std::string_view s) {
        parts_.push_back({part::sql, s, {}});
        return *this;
    }
    /// Appends a quoted identifier; `name` must outlive the node, as for text().
    condition_node& ident(std::string_view name) {
        parts_.push_back({part::identifier, name, {}});
        return *this;
    }
    /// Appends a placeholder bound to `v` when rendered.
    condition_node& value(encoded_param v) {
        parts_.push_back({part::parameter, {}, std::move(v)});
        return *this;
    }
    void render(sql_builder& b) const override {
        for (const part& p : parts_) {
            if (p.kind == part::sql) b << p.text;
            else if (p.kind == part::identifier) b.ident(p.text);
            else b.bind_encoded(p.value);
        }
    }

private:
    struct part {
        enum kind_t : unsigned char { sql, identifier, parameter } kind;
        std::string_view text;
        encoded_param value;
    };
    std::vector<part> parts_;
};

/// "(a AND b)", "(a OR b)", or "NOT (a)" when b is null.
template <class Unused = void>
class junction_node final : public filter_node {
public:
    junction_node(node_ptr a, node_ptr b, std::string_view op)
        : a_(std::move(a)), b_(std::move(b)), op_(op) {}
    void render(sql_builder& b) const override {
        if (!b_) {
            b << "NOT (";
            a_->render(b);
            b << ")";
            return;
        }
        b << "(";
        a_->render(b);
        b << op_;
        b_->render(b);
        b << ")";
    }

private:
    node_ptr a_, b_;
    std::string_view op_;
};

template <class Unused = void>
node_ptr share(condition_node<Unused> n) {
    return node_ptr(new condition_node<Unused>(std::move(n)));
}
template <class Unused = void>
node_ptr junction(node_ptr a, node_ptr b,
                                            std::string_view op) {
    return node_ptr(new junction_node<Unused>(std::move(a), std::move(b), op));
}
/// `column op $n`.
template <class Unused = void>
node_ptr comparison(std::string_view column, std::string_view op, encoded_param v) {
    condition_node<Unused> n;
    n.ident(column).text(" ").text(op).text(" ").value(std::move(v));
    return share<Unused>(std::move(n));
}
/// `column what` (IS NULL, IS NOT NULL).
template <class Unused = void>
node_ptr column_test(std::string_view column, std::string_view what) {
    condition_node<Unused> n;
    n.ident(column).text(" ").text(what);
    return share<Unused>(std::move(n));
}
/// `(column #>> ARRAY[$a, ...]::text[])` then ` op $n` (or ` op` alone when v is empty: IS NULL).
template <class Unused = void>
node_ptr json_path_condition(std::string_view column, const std::vector<std::string>& path,
                                                       std::string_view op, std::optional<encoded_param> v) {
    condition_node<Unused> n;
    n.text("(").ident(column).text(" #>> ARRAY[");
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (i) n.text(", ");
        n.value(encode_ahead(path[i]));
    }
    n.text("]::text[]) ").text(op);
    if (v) n.text(" ").value(std::move(*v));
    return share<Unused>(std::move(n));
}
}  // namespace detail

/// A condition on rows of T. Default-constructed it matches every row and renders nothing.
template <class T>
class filter {
public:
    filter() = default;
    explicit filter(detail::node_ptr n) : node_(std::move(n)) {}

    /// A filter that matches every row but is not empty (for remove/update of all rows on purpose).
    static filter all() {
        detail::condition_node<detail::lazy<T>> n;
        n.text("TRUE");
        return filter(detail::share<detail::lazy<T>>(std::move(n)));
    }

    bool empty() const noexcept { return node_ == nullptr; }
    /// Appends the condition ("TRUE" when empty).
    void render(sql_builder& b) const {
        if (node_) node_->render(b);
        else b << "TRUE";
    }

    filter& operator&=(const filter& o) { return *this = *this && o; }
    filter& operator|=(const filter& o) { return *this = *this || o; }

    friend filter operator&&(const filter& a, const filter& b) {
        if (a.empty()) return b;
        if (b.empty()) return a;
        return filter(detail::junction<detail::lazy<T>>(a.node_, b.node_, " AND "));
    }
    friend filter operator||(const filter& a, const filter& b) {
        if (a.empty() || b.empty()) return filter{};  // "every row" absorbs the other side
        return filter(detail::junction<detail::lazy<T>>(a.node_, b.node_, " OR "));
    }
    friend filter operator!(const filter& a) {
        if (a.empty()) return !all();
        return filter(detail::junction<detail::lazy<T>>(a.node_, nullptr, {}));
    }

private:
    detail::node_ptr node_;
};

template <class A, class B>
    requires(!std::is_same_v<A, B>)
filter<A> operator&&(const filter<A>&, const filter<B>&) {  // returns a filter: no second error at the call
    static_assert(std::is_same_v<A, B>, "pgorm: these filters are on columns of different structs and cannot be combined");
    return {};
}
template <class A, class B>
    requires(!std::is_same_v<A, B>)
filter<A> operator||(const filter<A>&, const filter<B>&) {  // returns a filter: no second error at the call
    static_assert(std::is_same_v<A, B>, "pgorm: these filters are on columns of different structs and cannot be combined");
    return {};
}

/// The text at a path inside a jsonb column (`column #>> ARRAY[...]`), compared as text.
template <class T>
class json_path {
public:
    json_path(std::string_view column, std::vector<std::string> path) : column_(column), path_(std::move(path)) {}

    filter<T> operator==(std::string_view v) const { return compare("=", std::string(v)); }
    filter<T> operator!=(std::string_view v) const { return compare("IS DISTINCT FROM", std::string(v)); }
    filter<T> is_null() const { return test("IS NULL"); }
    filter<T> is_not_null() const { return test("IS NOT NULL"); }

private:
    filter<T> compare(const char* op, std::string v) const {
        return filter<T>(detail::json_path_condition<detail::lazy<T>>(column_, path_, op, detail::encode_ahead(v)));
    }
    filter<T> test(const char* what) const {
        return filter<T>(detail::json_path_condition<detail::lazy<T>>(column_, path_, what, std::nullopt));
    }
    std::string_view column_;
    std::vector<std::string> path_;
};

/// A column of T whose C++ member type is M; made by pgorm::col(&T::member).
template <class T, class M>
class column_ref {
public:
    using value_type = detail::column_value_t<M>;

    explicit column_ref(std::string_view name) : name_(name) {}
    std::string_view name() const noexcept { return name_; }

    template <class V> filter<T> operator==(const V& v) const { return compare("=", v); }
    template <class V> filter<T> operator!=(const V& v) const { return compare("<>", v); }
    template <class V> filter<T> operator<(const V& v) const { return compare("<", v); }
    template <class V> filter<T> operator<=(const V& v) const { return compare("<=", v); }
    template <class V> filter<T> operator>(const V& v) const { return compare(">", v); }
    template <class V> filter<T> operator>=(const V& v) const { return compare(">=", v); }

    filter<T> is_null() const { return test("IS NULL"); }
    filter<T> is_not_null() const { return test("IS NOT NULL"); }

    /// column = ANY($n): the whole list is one array parameter; an empty list matches nothing.
    template <class V>
    filter<T> in(const std::vector<V>& values) const {
        return any_of("", values);
    }
    filter<T> in(std::initializer_list<value_type> values) const { return in(std::vector<value_type>(values)); }
    /// NOT (column = ANY($n)); an empty list matches every non-NULL value.
    template <class V>
    filter<T> not_in(const std::vector<V>& values) const {
        return any_of("NOT ", values);
    }

    filter<T> like(std::string_view pattern) const { return compare("LIKE", std::string(pattern)); }
    filter<T> ilike(std::string_view pattern) const { return compare("ILIKE", std::string(pattern)); }

    template <class V1, class V2>
    filter<T> between(const V1& low, const V2& high) const {
        detail::condition_node<detail::lazy<T>> n;
        n.ident(name_).text(" BETWEEN ").value(detail::encode_ahead(as_value(low)));
        n.text(" AND ").value(detail::encode_ahead(as_value(high)));
        return filter<T>(detail::share<detail::lazy<T>>(std::move(n)));
    }

    /// jsonb containment: column @> value. `json` is JSON text or any value with a json/jsonb codec.
    template <class J>
    filter<T> contains(const J& json) const {
        detail::condition_node<detail::lazy<T>> n;
        n.ident(name_).text(" @> CAST(").value(detail::encode_ahead(detail::stored_t<J>(json))).text(" AS jsonb)");
        return filter<T>(detail::share<detail::lazy<T>>(std::move(n)));
    }
    /// The text at a path inside a jsonb column: col(&User::preferences).path({"company"}) == "Acme Inc".
    json_path<T> path(std::initializer_list<std::string_view> keys) const {
        std::vector<std::string> p(keys.begin(), keys.end());
        if (p.empty()) throw usage_error("pgorm: a JSON path on column \"" + std::string(name_) + "\" needs at least one key");
        return json_path<T>(name_, std::move(p));
    }

private:
    template <class V>
    static value_type as_value(const V& v) {
        static_assert(detail::comparable_with_column<value_type, V>,
                      "pgorm: a filter compares this column with a value of another type (comparable_with_column<column "
                      "type, value type> below): pass a value of the member's C++ type, convert it "
                      "first, or use is_null() for NULL");
        if constexpr (detail::comparable_with_column<value_type, V>) return value_type(v);
        else return value_type{};
    }
    template <class V>
    filter<T> compare(const char* op, const V& v) const {
        return filter<T>(detail::comparison<detail::lazy<T>>(name_, op, detail::encode_ahead(as_value(v))));
    }
    filter<T> test(const char* what) const { return filter<T>(detail::column_test<detail::lazy<T>>(name_, what)); }
    template <class V>
    filter<T> any_of(const char* negate, const std::vector<V>& values) const {
        static_assert(has_codec<std::vector<value_type>>,
                      "pgorm: IN needs the array codec of the column type (include <pgorm/types.hpp>)");
        std::vector<value_type> list;
        list.reserve(values.size());
        for (const auto& v : values) list.push_back(as_value(v));
        detail::condition_node<detail::lazy<T>> n;
        n.text(negate).text("(").ident(name_).text(" = ANY(").value(detail::encode_ahead(list)).text("))");
        return filter<T>(detail::share<detail::lazy<T>>(std::move(n)));
    }

    std::string_view name_;
};

/// The column a member pointer names, for filters: col(&User::email) == "a@b.c".
template <class T, class M>
column_ref<T, M> col(M T::*member) {
    return column_ref<T, M>(column_name_of(member));
}

// ---- ORDER BY, LIMIT, OFFSET and keyset pagination ----

/// One ORDER BY term.
template <class T>
struct order_term {
    std::string_view column;
    bool descending = false;
};
template <class T, class M> order_term<T> asc(M T::*m) { return {column_name_of(m), false}; }
template <class T, class M> order_term<T> desc(M T::*m) { return {column_name_of(m), true}; }

namespace detail {
/// An ORDER BY term without its struct: what ordering<T> keeps.
struct order_column {
    std::string_view column;
    bool descending = false;
};

/// The keyset condition of ordering::after(): (a, b) > ($1, $2) when every term has the same
/// direction (an index can serve it), else the expanded form a > $1 OR (a = $1 AND b < $2) ...
template <class Unused = void>
class seek_node final : public filter_node {
public:
    seek_node(std::vector<order_column> terms, std::vector<encoded_param> values)
        : terms_(std::move(terms)), values_(std::move(values)) {}
    void render(sql_builder& b) const override {
        bool uniform = true;
        for (const auto& t : terms_) uniform = uniform && t.descending == terms_.front().descending;
        if (uniform) {
            b << "(";
            for (std::size_t i = 0; i < terms_.size(); ++i) (b << (i ? ", " : "")).ident(terms_[i].column);
            b << (terms_.front().descending ? ") < (" : ") > (");
            for (std::size_t i = 0; i < values_.size(); ++i) (b << (i ? ", " : "")).bind_encoded(values_[i]);
            b << ")";
            return;
        }
        // Placeholders are bound once each and reused in the expansion.
        std::vector<std::string> ph;
        for (const auto& v : values_) ph.push_back("$" + std::to_string(b.params.add_encoded(v)));
        b << "(";
        for (std::size_t k = 0; k < terms_.size(); ++k) {
            b << (k ? " OR (" : "(");
            for (std::size_t j = 0; j < k; ++j) b.ident(terms_[j].column) << " = " << ph[j] << " AND ";
            b.ident(terms_[k].column) << (terms_[k].descending ? " < " : " > ") << ph[k] << ")";
        }
        b << ")";
    }

private:
    std::vector<order_column> terms_;
    std::vector<encoded_param> values_;
};

/// Throws usage_error for a negative LIMIT or OFFSET (`what`).
template <class Unused = void>
std::int64_t non_negative(std::int64_t n, const char* what) {
    if (n < 0) throw usage_error(std::string("pgorm: ") + what + " must not be negative, got " + std::to_string(n));
    return n;
}

/// Appends " ORDER BY ... LIMIT $n OFFSET $m" (the first `count` terms).
template <class Unused = void>
void render_order_tail(sql_builder& b, const order_column* terms, std::size_t count,
                       const std::optional<std::int64_t>& limit, const std::optional<std::int64_t>& offset) {
    for (std::size_t i = 0; i < count; ++i) {
        b << (i ? ", " : " ORDER BY ");
        b.ident(terms[i].column) << (terms[i].descending ? " DESC" : "");
    }
    if (limit) (b << " LIMIT ").bind(*limit);
    if (offset) (b << " OFFSET ").bind(*offset);
}
}  // namespace detail

/// ORDER BY, LIMIT, OFFSET and a keyset position; a clause of repository<T>::find().
///   order_by(desc(&User::created_at), asc(&User::user_id)).after(last.created_at, last.user_id).limit(50)
template <class T>
class ordering {
public:
    ordering() = default;
    explicit ordering(const std::vector<order_term<T>>& terms) {
        terms_.reserve(terms.size());
        for (const auto& t : terms) terms_.push_back({t.column, t.descending});
    }

    /// Throws usage_error for a negative n.
    ordering& limit(std::int64_t n) & {
        limit_ = detail::non_negative<detail::lazy<T>>(n, "LIMIT");
        return *this;
    }
    /// Throws usage_error for a negative n.
    ordering& offset(std::int64_t n) & {
        offset_ = detail::non_negative<detail::lazy<T>>(n, "OFFSET");
        return *this;
    }
    ordering&& limit(std::int64_t n) && { return std::move(limit(n)); }
    ordering&& offset(std::int64_t n) && { return std::move(offset(n)); }

    /// Keyset (seek) pagination: rows strictly after the given values of the ORDER BY columns, in
    /// the order's directions. Pass the last row's values of the previous page. Throws
    /// usage_error unless there is one value per ORDER BY column.
    template <class... V>
    ordering& after(const V&... values) & {
        if (sizeof...(V) != terms_.size())
            throw usage_error("pgorm: after() takes one value per ORDER BY column: " + std::to_string(terms_.size()) +
                              " expected, " + std::to_string(sizeof...(V)) + " given");
        std::vector<detail::encoded_param> encoded;
        encoded.reserve(sizeof...(V));
        (encoded.push_back(detail::encode_ahead(detail::stored_t<V>(values))), ...);
        seek_ = filter<T>(detail::node_ptr(new detail::seek_node<detail::lazy<T>>(terms_, std::move(encoded))));
        return *this;
    }
    template <class... V>
    ordering&& after(const V&... values) && {
        return std::move(after(values...));
    }

    const filter<T>& seek() const noexcept { return seek_; }
    /// Appends " ORDER BY ... LIMIT $n OFFSET $m"; `limit_instead`, when set, replaces the LIMIT
    /// (find_one's 1) without copying the ordering.
    void render_tail(sql_builder& b, std::optional<std::int64_t> limit_instead = std::nullopt) const {
        detail::render_order_tail<detail::lazy<T>>(b, terms_.data(), terms_.size(), limit_instead ? limit_instead : limit_, offset_);
    }

private:
    std::vector<detail::order_column> terms_;
    std::optional<std::int64_t> limit_, offset_;
    filter<T> seek_;
};

/// ORDER BY terms: order_by(asc(&User::email), desc(&User::user_id)).
template <class T, class... More>
ordering<T> order_by(order_term<T> first, More... more) {
    return ordering<T>(std::vector<order_term<T>>{first, more...});
}
/// Ascending by one member: order_by(&User::email).
template <class T, class M>
ordering<T> order_by(M T::*m) {
    return ordering<T>({asc(m)});
}
/// LIMIT without ORDER BY (the server picks the rows).
template <class T>
ordering<T> limit(std::int64_t n) {
    return ordering<T>{}.limit(n);
}

}  // namespace pgorm
