#pragma once
// A fresh database with one organization, a connection and a users repository on it: the
// starting point of the repository tests.

#include "schema/models.hpp"  // the tests' own copy of the tables, not examples/
#include "support.hpp"

#include <string>
#include <vector>

namespace pgorm_test {

struct repo_fixture {
    fresh_db db;
    pgorm::connection c = db.connect();
    pgorm::repository<app::User> users{c};
    std::string org = [this] {
        app::Organization o;
        o.name = "Acme Inc";
        return pgorm::repository<app::Organization>{c}.insert(o).id;
    }();

    /// A user of `org`, not stored yet.
    app::User make(std::string email, std::int64_t credits = 0) const {
        app::User u;
        u.organization_id = org;
        u.email = std::move(email);
        u.credits_balance = credits;
        return u;
    }
    /// n stored users u0@x.io ... with 0, 10, 20 ... credits.
    std::vector<app::User> seed(int n) {
        std::vector<app::User> out;
        for (int i = 0; i < n; ++i) out.push_back(users.insert(make("u" + std::to_string(i) + "@x.io", i * 10)));
        return out;
    }
};

}  // namespace pgorm_test
