// The prepared-statement name cache on its own (core/detail/statement_cache.hpp): keys, names,
// the stale-statement drops and the orphans left for DEALLOCATE. No server: the cache sends nothing.
#include <pgorm/core/detail/statement_cache.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>

using pgorm::oid_t;
using pgorm::param_refs;
using pgorm::detail::statement_cache;

namespace {

param_refs with_types(const oid_t* types, int count) {
    param_refs p;
    p.count = count;
    p.types = types;
    return p;
}

}  // namespace

TEST_CASE("statement_cache: a prepared name is found again by text and parameter types", "[statement_cache]") {
    statement_cache cache("p_");
    const std::array<oid_t, 1> int4{23}, text{25};
    CHECK(cache.find("SELECT $1", with_types(int4.data(), 1)) == nullptr);
    std::string name = cache.next_name();
    CHECK(name == "p_1");
    const std::string& stored = cache.insert("SELECT $1", with_types(int4.data(), 1), name);
    CHECK(stored == "p_1");
    CHECK(cache.size() == 1);

    const std::string* hit = cache.find("SELECT $1", with_types(int4.data(), 1));
    REQUIRE(hit != nullptr);
    CHECK(*hit == "p_1");
    // Same text, other parameter type: another server-side statement.
    CHECK(cache.find("SELECT $1", with_types(text.data(), 1)) == nullptr);
    // A text that only starts like a cached one is not it.
    CHECK(cache.find("SELECT $", with_types(int4.data(), 1)) == nullptr);
    CHECK(cache.find("SELECT $1 ", with_types(int4.data(), 1)) == nullptr);
    CHECK(cache.find("SELECT $1", param_refs{}) == nullptr);
}

TEST_CASE("statement_cache: hits beyond the few remembered ones still come from the table", "[statement_cache]") {
    statement_cache cache("p_");
    for (int i = 0; i < 10; ++i) {
        std::string sql = "SELECT " + std::to_string(i);
        cache.insert(sql, param_refs{}, cache.next_name());
    }
    for (int round = 0; round < 2; ++round)
        for (int i = 0; i < 10; ++i) {
            const std::string* hit = cache.find("SELECT " + std::to_string(i), param_refs{});
            REQUIRE(hit != nullptr);
            CHECK(*hit == "p_" + std::to_string(i + 1));
        }
}

TEST_CASE("statement_cache: names are never handed out twice", "[statement_cache]") {
    statement_cache cache("p_");
    const std::string& a = cache.find_or_add("SELECT 1", param_refs{});
    CHECK(a == "p_1");
    CHECK(cache.find_or_add("SELECT 1", param_refs{}) == "p_1");  // present: the same entry
    CHECK(cache.next_name() == "p_2");
    CHECK(cache.find_or_add("SELECT 2", param_refs{}) == "p_3");
    cache.forget("SELECT 1", param_refs{});
    CHECK(cache.find("SELECT 1", param_refs{}) == nullptr);
    CHECK(cache.find_or_add("SELECT 1", param_refs{}) == "p_4");  // not p_1 again
    CHECK_FALSE(cache.has_orphans());  // forget(): nothing was prepared under the name
}

TEST_CASE("statement_cache: a changed result type drops every variant of that text, kept for DEALLOCATE",
          "[statement_cache]") {
    statement_cache cache("p_");
    const std::array<oid_t, 1> int4{23}, int8{20};
    cache.insert("SELECT * FROM t WHERE id = $1", with_types(int4.data(), 1), cache.next_name());  // p_1
    cache.insert("SELECT * FROM t WHERE id = $1", with_types(int8.data(), 1), cache.next_name());  // p_2
    cache.insert("SELECT * FROM t", param_refs{}, cache.next_name());                              // p_3
    cache.insert("SELECT * FROM t WHERE id = $1 LIMIT 1", with_types(int4.data(), 1), cache.next_name());  // p_4
    REQUIRE(cache.find("SELECT * FROM t WHERE id = $1", with_types(int4.data(), 1)) != nullptr);  // now remembered

    cache.forget_text("SELECT * FROM t WHERE id = $1");
    CHECK(cache.size() == 2);
    CHECK(cache.find("SELECT * FROM t WHERE id = $1", with_types(int4.data(), 1)) == nullptr);
    CHECK(cache.find("SELECT * FROM t WHERE id = $1", with_types(int8.data(), 1)) == nullptr);
    CHECK(cache.find("SELECT * FROM t", param_refs{}) != nullptr);  // a prefix of the text stays
    CHECK(cache.find("SELECT * FROM t WHERE id = $1 LIMIT 1", with_types(int4.data(), 1)) != nullptr);

    REQUIRE(cache.has_orphans());
    std::string sql = cache.take_orphans_sql();
    CHECK((sql == "DEALLOCATE p_1;DEALLOCATE p_2;" || sql == "DEALLOCATE p_2;DEALLOCATE p_1;"));
    CHECK_FALSE(cache.has_orphans());
    CHECK(cache.take_orphans_sql().empty());
}

TEST_CASE("statement_cache: retire_all keeps the names for DEALLOCATE, clear forgets them", "[statement_cache]") {
    statement_cache cache("p_");
    cache.insert("SELECT 1", param_refs{}, cache.next_name());
    REQUIRE(cache.find("SELECT 1", param_refs{}) != nullptr);
    cache.retire_all();
    CHECK(cache.empty());
    CHECK(cache.find("SELECT 1", param_refs{}) == nullptr);  // not served from the remembered hits
    CHECK(cache.take_orphans_sql() == "DEALLOCATE p_1;");

    cache.insert("SELECT 2", param_refs{}, cache.next_name());
    cache.forget_text("SELECT 2");
    cache.insert("SELECT 3", param_refs{}, cache.next_name());
    cache.clear();
    CHECK(cache.empty());
    CHECK_FALSE(cache.has_orphans());
    CHECK(cache.find("SELECT 3", param_refs{}) == nullptr);
}

TEST_CASE("statement_cache: a move takes the entries; the source is empty under a new prefix", "[statement_cache]") {
    statement_cache a("p_");
    a.insert("SELECT 1", param_refs{}, a.next_name());
    REQUIRE(a.find("SELECT 1", param_refs{}) != nullptr);  // remembered in a
    statement_cache b(std::move(a));
    REQUIRE(b.find("SELECT 1", param_refs{}) != nullptr);
    CHECK(*b.find("SELECT 1", param_refs{}) == "p_1");
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    CHECK(a.find("SELECT 1", param_refs{}) == nullptr);
    CHECK(a.prefix() != "p_");
    CHECK(a.prefix().rfind("pgorm_", 0) == 0);
}

TEST_CASE("statement_cache: prefixes differ per cache and read pgorm_<16 hex digits>_", "[statement_cache]") {
    statement_cache a, b;
    CHECK(a.prefix() != b.prefix());
    REQUIRE(a.prefix().size() == 6 + 16 + 1);
    CHECK(a.prefix().rfind("pgorm_", 0) == 0);
    CHECK(a.prefix().back() == '_');
    CHECK(a.prefix().find_first_not_of("0123456789abcdef", 6) == 22);
}

// param_refs::static_text / static_types let a recent hit be recognised by address. Both calls
// must vouch for the address: otherwise the bytes are compared, so text or types that were
// freed and replaced at the same address never hit the old entry.
TEST_CASE("statement_cache: static text and types are known by address, everything else by its bytes",
          "[statement_cache]") {
    statement_cache cache("p_");
    static const std::array<oid_t, 2> int4_text{23, 25};
    static constexpr char sql[] = "SELECT $1, $2";
    param_refs fixed = with_types(int4_text.data(), 2);
    fixed.static_text = fixed.static_types = true;
    cache.insert(sql, fixed, cache.next_name());
    REQUIRE(cache.find(sql, fixed) != nullptr);
    CHECK(*cache.find(sql, fixed) == "p_1");

    // The same text elsewhere, or the same types in another array: found by their bytes.
    std::string copy = sql;
    param_refs types_only = fixed;
    types_only.static_text = false;
    CHECK(cache.find(copy, types_only) != nullptr);
    std::array<oid_t, 2> same_types = int4_text;
    CHECK(cache.find(sql, with_types(same_types.data(), 2)) != nullptr);
    // A shorter or longer view of the same static text is another statement.
    CHECK(cache.find(std::string_view(sql, 8), fixed) == nullptr);
    param_refs one = fixed;
    one.count = 1;
    CHECK(cache.find(sql, one) == nullptr);

    // A text remembered from a buffer that is then rewritten in place: the address and length
    // are the same, the bytes are not; a later call that calls its text static must not hit.
    std::string buffer = "SELECT $1, $3";
    cache.insert(buffer, with_types(int4_text.data(), 2), cache.next_name());  // p_2, not static
    REQUIRE(cache.find(buffer, with_types(int4_text.data(), 2)) != nullptr);
    const char* at = buffer.data();
    buffer[buffer.size() - 1] = '4';  // "SELECT $1, $4" at the same address
    REQUIRE(buffer.data() == at);
    param_refs claims_static = fixed;
    CHECK(cache.find(buffer, claims_static) == nullptr);
    CHECK(cache.find(buffer, with_types(int4_text.data(), 2)) == nullptr);

    // Types rewritten in place under a remembered pointer: compared by bytes unless both calls
    // said static_types.
    std::array<oid_t, 1> types{23};
    cache.insert("SELECT $1::int4", with_types(types.data(), 1), cache.next_name());  // p_3
    REQUIRE(cache.find("SELECT $1::int4", with_types(types.data(), 1)) != nullptr);
    types[0] = 20;
    param_refs now_static = with_types(types.data(), 1);
    now_static.static_types = true;
    CHECK(cache.find("SELECT $1::int4", now_static) == nullptr);
    CHECK(cache.find("SELECT $1::int4", with_types(types.data(), 1)) == nullptr);
}

TEST_CASE("statement_cache: forgetting an entry also forgets its address-keyed recent hit", "[statement_cache]") {
    statement_cache cache("p_");
    static constexpr char sql[] = "SELECT 1";
    param_refs fixed;
    fixed.static_text = fixed.static_types = true;
    cache.insert(sql, fixed, cache.next_name());
    REQUIRE(cache.find(sql, fixed) != nullptr);
    cache.forget(sql, fixed);
    CHECK(cache.find(sql, fixed) == nullptr);
    cache.insert(sql, fixed, cache.next_name());
    REQUIRE(cache.find(sql, fixed) != nullptr);
    cache.forget_text(sql);
    CHECK(cache.find(sql, fixed) == nullptr);
    cache.insert(sql, fixed, cache.next_name());
    cache.clear();
    CHECK(cache.find(sql, fixed) == nullptr);
}
