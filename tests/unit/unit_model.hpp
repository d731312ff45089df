#pragma once
// The unit tests' own table, so they do not follow the example application's schema.
#include <pgorm/reflect.hpp>
#include <pgorm/types.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace unit {

struct Account {
    std::int64_t id = 0;
    std::string email;
    std::optional<std::string> nickname;
    std::int64_t credits = 0;
    pgorm::jsonb<> settings;
};
BOOST_DESCRIBE_STRUCT(Account, (), (id, email, nickname, credits, settings))
PGORM_TABLE(Account, "accounts", key(&Account::id), defaults(&Account::id));

struct Order {
    std::int64_t order_id = 0;
    std::int64_t account_id = 0;
};
BOOST_DESCRIBE_STRUCT(Order, (), (order_id, account_id))
PGORM_TABLE(Order, "orders", key(&Order::order_id));

}  // namespace unit
