// What a server error's what() shows: by default no row values from DETAIL (they end up in
// logs), with the DETAIL still readable through sql_error::detail(); set_error_detail(include)
// puts it back. Runs against the suite's throwaway PostgreSQL.
#include "support.hpp"

#include <string>

using namespace pgorm;

namespace {

/// Restores the process-wide policy however the test case leaves.
struct detail_policy_guard {
    error_detail saved = get_error_detail();
    ~detail_policy_guard() { set_error_detail(saved); }
};

std::string what_of_duplicate(connection& c) {
    try {
        c.execute("INSERT INTO organizations (id, name) VALUES ('org_secret42', 'b')");
    } catch (const unique_violation& e) {
        CHECK(e.sqlstate() == "23505");
        CHECK(e.detail().find("org_secret42") != std::string::npos);  // the accessor keeps it
        return e.what();
    }
    FAIL("expected a unique violation");
    return {};
}

}  // namespace

TEST_CASE("a unique violation keeps the duplicate key out of what() unless detail is included", "[errors]") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    detail_policy_guard guard;
    c.execute("INSERT INTO organizations (id, name) VALUES ('org_secret42', 'a')");

    SECTION("redact is the default") {
        CHECK(get_error_detail() == error_detail::redact);
        std::string what = what_of_duplicate(c);
        CHECK(what.find("org_secret42") == std::string::npos);
        CHECK(what.find("detail") == std::string::npos);
        CHECK(what.find("duplicate key value violates unique constraint") != std::string::npos);
        CHECK(what.find("SQLSTATE 23505") != std::string::npos);
        CHECK(what.find("table organizations") != std::string::npos);
        CHECK(what.find("constraint organizations_pkey") != std::string::npos);
    }
    SECTION("include shows the server's DETAIL with the row value") {
        set_error_detail(error_detail::include);
        std::string what = what_of_duplicate(c);
        CHECK(what.find("(detail: Key (id)=(org_secret42) already exists.)") != std::string::npos);
        set_error_detail(error_detail::redact);
        CHECK(what_of_duplicate(c).find("org_secret42") == std::string::npos);
    }
}

TEST_CASE("a foreign key violation names its constraint but not the missing key by default", "[errors]") {
    pgorm_test::fresh_db db;
    auto c = db.connect();
    detail_policy_guard guard;
    set_error_detail(error_detail::redact);
    try {
        c.execute("INSERT INTO users (organization_id, email) VALUES ('org_nope7', 'a@b.c')");
        FAIL("expected a foreign key violation");
    } catch (const foreign_key_violation& e) {
        std::string what = e.what();
        CHECK(what.find("org_nope7") == std::string::npos);
        CHECK(what.find("constraint users_organization_id_fkey") != std::string::npos);
        CHECK(e.detail().find("org_nope7") != std::string::npos);
    }
}
