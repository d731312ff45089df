// `pgorm-gen --config` (docs/codegen.md, "Configuration file"): sqlc's version 2 sqlc.yaml with a
// column override, a nullable db_type override and renames generates a header that compiles and
// runs (built by tests/codegen.cmake); the sqlc.json spelling writes the same header; bad
// configurations fail with the file and the key in the message, exit status 1 and no output.

#include "support.hpp"

#ifdef PGORM_HAVE_GENERATED
#include "shop_queries.hpp"
#include "codegen/run_gen.hpp"
#endif

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#ifdef PGORM_HAVE_GENERATED

namespace fs = std::filesystem;
using pgorm_gen_test::generate;
using pgorm_gen_test::q;
using pgorm_gen_test::slurp;

namespace {

// rename: table products -> Item (not Product), column price_cents -> price.
static_assert(std::is_same_v<decltype(shop::db::Item::price), std::int64_t>);
// column override products.sku: the user's type, in the table struct and in a query's row.
static_assert(std::is_same_v<decltype(shop::db::Item::sku), shop::sku>);
static_assert(std::is_same_v<decltype(shop::db::FindBySkuRow::sku), shop::sku>);
// db_type text with nullable: true applies to the nullable column only (wrapped in optional) ...
static_assert(std::is_same_v<decltype(shop::db::Item::label), std::optional<shop::sku>>);
static_assert(std::is_same_v<decltype(shop::db::AddProductParams::label), std::optional<shop::sku>>);
// ... and not to a NOT NULL text parameter, which keeps pgorm-gen's own mapping.
static_assert(std::is_same_v<decltype(shop::db::AddProductParams::sku), std::string>);
static_assert(std::is_same_v<decltype(shop::db::AddProductParams::price), std::int64_t>);

const std::string source_dir = PGORM_SOURCE_DIR "/tests/codegen/config";

/// A scratch folder holding one configuration file; removed at the end of the test case.
struct scratch_config {
    fs::path dir = pgorm_gen_test::scratch_file("config_" + std::to_string(++counter()));
    fs::path file;
    scratch_config(const std::string& name, const std::string& text) {
        fs::create_directories(dir);
        file = dir / name;
        std::ofstream(file, std::ios::binary) << text;
    }
    ~scratch_config() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

/// The YAML entry with `schema`/`queries` pointing at the test's files and `extra` appended to it.
std::string entry(const std::string& extra, const std::string& engine = "postgresql") {
    return "version: \"2\"\nsql:\n  - engine: " + engine + "\n    schema: " + source_dir + "/schema.sql\n    queries: " +
           source_dir + "/queries.sql\n" + extra;
}

}  // namespace

TEST_CASE("codegen config: sqlc.yaml with overrides and renames generates code that runs", "[codegen][config]") {
    pgorm_test::empty_db db;
    auto c = db.connect();
    c.execute_script(slurp(source_dir + "/schema.sql"));

    shop::db::add_product(c, {1, "A-1", shop::sku{"shelf"}, 250});
    shop::db::add_product(c, {2, "A-1", std::nullopt, 99});
    // The override's codec is the one in use: it refuses an empty code before anything is sent.
    CHECK_THROWS_WITH(shop::db::add_product(c, {3, "B", shop::sku{""}, 1}), "shop::sku: empty code");

    auto item = shop::db::get_product(c, 1);
    REQUIRE(item);
    CHECK(item->sku == shop::sku{"A-1"});
    CHECK(item->label == shop::sku{"shelf"});
    CHECK(item->price == 250);
    auto rows = shop::db::find_by_sku(c, "A-1");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].label == shop::sku{"shelf"});
    CHECK_FALSE(rows[1].label.has_value());
    CHECK(shop::db::find_by_sku(c, "B").empty());
}

TEST_CASE("codegen config: sqlc.json (codegen plugin form) writes the same header", "[codegen][config]") {
    pgorm_test::empty_db db;
    fs::path out = fs::path(PGORM_CONFIG_OUT) / "generated_json" / "shop_queries.hpp";
    fs::remove(out);
    auto r = generate("--config " + q(PGORM_CONFIG_OUT "/sqlc.json") + " --database-url " + q(db.url()));
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(slurp(out) == slurp(fs::path(PGORM_CONFIG_OUT) / "generated" / "shop_queries.hpp"));
}

TEST_CASE("codegen config: bad configurations name the file and the key", "[codegen][config]") {
    pgorm_test::empty_db db;
    const std::string pgorm_section = "    gen:\n      pgorm:\n        out: out\n";
    struct bad_case {
        std::string name, text, expected;
    };
    const bad_case cases[] = {
        {"unknown engine", entry(pgorm_section, "mysql"), "sql[0].engine: \"mysql\" is not supported"},
        {"missing schema",
         "version: \"2\"\nsql:\n  - engine: postgresql\n    queries: q.sql\n" + pgorm_section,
         "sql[0].schema: missing"},
        {"override without cpp_type", entry(pgorm_section + "        overrides:\n          - db_type: text\n"),
         "sql[0].gen.pgorm.overrides[0]: needs cpp_type"},
        {"override with sqlc's go_type",
         entry(pgorm_section + "        overrides:\n          - db_type: text\n            go_type: string\n"),
         "sql[0].gen.pgorm.overrides[0].go_type: unknown key"},
        {"override with db_type and column",
         entry(pgorm_section + "        overrides:\n          - db_type: text\n            column: products.sku\n"
                               "            cpp_type: shop::sku\n"),
         "needs exactly one of db_type"},
        {"override column without table", entry(pgorm_section + "        overrides:\n          - column: sku\n"
                                                                 "            cpp_type: shop::sku\n"),
         "sql[0].gen.pgorm.overrides[0].column: \"sku\" must be written table.column"},
        {"nullable not a boolean",
         entry(pgorm_section + "        overrides:\n          - db_type: text\n            cpp_type: shop::sku\n"
                               "            nullable: maybe\n"),
         "sql[0].gen.pgorm.overrides[0].nullable: must be true or false"},
        {"rename to a keyword", entry(pgorm_section + "        rename:\n          sku: class\n"),
         "sql[0].gen.pgorm.rename.sku: \"class\" is not a usable C++ name"},
        {"typo in the pgorm section", entry("    gen:\n      pgorm:\n        out: out\n        namespce: x\n"),
         "sql[0].gen.pgorm.namespce: unknown key"},
        {"no pgorm section", entry("    gen:\n      go:\n        out: x\n"), "sql: no entry has a gen.pgorm section"},
        {"version 1", "version: \"1\"\npackages: []\n", "version: \"1\" is not supported"},
        {"missing out", entry("    gen:\n      pgorm:\n        namespace: x\n"), "sql[0].gen.pgorm.out: missing"},
        {"bad namespace", entry(pgorm_section + "        namespace: std\n"), "namespace \"std\" cannot be used"},
        {"not YAML", "version: \"2\"\nsql: [\n", "not valid YAML"},
    };
    for (const auto& bad : cases) {
        INFO(bad.name);
        scratch_config cfg("sqlc.yaml", bad.text);
        auto r = generate("--config " + q(cfg.file.string()) + " --database-url " + q(db.url()));
        INFO(r.err);
        CHECK(r.status == 1);
        CHECK(r.err.find(cfg.file.string() + ": error") != std::string::npos);
        CHECK(r.err.find(bad.expected) != std::string::npos);
        CHECK_FALSE(fs::exists(cfg.dir / "out"));
    }
    // The JSON spelling reports the same way.
    scratch_config json("sqlc.json", R"({"version": "2", "sql": [{"engine": "sqlite", "schema": "s.sql",
        "queries": "q.sql", "gen": {"pgorm": {"out": "out"}}}]})");
    auto r = generate("--config " + q(json.file.string()));
    CHECK(r.status == 1);
    CHECK(r.err.find(json.file.string() + ": error: sql[0].engine: \"sqlite\" is not supported") != std::string::npos);
    // --config with --schema is a usage error (exit status 2).
    CHECK(generate("--config " + q(json.file.string()) + " --schema x.sql").status == 2);
}

#else
TEST_CASE("codegen config (skipped: built without pgorm-gen)", "[codegen][config]") { SUCCEED(); }
#endif
