// The row mapper's per-column type check (core/row_mapping.hpp): the test every mapping runs
// (column_fits, which builds no message) agrees with the message builder (column_problem), for
// binary and text-format columns. The results are made with libpq's PQmakeEmptyPGresult and
// PQsetResultAttrs (libpq docs, "Miscellaneous Functions"), so no server is needed.
#include <pgorm/core/row_mapping.hpp>
#include <pgorm/error.hpp>
#include <pgorm/types.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

using pgorm::oid_t;

namespace {

struct column {
    const char* name;
    oid_t type;
    int format;  // 1 binary, 0 text
};

/// A result with these columns and no rows; freed by the destructor.
class made_result {
public:
    explicit made_result(std::vector<column> cols) : r_(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK)) {
        std::vector<PGresAttDesc> attrs;
        for (const column& c : cols) {
            PGresAttDesc a{};
            a.name = const_cast<char*>(c.name);  // copied by PQsetResultAttrs
            a.typid = c.type;
            a.format = c.format;
            a.typlen = -1;
            a.atttypmod = -1;
            attrs.push_back(a);
        }
        REQUIRE(r_ != nullptr);
        REQUIRE(PQsetResultAttrs(r_, static_cast<int>(attrs.size()), attrs.data()) == 1);
    }
    made_result(const made_result&) = delete;
    made_result& operator=(const made_result&) = delete;
    ~made_result() { PQclear(r_); }
    const PGresult* get() const { return r_; }

private:
    PGresult* r_;
};

template <class T>
void check_agreement(const PGresult* r, int col, bool fits) {
    CHECK(pgorm::detail::column_fits<T>(r, col) == fits);
    CHECK(pgorm::detail::column_problem<T>(r, col).empty() == fits);
}

}  // namespace

TEST_CASE("column check: the fast test and the message agree, binary and text columns", "[row_mapping]") {
    made_result r({{"n", pgorm::oid::int4, 1}, {"s", pgorm::oid::text, 1}, {"t", pgorm::oid::int4, 0}});
    check_agreement<std::int32_t>(r.get(), 0, true);
    check_agreement<std::optional<std::int32_t>>(r.get(), 0, true);
    check_agreement<std::string>(r.get(), 0, false);
    check_agreement<bool>(r.get(), 0, false);

    check_agreement<std::string>(r.get(), 1, true);
    check_agreement<std::int32_t>(r.get(), 1, false);

    // A text-format column (simple protocol) is read only by text-like types, whatever its type.
    check_agreement<std::string>(r.get(), 2, true);
    check_agreement<std::int32_t>(r.get(), 2, false);

    CHECK_THAT(pgorm::detail::column_problem<bool>(r.get(), 0),
               Catch::Contains("column \"n\" has type") && Catch::Contains("cannot hold"));
    CHECK_THAT(pgorm::detail::column_problem<std::int32_t>(r.get(), 2), Catch::Contains("arrived in text format"));
}

TEST_CASE("column check: a row mapper lists every column whose type does not fit", "[row_mapping]") {
    using row = std::tuple<std::int32_t, std::string>;
    made_result fits({{"n", pgorm::oid::int4, 1}, {"s", pgorm::oid::text, 1}});
    CHECK_NOTHROW(pgorm::row_mapper<row>(fits.get()));

    made_result swapped({{"s", pgorm::oid::text, 1}, {"n", pgorm::oid::int4, 1}});
    auto map_swapped = [&] { pgorm::row_mapper<row> m(swapped.get()); };
    CHECK_THROWS_AS(map_swapped(), pgorm::type_mismatch);
    CHECK_THROWS_WITH(map_swapped(), Catch::Contains("2 problems") && Catch::Contains("column \"s\"") &&
                                         Catch::Contains("column \"n\""));
}
