// Compile-cost probe: repository<T> over a 20-column struct (insert, get, find with a filter,
// update). bench/compile_cost.sh compiles it; it is never run. libpqxx_by_hand.cpp does the same.
#include "account.hpp"

#include <pgorm/repo.hpp>

namespace bench {
BOOST_DESCRIBE_STRUCT(account, (), (account_id, organization_id, email, first_name, last_name, country, city, phone,
                                    credits_balance, lifetime_spend, login_count, failed_logins, active, verified,
                                    admin, score, discount, referrer_rank, plan, notes))
PGORM_TABLE(account, "accounts", key(&account::account_id));

std::size_t exercise(pgorm::connection& c) {
    using pgorm::col;
    pgorm::repository<account> accounts{c};
    account a = accounts.insert(sample_account());
    auto again = accounts.get(a.account_id);
    auto rich = accounts.find(col(&account::credits_balance) > 100 && col(&account::country) == "NZ");
    a.credits_balance += 10;
    accounts.update(a);
    return rich.size() + again.has_value();
}
}  // namespace bench
