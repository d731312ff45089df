#pragma once
// money: pgorm::money, a signed 64-bit count of the currency's smallest unit.
//
// Binary format (PostgreSQL's cash_send, checked with cash_send('12.34'::money) = int8 1234):
// an int64, with no currency and no scale. What one unit is depends on the server's
// lc_monetary only in the text form: with lc_monetary = 'C' or 'en_US', '12.34'::money is 1234
// units (cents); under a locale whose currency has no fraction digits it is 12 units. pgorm sends
// and reads the integer, so the binary value never depends on the locale (docs 8.2).

#include <pgorm/types/codec.hpp>

namespace pgorm {

struct money {
    std::int64_t cents = 0;  // smallest currency unit (cents for two fraction digits)
    friend constexpr auto operator<=>(const money&, const money&) = default;
};

template <>
struct codec<money> {
    static constexpr oid_t type_oid = oid::money;
    static constexpr oid_t array_oid = oid::money_array;
    static constexpr std::string_view sql_name = "money";
    static bool accepts(oid_t o) noexcept { return o == oid::money; }
    static void encode(const money& v, std::string& out) { wire::put<std::int64_t>(out, v.cents); }
    static void decode(std::string_view in, oid_t, money& out) {
        wire::expect_size(in, 8, sql_name);
        out.cents = wire::get<std::int64_t>(in.data());
    }
};

}  // namespace pgorm
