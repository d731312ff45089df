// pgorm-gen's nullability rules (docs/codegen.md, "Which columns can be NULL"), each run for real:
// the generated types are checked at compile time (a claim of non-null is a plain member, a
// possible NULL a std::optional), and every query runs against rows that make its optional
// columns NULL, so a wrong non-null claim would throw pgorm's unexpected-NULL error here. Also
// issue 17's other inputs: schema-qualified targets, named parameters and their nullability,
// multi-row VALUES numbering, the block-comment header and `$1` mixed with sqlc.arg.

#include "support.hpp"

#ifdef PGORM_HAVE_GENERATED
#include "nullability.hpp"
#include "codegen/run_gen.hpp"
#endif

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#ifdef PGORM_HAVE_GENERATED

namespace fs = std::filesystem;
namespace n = nullability;

namespace {

const std::string codegen_dir = PGORM_SOURCE_DIR "/tests/codegen";

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

#define NULLABLE(Row, member) static_assert(is_optional<decltype(Row::member)>, #Row "::" #member " must be optional")
#define NOT_NULL(Row, member) static_assert(!is_optional<decltype(Row::member)>, #Row "::" #member " must not be optional")

// Outer-join sides through CTEs (also MATERIALIZED with an alias), parenthesised joins,
// subqueries, LATERAL; RIGHT and FULL joins.
NOT_NULL(n::CteLeftJoinRow, id);
NULLABLE(n::CteLeftJoinRow, name);
NULLABLE(n::CteMaterializedAliasRow, name);
NULLABLE(n::ParenthesisedJoinRow, name);
NULLABLE(n::SubqueryLeftJoinRow, name);
NULLABLE(n::LateralLeftJoinRow, name);
NULLABLE(n::RightJoinRow, a_name);
NOT_NULL(n::RightJoinRow, b_name);
NULLABLE(n::FullJoinRow, a_name);
NULLABLE(n::FullJoinRow, b_name);
NOT_NULL(n::InnerJoinRow, name);
NOT_NULL(n::InnerJoinRow, b_name);
NOT_NULL(n::LeftJoinUsingRow, id);
NULLABLE(n::LeftJoinUsingRow, name);
// Set operations, grouping sets, aggregates, functions, COALESCE, CASE, subqueries.
// Single-column results are vectors of the value itself.
static_assert(is_optional<decltype(n::union_with_null(std::declval<pgorm::connection&>()))::value_type>);
static_assert(!is_optional<decltype(n::union_not_null(std::declval<pgorm::connection&>()))::value_type>);
NULLABLE(n::RollupRow, name);
NOT_NULL(n::RollupRow, count);
NULLABLE(n::CubeRow, id);
NULLABLE(n::CubeRow, name);
NOT_NULL(n::CubeRow, n);
NULLABLE(n::GroupingSetsRow, b_id);
NULLABLE(n::GroupingSetsRow, name);
NULLABLE(n::AggregatesOverNoRowsRow, top);
NULLABLE(n::AggregatesOverNoRowsRow, total);
NOT_NULL(n::AggregatesOverNoRowsRow, counted);
NULLABLE(n::FunctionOverNullableRow, upper_b);
NOT_NULL(n::FunctionOverNullableRow, upper_a);
NOT_NULL(n::FunctionOverNullableRow, len);
NOT_NULL(n::CoalesceRow, with_literal);
NOT_NULL(n::CoalesceRow, with_column);
NULLABLE(n::CoalesceRow, with_null);
NULLABLE(n::CaseExpressionsRow, no_else);
NOT_NULL(n::CaseExpressionsRow, with_else);
NULLABLE(n::ScalarSubqueryRow, b_name);
NOT_NULL(n::ScalarSubqueryRow, has_b);
// RETURNING from schema-qualified tables.
// (RETURNING every column of myschema.foo in order: the result is the table's struct, Foo.)
NOT_NULL(n::Foo, id);
NULLABLE(n::Foo, x);
NOT_NULL(n::Foo, note);
NOT_NULL(n::DeleteFromSchemaRow, note);
NULLABLE(n::DeleteFromSchemaRow, y);

/// a: ids 1..3; a.1 -> b.1 (which has a c), a.2 -> b.2 (no c), a.3 -> no b. b.3 has no a.
pgorm::connection seeded(pgorm_test::empty_db& db) {
    auto c = db.connect();
    c.execute_script(pgorm_gen_test::slurp(codegen_dir + "/nullability_schema.sql"));
    c.execute_script("INSERT INTO b VALUES (1, 'b1'), (2, 'b2'), (3, 'b3');"
           "INSERT INTO c VALUES (1, 1);"
           "INSERT INTO a VALUES (1, 1, 'a1'), (2, 2, 'a2'), (3, NULL, 'a3')");
    return c;
}

}  // namespace

TEST_CASE("nullability: outer-join sides read NULL without throwing", "[nullability]") {
    pgorm_test::empty_db db;
    auto c = seeded(db);

    auto cte = n::cte_left_join(c);
    REQUIRE(cte.size() == 3);
    CHECK(cte[0].name == std::optional<std::string>("b1"));
    CHECK_FALSE(cte[2].name.has_value());
    auto mat = n::cte_materialized_alias(c);
    REQUIRE(mat.size() == 3);
    CHECK_FALSE(mat[2].name.has_value());

    auto paren = n::parenthesised_join(c);  // a.2's b has no c: the whole (b JOIN c) side is NULL
    REQUIRE(paren.size() == 3);
    CHECK(paren[0].name == std::optional<std::string>("b1"));
    CHECK_FALSE(paren[1].name.has_value());
    CHECK_FALSE(paren[2].name.has_value());

    auto sub = n::subquery_left_join(c);
    REQUIRE(sub.size() == 3);
    CHECK_FALSE(sub[2].name.has_value());
    auto lat = n::lateral_left_join(c);
    REQUIRE(lat.size() == 3);
    CHECK(lat[1].name == std::optional<std::string>("b2"));
    CHECK_FALSE(lat[2].name.has_value());

    auto right = n::right_join(c);
    REQUIRE(right.size() == 3);
    CHECK(right[2].b_name == "b3");
    CHECK_FALSE(right[2].a_name.has_value());
    auto full = n::full_join(c);
    REQUIRE(full.size() == 4);  // a.3 without b, b.3 without a
    CHECK_FALSE(full[2].b_name.has_value());
    CHECK_FALSE(full[3].a_name.has_value());

    auto inner = n::inner_join(c);
    REQUIRE(inner.size() == 2);
    CHECK(inner[1].b_name == "b2");

    auto using_ = n::left_join_using(c);  // a.id = b.id: every a has a b of the same id
    REQUIRE(using_.size() == 3);
    c.execute_script("DELETE FROM c; DELETE FROM b WHERE id = 3");
    using_ = n::left_join_using(c);
    REQUIRE(using_.size() == 3);
    CHECK(using_[2].id == 3);
    CHECK_FALSE(using_[2].name.has_value());

    auto star = n::star_left_join(c);
    REQUIRE(star.size() == 3);
    CHECK(star[2].name == "a3");  // a's NOT NULL column stays plain
    static_assert(!is_optional<decltype(star[2].name)>);
}

TEST_CASE("nullability: set operations, grouping sets and aggregates", "[nullability]") {
    pgorm_test::empty_db db;
    auto c = seeded(db);

    auto with_null = n::union_with_null(c);
    REQUIRE(with_null.size() == 4);
    CHECK_FALSE(with_null[3].has_value());
    CHECK(n::union_not_null(c).size() == 6);

    auto rollup = n::rollup(c);  // a1, a2, a3 and the grand total
    REQUIRE(rollup.size() == 4);
    CHECK_FALSE(rollup[3].name.has_value());
    CHECK(rollup[3].count == 3);
    auto cube = n::cube(c);
    CHECK(cube.size() == 10);  // 3 (id, name) + 3 id-only + 3 name-only + grand total
    CHECK_FALSE(cube.back().id.has_value());
    CHECK_FALSE(cube.back().name.has_value());
    auto sets = n::grouping_sets(c);
    REQUIRE(sets.size() == 6);
    CHECK_FALSE(sets.back().b_id.has_value());

    auto agg = n::aggregates_over_no_rows(c).value();
    CHECK_FALSE(agg.top.has_value());
    CHECK_FALSE(agg.total.has_value());
    CHECK(agg.counted == 0);
}

TEST_CASE("nullability: functions, COALESCE, CASE and subqueries", "[nullability]") {
    pgorm_test::empty_db db;
    auto c = seeded(db);

    auto fn = n::function_over_nullable(c);
    REQUIRE(fn.size() == 3);
    CHECK(fn[0].upper_b == std::optional<std::string>("B1"));
    CHECK_FALSE(fn[2].upper_b.has_value());
    CHECK(fn[2].upper_a == "A3");
    CHECK(fn[2].len == 3);

    auto co = n::coalesce(c);
    REQUIRE(co.size() == 3);
    CHECK(co[2].with_literal == "none");
    CHECK(co[2].with_column == "a3");
    CHECK_FALSE(co[2].with_null.has_value());

    auto cases = n::case_expressions(c);
    REQUIRE(cases.size() == 3);
    CHECK_FALSE(cases[0].no_else.has_value());
    CHECK(cases[0].with_else == "small");
    CHECK(cases[1].no_else == std::optional<std::string>("big"));

    auto sub = n::scalar_subquery(c);
    REQUIRE(sub.size() == 3);
    CHECK_FALSE(sub[2].b_name.has_value());
    CHECK_FALSE(sub[2].has_b);
    CHECK(sub[0].has_b);

    auto embed = n::embed_left_join(c);
    REQUIRE(embed.size() == 3);
    CHECK(embed[0].b.has_value());
    CHECK_FALSE(embed[2].b.has_value());
}

TEST_CASE("schema-qualified targets, named parameters and their nullability", "[nullability]") {
    pgorm_test::empty_db db;
    auto c = seeded(db);

    // Parameters stored into nullable columns of myschema.foo are optional, whatever their spelling.
    auto row = n::insert_into_schema(c, std::nullopt, std::nullopt).value();
    CHECK_FALSE(row.x.has_value());
    CHECK(row.note == "n");
    CHECK(n::update_in_schema(c, std::nullopt, row.id).has_value());
    n::InsertNamedRowsParams named{std::nullopt, std::nullopt, 7, std::string("seven")};
    CHECK(n::insert_named_rows(c, named) == 2);
    // The second VALUES row takes the columns' names too (deduplicated), not arg3/arg4.
    n::InsertNumberedRowsParams numbered{.x = 1, .y = std::nullopt, .x_2 = std::nullopt, .y_2 = "two"};
    CHECK(n::insert_numbered_rows(c, numbered) == 2);
    CHECK(n::set_named(c, std::nullopt, row.id) == 1);
    CHECK(n::insert_select_case(c, false, std::nullopt) == 1);
    auto gone = n::delete_from_schema(c, row.id).value();
    CHECK_FALSE(gone.y.has_value());
    // NULL x: the first named row, the second numbered row, the INSERT ... SELECT (the first row is deleted).
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM myschema.foo WHERE x IS NULL") == 3);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM public.a") == 3);  // nothing went elsewhere

    // `/* name: ... */` headers, and `$1` next to sqlc.arg(x) (x takes $2).
    CHECK(n::block_comment_header(c).value() == 3);
    auto mixed = n::mixed_parameters(c, 1, "a3");
    REQUIRE(mixed.size() == 1);
    CHECK(mixed[0] == 2);
}

TEST_CASE(":copyfrom into a schema-qualified table copies into that schema's table", "[nullability]") {
    pgorm_test::empty_db db;
    auto c = seeded(db);
    // public.foo has the same name and is first on the search path: an unqualified COPY "foo"
    // would fill it silently (issue 17, input 4).
    std::vector<n::CopyIntoSchemaParams> rows{{1, std::string("one")}, {std::nullopt, std::nullopt}};
    CHECK(n::copy_into_schema(c, rows) == 2);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM myschema.foo WHERE x = 1 AND y = 'one'") == 1);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM myschema.foo WHERE x IS NULL AND y IS NULL") == 1);
    CHECK(c.query_value<std::int64_t>("SELECT count(*) FROM public.foo") == 0);
}

TEST_CASE("a block-comment header on a file's first line starts the first query", "[nullability]") {
    pgorm_test::empty_db db;
    fs::path queries = pgorm_gen_test::scratch_file("block_first.sql");
    fs::path out = pgorm_gen_test::scratch_file("block_first.hpp");
    std::ofstream(queries) << "/* name: GetThing :one */\nSELECT name FROM a WHERE id = $1;\n"
                              "/* name: CountThings :one */\nSELECT count(*) FROM a;\n";
    auto r = pgorm_gen_test::generate("--schema " + pgorm_gen_test::q(codegen_dir + "/nullability_schema.sql") +
                                      " --queries " + pgorm_gen_test::q(queries.string()) + " --output " +
                                      pgorm_gen_test::q(out.string()) + " --namespace blocks --database-url " +
                                      pgorm_gen_test::q(db.url()));
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::string text = pgorm_gen_test::slurp(out);
    // Two functions, and the second header is not glued onto the first query's SQL.
    CHECK(text.find("get_thing(Q& q, std::int32_t id)") != std::string::npos);
    CHECK(text.find("count_things(Q& q)") != std::string::npos);
    CHECK(text.find("R\"sql(SELECT name FROM a WHERE id = $1)sql\"") != std::string::npos);
    fs::remove(out);
    fs::remove(queries);
}

TEST_CASE("the parser reports syntax errors and extra statements at file:line:col", "[nullability]") {
    pgorm_test::empty_db db;
    fs::path queries = pgorm_gen_test::scratch_file("syntax.sql");
    fs::path out = pgorm_gen_test::scratch_file("syntax.hpp");
    std::ofstream(queries) << "-- name: Fine :one\nSELECT 1;\n\n-- name: Typo :many\nSELECT id,\n  , name FROM a;\n\n"
                              "-- name: Two :exec\nDELETE FROM a; DELETE FROM b;\n";
    auto r = pgorm_gen_test::generate("--schema " + pgorm_gen_test::q(codegen_dir + "/nullability_schema.sql") +
                                      " --queries " + pgorm_gen_test::q(queries.string()) + " --output " +
                                      pgorm_gen_test::q(out.string()) + " --database-url " + pgorm_gen_test::q(db.url()));
    INFO(r.err);
    CHECK(r.status == 1);
    // Line 6, column 3 is the second comma; line 9, column 16 starts the second DELETE.
    CHECK(r.err.find(queries.string() + ":6:3: error: query Typo: syntax error at or near \",\"") != std::string::npos);
    CHECK(r.err.find(queries.string() + ":9:16: error: query Two: holds 2 statements; a query is exactly one") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(out));
    fs::remove(queries);
}

TEST_CASE("schema files are split by the parser: BEGIN ATOMIC bodies stay whole", "[nullability]") {
    pgorm_test::empty_db db;
    fs::path schema = pgorm_gen_test::scratch_file("atomic_schema.sql");
    fs::path out = pgorm_gen_test::scratch_file("atomic.hpp");
    // The failing statement has no error position, so pgorm-gen finds it by running the
    // statements one at a time; a `;` split would cut the function body and blame line 2.
    std::ofstream(schema) << "CREATE TABLE t (id int);\n"
                             "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
                             "\n"
                             "CREATE TABLE u (id int REFERENCES nowhere(id));\n";
    auto r = pgorm_gen_test::generate("--schema " + pgorm_gen_test::q(schema.string()) + " --queries " +
                                      pgorm_gen_test::q(codegen_dir + "/nullability.sql") + " --output " +
                                      pgorm_gen_test::q(out.string()) + " --database-url " + pgorm_gen_test::q(db.url()));
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.rfind(schema.string() + ":4: error: schema: relation \"nowhere\" does not exist", 0) == 0);
    CHECK_FALSE(fs::exists(out));
    fs::remove(schema);
}

#else
TEST_CASE("pgorm-gen nullability tests need PGORM_BUILD_TOOLS", "[nullability]") { SUCCEED("skipped"); }
#endif
