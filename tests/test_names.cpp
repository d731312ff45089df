// PostgreSQL's 63-byte limit on names (issue 11, item 6; reflect/identifier.hpp). Names longer
// than NAMEDATALEN-1 bytes are cut by the server with only a NOTICE, so pgorm refuses them first:
// at compile time for described members, PGORM_TABLE names and enum labels
// (tests/compile_fail/long_*.cpp), with usage_error for names given at run time (LISTEN/NOTIFY
// channels, the migrations table). Names of exactly 63 bytes work end to end.
#include "support.hpp"

#include <pgorm/migrate.hpp>

#include <string>

using namespace std::chrono_literals;
using pgorm_test::empty_db;

namespace names_test {

// 63 bytes each: the longest names PostgreSQL keeps whole.
struct Longest {
    std::int64_t id = 0;
    std::string a_member_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx;
};
BOOST_DESCRIBE_STRUCT(Longest, (), (id, a_member_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx))
PGORM_TABLE(Longest, "a_table_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxx", key(&Longest::id));

enum class shade { dark, a_label_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxxxxxxx };
BOOST_DESCRIBE_ENUM(shade, dark, a_label_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxxxxxxx)

}  // namespace names_test

namespace {

std::string repeat(std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("the limit is 63 bytes, counted in bytes", "[names]") {
    static_assert(pgorm::max_identifier_bytes == 63);
    static_assert(pgorm::table<names_test::Longest>::name.size() == 63);
    static_assert(pgorm::table<names_test::Longest>::columns[1].size() == 63);
    static_assert(pgorm::reflect::member_names_fit<names_test::Longest>);
    CHECK(pgorm::fits_identifier_limit(std::string(63, 'x')));
    CHECK_FALSE(pgorm::fits_identifier_limit(std::string(64, 'x')));
    CHECK(pgorm::fits_identifier_limit(repeat("ü", 31) + "a"));  // 63 bytes, 32 characters
    CHECK_FALSE(pgorm::fits_identifier_limit(repeat("ü", 32)));   // 64 bytes, 32 characters
    CHECK_THROWS_WITH(pgorm::require_identifier_limit(std::string(71, 'c'), "column"),
                      Catch::Contains("column \"ccc") && Catch::Contains("71 bytes long") &&
                          Catch::Contains("63 bytes") && Catch::Contains("NAMEDATALEN-1") &&
                          Catch::Contains("truncate it to \"" + std::string(63, 'c') + "\""));
}

TEST_CASE("63-byte table, column and enum label names work end to end", "[names]") {
    empty_db db;
    auto c = db.connect();
    using T = pgorm::table<names_test::Longest>;
    c.execute_script("CREATE TABLE " + c.quote_identifier(T::name) + " (id BIGINT PRIMARY KEY, " +
           c.quote_identifier(T::columns[1]) + " TEXT NOT NULL)");
    pgorm::repository<names_test::Longest> repo{c};
    names_test::Longest row{1, "kept"};
    repo.insert(row);
    auto back = repo.get(1).value();
    CHECK(back.a_member_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx == "kept");
    auto all = c.query<names_test::Longest>("SELECT * FROM " + c.quote_identifier(T::name));
    REQUIRE(all.size() == 1);
    CHECK(all[0].a_member_name_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxx == "kept");

    c.execute_script("CREATE TYPE shade AS ENUM ('dark', 'a_label_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxxxxxxx')");
    auto long_label = names_test::shade::a_label_that_is_exactly_sixty_three_bytes_long_xxxxxxxxxxxxxxxx;
    CHECK(c.query_value<names_test::shade>("SELECT $1::shade", long_label) == long_label);
}

TEST_CASE("LISTEN and NOTIFY channels over 63 bytes are refused before they reach the server", "[names][listen]") {
    empty_db db;
    auto sender = db.connect();
    pgorm::listener l(db.url());

    const std::string longest = repeat("ü", 31) + "a";  // 63 bytes
    l.listen(longest);
    pgorm::notify(sender, longest, "whole");
    auto n = l.wait(5000ms);
    REQUIRE(n.has_value());
    CHECK(n->channel == longest);
    CHECK(n->payload == "whole");

    // Without the check, LISTEN would wait on the truncated name and notify() would fail on the
    // server ("channel name too long"): both are refused up front, naming the limit.
    for (const std::string& too_long : {std::string(64, 'j'), repeat("ü", 32), std::string(200, 'k')}) {
        CHECK_THROWS_AS(l.listen(too_long), pgorm::usage_error);
        CHECK_THROWS_WITH(l.listen(too_long), Catch::Contains("LISTEN channel") && Catch::Contains("63 bytes"));
        CHECK_THROWS_WITH(l.unlisten(too_long), Catch::Contains("63 bytes"));
        CHECK_THROWS_WITH(pgorm::notify(sender, too_long), Catch::Contains("NOTIFY channel") &&
                                                              Catch::Contains("63 bytes"));
    }
    CHECK(l.channels().size() == 1);
}

TEST_CASE("a migrations table name over 63 bytes is refused", "[names][migrate]") {
    empty_db db;
    auto c = db.connect();
    pgorm::migrate::migrator_options opts;
    opts.directory = pgorm_test::test_migrations_dir;
    opts.table = std::string(64, 'm');
    CHECK_THROWS_WITH(pgorm::migrate::migrator(c, opts), Catch::Contains("migrations table name") &&
                                                            Catch::Contains("63 bytes"));
    opts.table = std::string(63, 'm');
    pgorm::migrate::migrator ok(c, opts);
    CHECK_FALSE(ok.current());
}

TEST_CASE("savepoint and prepared statement names are pgorm's own and short", "[names]") {
    // Savepoints are pgorm_savepoint_<depth> (xact/xact.hpp) and prepared statements pgorm_<n>
    // (core/connection.hpp): numbers, so far below the limit at any depth or count.
    CHECK(pgorm::fits_identifier_limit("pgorm_savepoint_" + std::to_string(SIZE_MAX)));
    CHECK(pgorm::fits_identifier_limit("pgorm_" + std::to_string(UINT64_MAX)));
}
