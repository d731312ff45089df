#pragma once
// pgorm::arg(): a value a query leaves open, given each time its prepared form runs (issue 22,
// "statements whose shape repeats"; SQLAlchemy Core's bindparam()).
//
//   auto top = pgorm::select(col(&User::email))
//                  .from<User>()
//                  .where(col(&User::credits_balance) >= pgorm::arg())
//                  .limit(pgorm::arg())
//                  .prepare();                          // renders the text once
//   top.fetch(conn, std::int64_t{100}, std::int64_t{10});  // binds the two values, nothing else
//
// An arg() takes the C++ type of the column it is compared with (LIMIT and OFFSET: std::int64_t)
// and renders as the next $n like any bound value. While a statement is rendered, the placeholders
// it meets are noted (number and type) so that prepare() knows which parameters the caller gives.

#include <pgorm/repo/sql.hpp>
#include <pgorm/types/codec.hpp>

#include <charconv>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgorm {

/// The placeholder pgorm::arg() returns; compare a column with it, or pass it to limit()/offset().
struct query_arg {};

/// A value given later, when the prepared query runs (select_query::prepare()).
constexpr query_arg arg() noexcept { return {}; }

namespace detail {

template <class V> inline constexpr bool is_query_arg = std::is_same_v<std::remove_cvref_t<V>, query_arg>;

/// One address per C++ type: compares argument types with one pointer comparison.
template <class V> inline constexpr char type_tag = 0;

/// A placeholder met while rendering: its parameter number ($n) and the C++ type it binds.
struct arg_slot {
    int number;
    const void* type;
    std::string_view type_name;
};

/// Collects the placeholders of one rendering (render() installs one for its thread).
struct arg_recorder {
    std::vector<arg_slot> slots;
};
inline thread_local arg_recorder* active_arg_recorder = nullptr;

/// Installs a recorder for the duration of one rendering on this thread (nested renderings of
/// subqueries append to the outer statement's recorder: they render into the same text).
class recording_args {
public:
    recording_args() : saved_(std::exchange(active_arg_recorder, &recorder_)) {}
    ~recording_args() { active_arg_recorder = saved_; }
    recording_args(const recording_args&) = delete;
    recording_args& operator=(const recording_args&) = delete;
    std::vector<arg_slot>& slots() noexcept { return recorder_.slots; }

private:
    arg_recorder recorder_;
    arg_recorder* saved_;
};

/// Appends the next placeholder for a value of type V given later. Its place in the parameter
/// list holds a NULL of V's type until then, so the numbering and the parameter types stay right.
template <class V>
void bind_arg(sql_builder& b) {
    int n = b.params.add(std::optional<V>{});
    char digits[12];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    b << "$" << std::string_view(digits, static_cast<std::size_t>(end - digits));
    if (active_arg_recorder) active_arg_recorder->slots.push_back({n, &type_tag<V>, cpp_type_name<V>()});
}

}  // namespace detail
}  // namespace pgorm
