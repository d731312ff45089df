// Compile-cost probe: what pgorm_repository.cpp does, written by hand with libpqxx 6.4 (Debian
// 12): the SQL, the 20 parameters and the 20 field reads. Compiled by bench/compile_cost.sh, never run.
#include "account.hpp"

#include <pqxx/pqxx>

#include <vector>

namespace bench {
namespace {

constexpr const char* columns =
    "account_id, organization_id, email, first_name, last_name, country, city, phone, credits_balance, "
    "lifetime_spend, login_count, failed_logins, active, verified, admin, score, discount, referrer_rank, plan, notes";

template <class T>
std::optional<T> nullable(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return f.as<T>();
}

account read_account(const pqxx::row& r) {
    account a;
    a.account_id = r[0].as<std::string>();
    a.organization_id = r[1].as<std::string>();
    a.email = r[2].as<std::string>();
    a.first_name = nullable<std::string>(r[3]);
    a.last_name = nullable<std::string>(r[4]);
    a.country = r[5].as<std::string>();
    a.city = r[6].as<std::string>();
    a.phone = nullable<std::string>(r[7]);
    a.credits_balance = r[8].as<std::int64_t>();
    a.lifetime_spend = r[9].as<std::int64_t>();
    a.login_count = r[10].as<std::int32_t>();
    a.failed_logins = r[11].as<std::int32_t>();
    a.active = r[12].as<bool>();
    a.verified = r[13].as<bool>();
    a.admin = r[14].as<bool>();
    a.score = r[15].as<double>();
    a.discount = r[16].as<double>();
    a.referrer_rank = nullable<std::int64_t>(r[17]);
    a.plan = r[18].as<std::string>();
    a.notes = r[19].as<std::string>();
    return a;
}

}  // namespace

std::size_t exercise(pqxx::connection& c) {
    pqxx::work w(c);
    account in = sample_account();
    pqxx::result r = w.exec_params(
        std::string("INSERT INTO accounts (") + columns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            " RETURNING " + columns,
        in.account_id, in.organization_id, in.email, in.first_name, in.last_name, in.country, in.city, in.phone,
        in.credits_balance, in.lifetime_spend, in.login_count, in.failed_logins, in.active, in.verified, in.admin,
        in.score, in.discount, in.referrer_rank, in.plan, in.notes);
    account a = read_account(r[0]);

    pqxx::result one = w.exec_params(std::string("SELECT ") + columns + " FROM accounts WHERE account_id = $1",
                                     a.account_id);
    std::optional<account> again;
    if (!one.empty()) again = read_account(one[0]);

    pqxx::result found = w.exec_params(
        std::string("SELECT ") + columns + " FROM accounts WHERE credits_balance > $1 AND country = $2",
        std::int64_t{100}, std::string("NZ"));
    std::vector<account> rich;
    for (const auto& row : found) rich.push_back(read_account(row));

    a.credits_balance += 10;
    w.exec_params(
        "UPDATE accounts SET organization_id = $2, email = $3, first_name = $4, last_name = $5, country = $6, "
        "city = $7, phone = $8, credits_balance = $9, lifetime_spend = $10, login_count = $11, "
        "failed_logins = $12, active = $13, verified = $14, admin = $15, score = $16, discount = $17, "
        "referrer_rank = $18, plan = $19, notes = $20 WHERE account_id = $1",
        a.account_id, a.organization_id, a.email, a.first_name, a.last_name, a.country, a.city, a.phone,
        a.credits_balance, a.lifetime_spend, a.login_count, a.failed_logins, a.active, a.verified, a.admin, a.score,
        a.discount, a.referrer_rank, a.plan, a.notes);
    w.commit();
    return rich.size() + again.has_value();
}

}  // namespace bench
