// Step 3: repository<T>. With PGORM_TABLE beside the description, a struct maps to a table:
// insert (server defaults come back), get by key, typed filters, update, remove.
#include "tutorial.hpp"
#include "models.hpp"  // app::Organization, app::User: the example schema's tables

#include <pgorm/repo.hpp>

int main() {
    return tutorial::run("03_repository", [] {
        tutorial::scratch db;
        pgorm::connection conn(db.url());
        pgorm::repository<app::Organization> orgs{conn};
        pgorm::repository<app::User> users{conn};

        app::Organization acme;
        acme.name = "Acme Inc";
        acme = orgs.insert(acme);  // INSERT ... RETURNING: the id is the server's default
        tutorial::expect(acme.id.starts_with("org_"), "a server-made organization id");

        for (const char* email : {"ada@acme.test", "bob@acme.test", "cy@acme.test"}) {
            app::User u;
            u.organization_id = acme.id;
            u.email = email;
            users.insert(u);
        }

        // Typed filters: a member pointer and a value of its type; every value is a parameter.
        using pgorm::col;
        auto some = users.find(col(&app::User::email) != "bob@acme.test", pgorm::order_by(&app::User::email));
        tutorial::expect(some.size() == 2 && some[0].email == "ada@acme.test", "ada and cy");

        app::User ada = some[0];
        ada.first_name = "Ada";
        users.update(ada);
        tutorial::expect(users.get_or_throw(ada.user_id).first_name == "Ada", "the first name stored");

        users.remove(ada.user_id);
        tutorial::expect(!users.get(ada.user_id), "ada gone");
        tutorial::expect(users.count() == 2, "two users left");
    });
}
