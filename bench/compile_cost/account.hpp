// The 20-column row both compile-cost translation units work on (bench/compile_cost.sh).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bench {

struct account {
    std::string account_id;
    std::string organization_id;
    std::string email;
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    std::string country;
    std::string city;
    std::optional<std::string> phone;
    std::int64_t credits_balance = 0;
    std::int64_t lifetime_spend = 0;
    std::int32_t login_count = 0;
    std::int32_t failed_logins = 0;
    bool active = false;
    bool verified = false;
    bool admin = false;
    double score = 0;
    double discount = 0;
    std::optional<std::int64_t> referrer_rank;
    std::string plan;
    std::string notes;
};

inline account sample_account() {
    account a;
    a.account_id = "acc_1";
    a.organization_id = "org_1";
    a.email = "ada@example.com";
    a.country = "NZ";
    a.plan = "pro";
    return a;
}

}  // namespace bench
