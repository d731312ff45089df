// pgorm-gen and names (issue 11, items 7 and 8): SQL names that are keywords, alternative
// tokens, C/C++ library macros, reserved spellings or not identifiers at all come out as C++
// names that compile (tests/codegen/names_schema.sql); queries.sql's lexer keeps nested block
// comments, dollar quotes, E'' strings, quoted identifiers and identifiers with `$` out of the
// parameters (tests/codegen/names.sql). The header generated from them at build time is part of
// this executable, and is compiled once more here in GNU mode, where `linux` and `unix` are macros.

#include "support.hpp"

#ifdef PGORM_HAVE_GENERATED

#include "codegen/run_gen.hpp"
#include "names.hpp"

#include <pgorm/xact.hpp>

#include <boost/describe/enum_to_string.hpp>

using pgorm_gen_test::generate;
using pgorm_gen_test::q;
using pgorm_gen_test::run_command;
using pgorm_gen_test::scratch_file;
using pgorm_gen_test::slurp;

namespace {

const std::string codegen_dir = PGORM_SOURCE_DIR "/tests/codegen";

std::string applied_schema() { return slurp(codegen_dir + "/names_schema.sql"); }

}  // namespace

TEST_CASE("the generated header compiles in GNU mode with every warning as an error", "[names]") {
    auto src = scratch_file("names_syntax.cpp");
    std::ofstream(src) << "#include \"" << PGORM_NAMES_HEADER << "\"\n";
    auto r = run_command(std::string(PGORM_CXX) + " -std=gnu++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror " +
                         PGORM_CXX_INCLUDES + " " + q(src.string()));
    INFO(r.err);
    CHECK(r.status == 0);
    std::filesystem::remove(src);
}

TEST_CASE("enum labels that are macros, keywords or not identifiers round-trip", "[names]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script(applied_schema());
    // Every label, in order, reads back as its own enumerator (none was merged with another).
    auto all = names::all_odd(c);
    auto labels = c.query<std::string>("SELECT unnest(enum_range(NULL::odd))::text");
    REQUIRE(all.size() == labels.size());
    std::set<names::Odd> distinct;
    for (std::size_t i = 0; i < all.size(); ++i) {
        REQUIRE(all[i].has_value());
        CHECK(pgorm::codec<names::Odd>::label(*all[i]) == labels[i]);
        distinct.insert(*all[i]);
    }
    CHECK(distinct.size() == labels.size());
    CHECK(std::string(boost::describe::enum_to_string(names::Odd::NULL_, "?")) == "NULL_");
    CHECK(pgorm::codec<names::Odd>::label(names::Odd::errno_) == "errno");
    CHECK(pgorm::codec<names::Odd>::label(names::Odd::_1st) == "1st");
    CHECK(pgorm::codec<names::Odd>::label(names::Odd::Reserved) == "_Reserved");
    CHECK(pgorm::codec<names::Odd>::label(names::Odd::double_under) == "double__under");

    auto echoed = names::echo_odd(c, names::Odd::NULL_, names::NULL_::x).value();
    CHECK(echoed.Odd_2 == names::Odd::NULL_);
    CHECK(echoed.NULL_2 == names::NULL_::x);
    CHECK(echoed.a == names::_::x);
}

TEST_CASE("tables, columns, functions and parameters with unsafe names work against the server", "[names]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script(applied_schema());
    names::UnixParams p;
    p.assert_ = 1;
    p.EOF_2 = "end";
    p.class_ = "c";
    p.Cap = 2;
    p.a_b = 3;
    p.n1st = 4;
    p.u = 5;
    p.o = 6;
    p.q_2 = 7;
    p.Errno_2 = 8;
    p.stdin_ = 9;
    p.and_ = 10;
    p.Odd_2 = names::Odd::and_;
    p.NULL_2 = names::NULL_::x;
    p.unix_ = 11;
    auto id = names::unix_(c, p).value();

    auto row = names::errno_(c, 1, "end").value();
    CHECK(row.id == id);
    CHECK(row.Errno_2 == 8);
    CHECK(row._1st_2 == 4);
    CHECK(row._2 == 5);  // "ü"
    CHECK(row._3 == 6);  // "ö"
    CHECK(row.Odd_2 == names::Odd::and_);

    auto rows = names::linux_(c);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].stdout_ == 9);
    CHECK(rows[0]._x == 2);
    int streamed = 0;
    names::linux_each(c, [&](names::LinuxRow&&) { ++streamed; });
    CHECK(streamed == 1);
    CHECK(names::bufsiz_rows(c).empty());
    CHECK(names::delete_(c, 10, 9) == 1);
}

TEST_CASE("the query lexer: nested comments, dollar quotes, E'' strings, quoted names, $ in identifiers",
          "[names][lexer]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script(applied_schema());
    c.execute_script("INSERT INTO \"errno\" (id, \"EOF\", \"ü\") VALUES (41, 'kept', 12)");
    // @ghost sits inside the inner comment of a nested one: not a parameter, and the statement runs.
    CHECK(names::nested_comment(c, 41) == 1);
    CHECK(c.query_value<std::string>("SELECT \"class\" FROM \"errno\" WHERE id = 41") == "touched");
    CHECK(c.query_value<std::string>("SELECT \"EOF\" FROM \"errno\" WHERE id = 41") == "kept");
    CHECK(std::string(names::sql::nested_comment).find("@ghost") != std::string::npos);

    auto r = names::lexer_corners(c, 41, 1).value();
    CHECK(r.dollar == " @no $1 -- ");
    CHECK(r.plain_dollar == " it's @not; ");
    CHECK(r.escaped == "back'slash @nope \\");
    CHECK(r.not_escaped == "a\\");
    CHECK(r.typed_not_escaped == "x\\");  // name'...' is a typed literal, not an E'' string
    CHECK(r.col_1_x == 12);
    CHECK(r.sum == 42);
    CHECK(r.n == 1);
}

TEST_CASE("function names that collide after conversion are refused by name", "[names][bad]") {
    // tests/codegen/bad/*_collision.sql and function_named_sql.sql run in test_codegen's [bad]
    // case; here the same through one scratch file, to show the message names both queries.
    pgorm_test::empty_db db;
    auto queries = scratch_file("collide.sql");
    std::ofstream(queries) << "-- name: GetThing :one\nSELECT 1 AS x;\n\n-- name: get_thing :one\nSELECT 2 AS x;\n";
    auto out = scratch_file("collide.hpp");
    auto r = generate("--schema " + q(codegen_dir + "/names_schema.sql") + " --queries " + q(queries.string()) +
                      " --output " + q(out.string()) + " --database-url " + q(db.url()));
    INFO(r.err);
    CHECK(r.status == 1);
    CHECK(r.err.find(queries.string() + ":4: error: query get_thing would be the C++ function get_thing, which query "
                                        "GetThing") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    std::filesystem::remove(queries);
}

TEST_CASE("a namespace that is a keyword, a macro, reserved or hides std/pgorm is refused", "[names][bad]") {
    auto out = scratch_file("ns.hpp");
    for (std::string ns : {"app::NULL", "errno", "app::class", "std", "app::pgorm", "boost", "a__b", "_App", "app::",
                           "1db", "app::and"}) {
        auto r = generate("--schema " + q(codegen_dir + "/names_schema.sql") + " --queries " +
                          q(codegen_dir + "/names.sql") + " --output " + q(out.string()) + " --namespace " + q(ns));
        INFO(ns << ": " << r.err);
        CHECK(r.status == 2);
        CHECK(r.err.find("--namespace \"" + ns + "\" cannot be used") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(out));
    }
}

#else

TEST_CASE("pgorm-gen name tests") {
    WARN("pgorm-gen is not part of this build (PGORM_BUILD_TOOLS=OFF): codegen name tests skipped");
}

#endif
