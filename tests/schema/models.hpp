#pragma once
// The library tests' rows (tests/schema/migrations), one described struct per table, column for
// column. The tests' own copy: the example application (examples/models.hpp) may change freely.
// Namespace `app` is kept so that the tests read the same as the examples they grew from.
//
// Only columns the server fills on its own are listed in defaults(...): ids from generate_id()
// and the created_at / updated_at timestamps. Columns whose server default is an ordinary value
// (credits_balance 0, is_active true, user_type 'individual') carry the same default as a C++
// member initialiser instead, so a caller can also store false or 0 on purpose.

#include <pgorm.hpp>
#include <pgorm/types/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace app {

/// users.preferences (seed 004): {"company": "...", "marketing_consent": true}.
struct Preferences {
    std::optional<std::string> company;
    std::optional<bool> marketing_consent;
    friend bool operator==(const Preferences&, const Preferences&) = default;
};
BOOST_DESCRIBE_STRUCT(Preferences, (), (company, marketing_consent))

struct Organization {
    std::string id;  // generate_id('org')
    std::string name;
    std::optional<pgorm::jsonb_text> storytime;
    pgorm::timestamptz created_at{};
    pgorm::timestamptz updated_at{};
};
BOOST_DESCRIBE_STRUCT(Organization, (), (id, name, storytime, created_at, updated_at))
PGORM_TABLE(Organization, "organizations", key(&Organization::id),
            defaults(&Organization::id, &Organization::created_at, &Organization::updated_at));

struct User {
    std::string user_id;  // generate_id('usr')
    std::string organization_id;
    std::string email;
    std::string password_hash = "managed_externally";
    std::optional<std::string> first_name;
    std::optional<std::string> last_name;
    std::optional<std::string> profile_image_url;
    std::optional<std::string> phone;
    std::optional<std::string> stripe_customer_extid;
    std::int64_t credits_balance = 0;
    std::optional<pgorm::jsonb<Preferences>> preferences;
    std::optional<std::string> timezone;
    std::optional<std::string> language_preference;
    std::string user_type = "individual";
    bool is_active = true;
    std::optional<pgorm::timestamptz> last_login_at;
    std::optional<pgorm::jsonb_text> storytime;
    pgorm::timestamptz created_at{};
    pgorm::timestamptz updated_at{};
};
BOOST_DESCRIBE_STRUCT(User, (),
                      (user_id, organization_id, email, password_hash, first_name, last_name, profile_image_url, phone,
                       stripe_customer_extid, credits_balance, preferences, timezone, language_preference, user_type,
                       is_active, last_login_at, storytime, created_at, updated_at))
PGORM_TABLE(User, "users", key(&User::user_id), defaults(&User::user_id, &User::created_at, &User::updated_at));

/// A credit purchase (seed 004); stripe_session_extid is the idempotency key.
struct Transaction {
    std::string transaction_id;  // generate_id('txn')
    std::string organization_id;
    std::string user_id;
    std::string stripe_session_extid;
    std::int64_t amount_paid_cents = 0;
    std::int64_t credits_added = 0;
    std::optional<pgorm::jsonb_text> storytime;
    pgorm::timestamptz created_at{};
    pgorm::timestamptz updated_at{};
};
BOOST_DESCRIBE_STRUCT(Transaction, (),
                      (transaction_id, organization_id, user_id, stripe_session_extid, amount_paid_cents,
                       credits_added, storytime, created_at, updated_at))
PGORM_TABLE(Transaction, "transactions", key(&Transaction::transaction_id),
            defaults(&Transaction::transaction_id, &Transaction::created_at, &Transaction::updated_at));

}  // namespace app
