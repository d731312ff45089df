// Step 6: row locks. get(key, for_update) is SELECT ... FOR UPDATE: a second transaction that
// wants the row waits, fails at once (nowait) or skips it (skip_locked, the job-queue pattern).
#include "tutorial.hpp"
#include "models.hpp"

#include <pgorm/repo.hpp>
#include <pgorm/xact.hpp>

int main() {
    return tutorial::run("06_row_locks", [] {
        tutorial::scratch db;
        pgorm::connection first(db.url()), second(db.url());
        app::Organization org;
        org.name = "Acme";
        org = pgorm::repository<app::Organization>{first}.insert(org);

        pgorm::xact holder(first);
        auto locked = pgorm::repository<app::Organization>{holder}.get(org.id, pgorm::for_update);
        tutorial::expect(locked.has_value(), "the row locked by the first transaction");

        pgorm::xact other(second);
        pgorm::repository<app::Organization> orgs{other};
        auto skipped = orgs.find(pgorm::col(&app::Organization::id) == org.id, pgorm::for_update.skip_locked());
        tutorial::expect(skipped.empty(), "skip_locked leaves the locked row out");
        try {
            orgs.get(org.id, pgorm::for_update.nowait());
            tutorial::expect(false, "lock_not_available from nowait");
        } catch (const pgorm::lock_not_available& e) {
            std::cout << "as expected, SQLSTATE " << e.sqlstate() << '\n';
        }
        holder.commit();  // the lock goes with the transaction
    });
}
