// Which types pgorm accepts where, checked at compile time: a wrong answer fails the build of
// unit_tests, so this file has no runtime cases.
#include "unit_model.hpp"

#include <pgorm/core.hpp>
#include <pgorm/repo.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

struct plain_pair {  // an aggregate without Boost.Describe: mapped by position
    int a = 0;
    std::string b;
};

struct not_a_value {};

// Values with a codec: what can be a parameter or a single-column result.
static_assert(pgorm::has_codec<int>);
static_assert(pgorm::has_codec<std::int64_t>);
static_assert(pgorm::has_codec<double>);
static_assert(pgorm::has_codec<bool>);
static_assert(pgorm::has_codec<std::string>);
static_assert(pgorm::has_codec<std::optional<std::string>>);
static_assert(pgorm::has_codec<std::vector<std::int32_t>>);
static_assert(pgorm::has_codec<pgorm::numeric>);
static_assert(pgorm::has_codec<pgorm::interval>);
static_assert(pgorm::has_codec<pgorm::timestamptz>);
static_assert(pgorm::has_codec<boost::uuids::uuid>);
static_assert(pgorm::has_codec<pgorm::jsonb<>>);
static_assert(!pgorm::has_codec<not_a_value>);
static_assert(!pgorm::has_codec<plain_pair>);
static_assert(!pgorm::has_codec<unit::Account>);

// NULL is only representable where the C++ type can hold it.
static_assert(pgorm::nullable_value<std::optional<int>>);
static_assert(!pgorm::nullable_value<int>);

// How a result row is read into T: a single value, by name, or by position.
static_assert(pgorm::single_value<std::string>);
static_assert(pgorm::named_row<unit::Account>);
static_assert(!pgorm::named_row<plain_pair>);
static_assert(pgorm::positional_row<std::tuple<int, std::string>>);
static_assert(pgorm::positional_row<plain_pair>);
static_assert(!pgorm::positional_row<unit::Account>);

// Tables: described and declared with PGORM_TABLE.
static_assert(pgorm::described_struct<unit::Account>);
static_assert(pgorm::reflect::mapped_struct<unit::Account>);
static_assert(pgorm::reflect::mapped_struct<unit::Order>);
static_assert(!pgorm::reflect::mapped_struct<plain_pair>);

// Scopes: anything with conn(); connection is one, a value is not.
static_assert(pgorm::scope<pgorm::connection>);
static_assert(!pgorm::scope<int>);

}  // namespace
