// Step 5: a tenant scope. transact_tenant() runs the function as a non-owner role with the
// tenant (organization) set for row-level security, so the policies of the example schema let it
// see its own organization's rows only, whatever SQL it runs.
#include "tutorial.hpp"
#include "models.hpp"

#include <pgorm/repo.hpp>
#include <pgorm/xact.hpp>

int main() {
    return tutorial::run("05_tenant_scope", [] {
        tutorial::scratch db;
        pgorm::pool_options o;
        o.tenant = pgorm::tenant_login{};  // the login the example schema creates (docs/pool-and-xact.md)
        pgorm::pool pool(db.url(), o);

        auto [acme, globex] = pool.transact([](pgorm::xact& tx) {  // as the owner: every row
            pgorm::repository<app::Organization> orgs{tx};
            pgorm::repository<app::User> users{tx};
            app::Organization a, g;
            a.name = "Acme";
            g.name = "Globex";
            a = orgs.insert(a);
            g = orgs.insert(g);
            for (auto [org, email] : {std::pair{&a, "ada@acme.test"}, std::pair{&g, "gil@globex.test"}}) {
                app::User u;
                u.organization_id = org->id;
                u.email = email;
                users.insert(u);
            }
            return std::pair{a, g};
        });

        auto visible = pool.transact_tenant("usr_tutorial", globex.id, [](pgorm::xact& tx) {
            return pgorm::repository<app::User>{tx}.find();
        });
        tutorial::expect(visible.size() == 1 && visible[0].email == "gil@globex.test", "Globex sees only its user");

        auto raw = pool.transact_tenant("usr_tutorial", globex.id, [](pgorm::xact& tx) {
            return tx.conn().query_value<std::int64_t>("SELECT count(*) FROM users");  // plain SQL too
        });
        tutorial::expect(raw == 1, "row-level security filters plain SQL as well");
        std::cout << acme.name << "'s rows stay hidden from " << globex.name << '\n';
    });
}
