// Step 4: transactions. An xact is a scope: BEGIN when made, COMMIT on commit(), ROLLBACK if it
// goes without one. A nested xact is a SAVEPOINT. pool::transact runs a function in one and
// re-runs it after a serialization failure or deadlock when given a retry policy.
#include "tutorial.hpp"

#include <pgorm/xact.hpp>

#include <cstdint>
#include <stdexcept>

int main() {
    return tutorial::run("04_transactions", [] {
        tutorial::scratch db;
        pgorm::connection conn(db.url());
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
        conn.execute("INSERT INTO accounts VALUES (1, 100), (2, 0)");

        {   // Without commit() nothing happened.
            pgorm::xact tx(conn);
            tx.conn().execute("UPDATE accounts SET balance = 0 WHERE id = 1");
        }
        tutorial::expect(conn.query_value<std::int64_t>("SELECT balance FROM accounts WHERE id = 1") == 100,
                         "the uncommitted update rolled back");

        {   // A savepoint undoes part of a transaction.
            pgorm::xact tx(conn);
            tx.conn().execute("UPDATE accounts SET balance = balance - 30 WHERE id = 1");
            {
                pgorm::xact attempt{tx};  // SAVEPOINT
                attempt.conn().execute("UPDATE accounts SET balance = balance + 1000 WHERE id = 2");
            }                             // ROLLBACK TO SAVEPOINT: not committed
            tx.conn().execute("UPDATE accounts SET balance = balance + 30 WHERE id = 2");
            tx.commit();
        }
        tutorial::expect(conn.query_value<std::int64_t>("SELECT balance FROM accounts WHERE id = 2") == 30,
                         "only the transfer of 30 committed");

        // A function in a transaction: commit on return, rollback and rethrow on an exception.
        pgorm::pool pool(db.url());
        pgorm::transact_options serializable;
        serializable.xact.level = pgorm::isolation::serializable;
        serializable.retry = pgorm::retry_policy::attempts(5);  // serialization failures are re-run
        auto total = pool.transact(serializable, [](pgorm::xact& tx) {
            return tx.conn().query_value<std::int64_t>("SELECT sum(balance)::bigint FROM accounts");
        });
        tutorial::expect(total == 100, "money neither made nor lost");
        try {
            pool.transact([](pgorm::xact& tx) {
                tx.conn().execute("DELETE FROM accounts");
                throw std::runtime_error("changed my mind");
            });
        } catch (const std::runtime_error&) {
        }
        tutorial::expect(conn.query_value<std::int64_t>("SELECT count(*) FROM accounts") == 2, "the delete rolled back");
    });
}
