// The public sqlc corpus (../shared/sqlc-examples: authors, batch, booktest, jets, ondeck),
// unmodified: its headers are generated at build time by tests/codegen.cmake, compiled here, and
// every query runs against a database with the example's schema. Where the corpus folder is
// absent (a plain clone), the test is skipped with a message.

#include "support.hpp"

#ifdef PGORM_SQLC_CORPUS
#include "authors.hpp"
#include "batch.hpp"
#include "booktest.hpp"
#include "jets.hpp"
#include "ondeck.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

/// A fresh database with the example's schema files (a file, or a folder applied in name order).
pgorm::connection with_schema(pgorm_test::empty_db& db, const std::string& rel) {
    auto c = db.connect();
    std::filesystem::path p = std::string(PGORM_SQLC_CORPUS) + "/" + rel;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
        for (auto& e : std::filesystem::directory_iterator(p)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
    } else {
        files.push_back(p);
    }
    for (auto& f : files) {
        std::ifstream in(f);
        std::stringstream ss;
        ss << in.rdbuf();
        c.execute_script(ss.str());
    }
    return c;
}

}  // namespace

TEST_CASE("sqlc corpus: authors") {
    pgorm_test::empty_db db;
    auto c = with_schema(db, "authors/schema.sql");
    namespace a = sqlc::authors;
    auto ann = a::create_author(c, "Ann", std::nullopt).value();
    auto bo = a::create_author(c, "Bo", "writes").value();
    CHECK(bo.bio == std::optional<std::string>("writes"));
    CHECK(a::get_author(c, ann.id).value().name == "Ann");
    auto all = a::list_authors(c);
    REQUIRE(all.size() == 2);
    CHECK(all[1].name == "Bo");
    a::delete_author(c, ann.id);
    CHECK_FALSE(a::get_author(c, ann.id).has_value());
}

TEST_CASE("sqlc corpus: batch (pipeline mode)") {
    pgorm_test::empty_db db;
    auto c = with_schema(db, "batch/schema.sql");
    namespace b = sqlc::batch;
    auto au = b::create_author(c, "Ann").value();
    CHECK_FALSE(au.biography.has_value());
    CHECK(b::get_author(c, au.author_id).value().name == "Ann");
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    std::vector<b::CreateBookParams> books{{au.author_id, "isbn-1", b::BookType::FICTION, "One", 2001, now, {"a"}},
                                           {au.author_id, "isbn-2", b::BookType::NONFICTION, "Two", 2002, now, {}}};
    auto created = b::create_book(c, books);
    REQUIRE(created.size() == 2);
    REQUIRE(created[1].has_value());
    CHECK(created[1]->book_type == b::BookType::NONFICTION);
    auto by_year = b::books_by_year(c, std::vector<std::int32_t>{2001, 2002, 1999});
    REQUIRE(by_year.size() == 3);
    CHECK(by_year[0].size() == 1);
    CHECK(by_year[2].empty());
    CHECK(b::update_book(c, std::vector<b::UpdateBookParams>{{"Uno", {"x"}, created[0]->book_id}}) ==
          std::vector<std::int64_t>{1});
    auto bio = b::get_biography(c, std::vector<std::int32_t>{au.author_id, 999});
    REQUIRE(bio.size() == 2);
    CHECK(bio[0].has_value());
    CHECK_FALSE(bio[0]->has_value());  // the row exists; its biography is NULL
    CHECK_FALSE(bio[1].has_value());   // no such author
    CHECK(b::delete_book(c, std::vector<std::int32_t>{created[0]->book_id}) == std::vector<std::int64_t>{1});
    CHECK(b::delete_book_named_func(c, std::vector<std::int32_t>{created[0]->book_id}) == std::vector<std::int64_t>{0});
    CHECK(b::delete_book_named_sign(c, std::vector<std::int32_t>{created[1]->book_id}) == std::vector<std::int64_t>{1});
    CHECK(b::delete_book_exec_result(c, 12345).affected_rows() == 0);
}

TEST_CASE("sqlc corpus: booktest") {
    pgorm_test::empty_db db;
    auto c = with_schema(db, "booktest/schema.sql");
    namespace k = sqlc::booktest;
    auto au = k::create_author(c, "Unknown Master").value();
    auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    auto b1 = k::create_book(c, {au.author_id, "1", k::BookType::FICTION, "my book title", 2016, now, {"one", "two"}}).value();
    auto b2 = k::create_book(c, {au.author_id, "2", k::BookType::NONFICTION, "the second", 2016, now, {"cool"}}).value();
    CHECK(k::get_book(c, b1.book_id).value().tags == std::vector<std::string>{"one", "two"});
    CHECK(k::get_author(c, au.author_id).value().name == "Unknown Master");
    k::update_book(c, "changed", {"x"}, b1.book_id);
    k::update_book_isbn(c, {"changed again", {"y"}, b1.book_id, "1-b"});
    CHECK(k::get_book(c, b1.book_id).value().isbn == "1-b");
    CHECK(k::books_by_title_year(c, "the second", 2016).size() == 1);
    auto tagged = k::books_by_tags(c, {"cool", "y"});
    REQUIRE(tagged.size() == 2);
    CHECK(tagged[0].name.has_value());  // LEFT JOIN side: optional, present here
    CHECK(k::say_hello(c, "world").value() == std::optional<std::string>("hello world"));
    k::delete_book(c, b2.book_id);
    CHECK_FALSE(k::get_book(c, b2.book_id).has_value());
}

TEST_CASE("sqlc corpus: jets") {
    pgorm_test::empty_db db;
    auto c = with_schema(db, "jets/schema.sql");
    c.execute_script("INSERT INTO pilots VALUES (1, 'Maverick'), (2, 'Goose')");
    CHECK(sqlc::jets::count_pilots(c) == std::optional<std::int64_t>(2));
    CHECK(sqlc::jets::list_pilots(c).size() == 2);
    sqlc::jets::delete_pilot(c, 2);
    CHECK(sqlc::jets::count_pilots(c) == std::optional<std::int64_t>(1));
}

TEST_CASE("sqlc corpus: ondeck (migration folder, enum labels that are not identifiers)") {
    pgorm_test::empty_db db;
    auto c = with_schema(db, "ondeck/schema");
    namespace o = sqlc::ondeck;
    auto city = o::create_city(c, "San Francisco", "san-francisco").value();
    CHECK(o::get_city(c, "san-francisco").value().name == "San Francisco");
    o::update_city_name(c, "san-francisco", "SF");
    CHECK(o::list_cities(c).at(0).name == "SF");
    auto id = o::create_venue(c, {"the-fillmore", "The Fillmore", city.slug, "spotify:123", o::Status::op_en,
                                  std::vector<o::Status>{o::Status::op_en, o::Status::clo_sed}, std::vector<std::string>{"rock"}});
    REQUIRE(id.has_value());
    auto v = o::get_venue(c, "the-fillmore", city.slug).value();
    CHECK(v.status == o::Status::op_en);
    CHECK(v.statuses == std::optional<std::vector<o::Status>>({o::Status::op_en, o::Status::clo_sed}));
    CHECK(o::list_venues(c, city.slug).size() == 1);
    CHECK(o::update_venue_name(c, "the-fillmore", "Fillmore") == id);
    auto counts = o::venue_count_by_city(c);
    REQUIRE(counts.size() == 1);
    CHECK(counts[0].count == 1);
    o::delete_venue(c, "the-fillmore");
    CHECK(o::list_venues(c, city.slug).empty());
}

#else

TEST_CASE("sqlc corpus") {
    WARN("skipped: the sqlc corpus ../shared/sqlc-examples is not next to this checkout (or pgorm-gen is not built); "
         "nothing to generate");
}

#endif
