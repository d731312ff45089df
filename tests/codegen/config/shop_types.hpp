#pragma once
// The user type of test_codegen_config's overrides: a stock-keeping unit stored as text, with its
// own pgorm codec (docs/custom-types.md). The codec refuses an empty code, so a test can tell it
// is the one in use.

#include <pgorm/types.hpp>

#include <string>
#include <string_view>

namespace shop {
struct sku {
    std::string code;
    friend bool operator==(const sku&, const sku&) = default;
};
}  // namespace shop

template <>
struct pgorm::codec<shop::sku> {
    static constexpr oid_t type_oid = oid::text;
    static constexpr oid_t array_oid = oid::text_array;
    static constexpr std::string_view sql_name = "text";
    static bool accepts(oid_t o) noexcept { return o == oid::text; }
    static void encode(const shop::sku& v, std::string& out) {
        if (v.code.empty()) throw pgorm::usage_error("shop::sku: empty code");
        out += v.code;
    }
    static void decode(std::string_view in, oid_t, shop::sku& out) { out.code = std::string(in); }
};
